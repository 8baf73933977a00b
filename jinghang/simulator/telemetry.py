"""The telemetry messages a simulated ArduCopter sends, built from its live state.

:func:`build` makes one message by id; :data:`STREAM_GROUPS` maps REQUEST_DATA_STREAM's
stream ids to the messages ArduPilot sends in each group, and :data:`DEFAULT_RATES_HZ` is
what a fresh link gets before it asks for anything.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from jinghang.mavlink.dialect import MAVLinkMessage, mavlink
from jinghang.mavlink.mission_items import degrees_to_e7, encode_item
from jinghang.missions.items import MissionType
from jinghang.simulator.vehicle import SimVehicle

M = mavlink

FIRMWARE_VERSION = (4, 5, 7)
CAPABILITIES = (
    M.MAV_PROTOCOL_CAPABILITY_MISSION_FLOAT
    | M.MAV_PROTOCOL_CAPABILITY_PARAM_FLOAT
    | M.MAV_PROTOCOL_CAPABILITY_MISSION_INT
    | M.MAV_PROTOCOL_CAPABILITY_COMMAND_INT
    | M.MAV_PROTOCOL_CAPABILITY_SET_POSITION_TARGET_GLOBAL_INT
    | M.MAV_PROTOCOL_CAPABILITY_MAVLINK2
    | M.MAV_PROTOCOL_CAPABILITY_MISSION_FENCE
    | M.MAV_PROTOCOL_CAPABILITY_MISSION_RALLY
)

# sensors present/enabled/healthy bits as SYS_STATUS reports them
_SENSORS = (
    M.MAV_SYS_STATUS_SENSOR_3D_GYRO
    | M.MAV_SYS_STATUS_SENSOR_3D_ACCEL
    | M.MAV_SYS_STATUS_SENSOR_3D_MAG
    | M.MAV_SYS_STATUS_SENSOR_ABSOLUTE_PRESSURE
    | M.MAV_SYS_STATUS_SENSOR_GPS
    | M.MAV_SYS_STATUS_SENSOR_ANGULAR_RATE_CONTROL
    | M.MAV_SYS_STATUS_SENSOR_ATTITUDE_STABILIZATION
    | M.MAV_SYS_STATUS_SENSOR_YAW_POSITION
    | M.MAV_SYS_STATUS_SENSOR_Z_ALTITUDE_CONTROL
    | M.MAV_SYS_STATUS_SENSOR_XY_POSITION_CONTROL
    | M.MAV_SYS_STATUS_SENSOR_MOTOR_OUTPUTS
    | M.MAV_SYS_STATUS_AHRS
    | M.MAV_SYS_STATUS_SENSOR_BATTERY
    | M.MAV_SYS_STATUS_PREARM_CHECK
)

# the groups of REQUEST_DATA_STREAM, as ArduPilot fills them
STREAM_GROUPS: dict[int, tuple[int, ...]] = {
    M.MAV_DATA_STREAM_EXTENDED_STATUS: (
        M.MAVLINK_MSG_ID_SYS_STATUS,
        M.MAVLINK_MSG_ID_MISSION_CURRENT,
        M.MAVLINK_MSG_ID_GPS_RAW_INT,
        M.MAVLINK_MSG_ID_NAV_CONTROLLER_OUTPUT,
        M.MAVLINK_MSG_ID_FENCE_STATUS,
        M.MAVLINK_MSG_ID_EXTENDED_SYS_STATE,
    ),
    M.MAV_DATA_STREAM_POSITION: (
        M.MAVLINK_MSG_ID_GLOBAL_POSITION_INT,
        M.MAVLINK_MSG_ID_LOCAL_POSITION_NED,
    ),
    M.MAV_DATA_STREAM_EXTRA1: (M.MAVLINK_MSG_ID_ATTITUDE,),
    M.MAV_DATA_STREAM_EXTRA2: (M.MAVLINK_MSG_ID_VFR_HUD,),
    M.MAV_DATA_STREAM_EXTRA3: (
        M.MAVLINK_MSG_ID_SYSTEM_TIME,
        M.MAVLINK_MSG_ID_BATTERY_STATUS,
        M.MAVLINK_MSG_ID_EKF_STATUS_REPORT,
        M.MAVLINK_MSG_ID_MOUNT_STATUS,
    ),
    M.MAV_DATA_STREAM_RC_CHANNELS: (M.MAVLINK_MSG_ID_SERVO_OUTPUT_RAW,),
    M.MAV_DATA_STREAM_RAW_SENSORS: (M.MAVLINK_MSG_ID_SCALED_PRESSURE,),
}

DEFAULT_RATES_HZ: dict[int, float] = {
    M.MAVLINK_MSG_ID_HEARTBEAT: 1.0,
    M.MAVLINK_MSG_ID_SYS_STATUS: 1.0,
    M.MAVLINK_MSG_ID_GPS_RAW_INT: 1.0,
    M.MAVLINK_MSG_ID_MISSION_CURRENT: 1.0,
    M.MAVLINK_MSG_ID_EXTENDED_SYS_STATE: 1.0,
    M.MAVLINK_MSG_ID_GLOBAL_POSITION_INT: 4.0,
    M.MAVLINK_MSG_ID_ATTITUDE: 4.0,
    M.MAVLINK_MSG_ID_VFR_HUD: 4.0,
    M.MAVLINK_MSG_ID_BATTERY_STATUS: 1.0,
    M.MAVLINK_MSG_ID_EKF_STATUS_REPORT: 1.0,
    M.MAVLINK_MSG_ID_HOME_POSITION: 0.2,
}


def heartbeat(v: SimVehicle) -> MAVLinkMessage:
    base = M.MAV_MODE_FLAG_CUSTOM_MODE_ENABLED | M.MAV_MODE_FLAG_STABILIZE_ENABLED
    if v.armed:
        base |= M.MAV_MODE_FLAG_SAFETY_ARMED
    if v.mode.value in (3, 4, 5, 6, 7, 9, 17):
        base |= M.MAV_MODE_FLAG_GUIDED_ENABLED
    if v.armed:
        status = (
            M.MAV_STATE_CRITICAL if (v.battery_failsafe or v.gcs_failsafe) else M.MAV_STATE_ACTIVE
        )
    else:
        status = M.MAV_STATE_STANDBY
    return M.MAVLink_heartbeat_message(
        M.MAV_TYPE_QUADROTOR, M.MAV_AUTOPILOT_ARDUPILOTMEGA, base, int(v.mode), status, 3
    )


def sys_status(v: SimVehicle) -> MAVLinkMessage:
    healthy = _SENSORS
    if not v.gps_ok:
        healthy &= ~M.MAV_SYS_STATUS_SENSOR_GPS
    if not v.ekf_ok:
        healthy &= ~M.MAV_SYS_STATUS_AHRS
    if v.prearm_failures():
        healthy &= ~M.MAV_SYS_STATUS_PREARM_CHECK
    present = _SENSORS | M.MAV_SYS_STATUS_GEOFENCE
    enabled = _SENSORS | (M.MAV_SYS_STATUS_GEOFENCE if v.param("FENCE_ENABLE") else 0)
    if not v.fence_breaches:
        healthy |= M.MAV_SYS_STATUS_GEOFENCE
    battery = v.physics.battery
    return M.MAVLink_sys_status_message(
        present,
        enabled,
        healthy,
        100,
        int(v.battery_voltage_v * 1000),
        int(battery.current_a * 100),
        v.battery_pct,
        0,
        0,
        0,
        0,
        0,
        0,
    )


def global_position_int(v: SimVehicle) -> MAVLinkMessage:
    p = v.physics
    return M.MAVLink_global_position_int_message(
        int(v.time_s * 1000) & 0xFFFFFFFF,
        degrees_to_e7(v.latitude_deg),
        degrees_to_e7(v.longitude_deg),
        int(v.altitude_amsl_m * 1000),
        int(v.relative_altitude_m * 1000),
        int(p.vel_north_m_s * 100),
        int(p.vel_east_m_s * 100),
        int(-p.vel_up_m_s * 100),
        int(p.heading_deg * 100) % 36000,
    )


def local_position_ned(v: SimVehicle) -> MAVLinkMessage:
    p = v.physics
    return M.MAVLink_local_position_ned_message(
        int(v.time_s * 1000) & 0xFFFFFFFF,
        p.north_m,
        p.east_m,
        -p.up_m,
        p.vel_north_m_s,
        p.vel_east_m_s,
        -p.vel_up_m_s,
    )


def attitude(v: SimVehicle) -> MAVLinkMessage:
    p = v.physics
    yaw = math.radians(p.heading_deg)
    if yaw > math.pi:
        yaw -= 2 * math.pi
    return M.MAVLink_attitude_message(
        int(v.time_s * 1000) & 0xFFFFFFFF,
        math.radians(p.roll_deg),
        math.radians(p.pitch_deg),
        yaw,
        0.0,
        0.0,
        math.radians(p.yaw_rate_deg_s),
    )


def vfr_hud(v: SimVehicle) -> MAVLinkMessage:
    p = v.physics
    throttle = 0 if not v.armed else (39 if not v.on_ground else 10)
    return M.MAVLink_vfr_hud_message(
        p.airspeed_m_s if not p.on_ground else 0.0,
        p.ground_speed_m_s,
        round(p.heading_deg) % 360,
        throttle,
        v.altitude_amsl_m,
        p.vel_up_m_s,
    )


def gps_raw_int(v: SimVehicle) -> MAVLinkMessage:
    p = v.physics
    ok = v.gps_ok
    return M.MAVLink_gps_raw_int_message(
        int(v.time_s * 1e6),
        v.gps_fix_type,
        degrees_to_e7(v.latitude_deg) if ok else 0,
        degrees_to_e7(v.longitude_deg) if ok else 0,
        int(v.altitude_amsl_m * 1000) if ok else 0,
        121 if ok else 65535,
        200 if ok else 65535,
        int(p.ground_speed_m_s * 100),
        int(p.course_deg * 100) % 36000 if p.ground_speed_m_s > 0.2 else 0,
        v.satellites_visible,
    )


#: hJ (hectojoules, BATTERY_STATUS energy_consumed) in one Wh.
HJ_PER_WH = 36.0


def battery_status(v: SimVehicle) -> MAVLinkMessage:
    """The battery as ArduPilot reports it: one cell voltage (the pack's), the current, the
    charge (mAh) and energy (hJ) consumed since boot, -1 for both when SIM_BATT_RPT is 0."""
    battery = v.physics.battery
    cells = [int(v.battery_voltage_v * 1000)] + [65535] * 9
    reports = v.param("SIM_BATT_RPT") >= 1
    return M.MAVLink_battery_status_message(
        0,
        M.MAV_BATTERY_FUNCTION_ALL,
        M.MAV_BATTERY_TYPE_LIPO,
        32767,
        cells,
        int(battery.current_a * 100),
        int(battery.consumed_mah) if reports else -1,
        int(battery.consumed_wh * HJ_PER_WH) if reports else -1,
        v.battery_pct,
        0,
        [
            M.MAV_BATTERY_CHARGE_STATE_OK,
            M.MAV_BATTERY_CHARGE_STATE_LOW,
            M.MAV_BATTERY_CHARGE_STATE_CRITICAL,
        ][min(2, v.battery_failsafe)],
    )


def ekf_status_report(v: SimVehicle) -> MAVLinkMessage:
    if v.ekf_ok:
        flags = (
            M.EKF_ATTITUDE
            | M.EKF_VELOCITY_HORIZ
            | M.EKF_VELOCITY_VERT
            | M.EKF_POS_HORIZ_REL
            | M.EKF_POS_HORIZ_ABS
            | M.EKF_POS_VERT_ABS
            | M.EKF_PRED_POS_HORIZ_REL
            | M.EKF_PRED_POS_HORIZ_ABS
        )
        variance = 0.02
    else:
        flags = M.EKF_ATTITUDE | M.EKF_VELOCITY_VERT | M.EKF_POS_VERT_ABS | M.EKF_CONST_POS_MODE
        variance = 0.9
    return M.MAVLink_ekf_status_report_message(flags, variance, variance, 0.02, 0.02, 0.0)


def home_position(v: SimVehicle) -> MAVLinkMessage:
    return M.MAVLink_home_position_message(
        degrees_to_e7(v.home_lat_deg),
        degrees_to_e7(v.home_lon_deg),
        int(v.home_alt_amsl_m * 1000),
        0.0,
        0.0,
        0.0,
        [1.0, 0.0, 0.0, 0.0],
        0.0,
        0.0,
        0.0,
        int(v.time_s * 1e6),
    )


def mission_current(v: SimVehicle) -> MAVLinkMessage:
    total = len(v.mission_items)
    state = int(v.runner.state)
    if total <= 1:
        state = 1  # MISSION_STATE_NO_MISSION
    elif v.runner.paused:
        state = 4
    return M.MAVLink_mission_current_message(
        v.runner.current_seq, max(0, total - 1), state, 1 if v.mode.value == 3 else 0
    )


def extended_sys_state(v: SimVehicle) -> MAVLinkMessage:
    if not v.armed or v.on_ground:
        landed = M.MAV_LANDED_STATE_ON_GROUND
    elif v.guide.value == "takeoff":
        landed = M.MAV_LANDED_STATE_TAKEOFF
    elif v.guide.value == "land":
        landed = M.MAV_LANDED_STATE_LANDING
    else:
        landed = M.MAV_LANDED_STATE_IN_AIR
    return M.MAVLink_extended_sys_state_message(M.MAV_VTOL_STATE_UNDEFINED, landed)


def nav_controller_output(v: SimVehicle) -> MAVLinkMessage:
    p = v.physics
    dn = v._tgt_n - p.north_m
    de = v._tgt_e - p.east_m
    return M.MAVLink_nav_controller_output_message(
        p.roll_deg,
        p.pitch_deg,
        int(p.heading_deg),
        int(math.degrees(math.atan2(de, dn))) % 360,
        min(65535, int(math.hypot(dn, de))),
        v._tgt_up - p.up_m,
        0.0,
        0.0,
    )


def fence_status(v: SimVehicle) -> MAVLinkMessage:
    breach_type = 0
    if v.fence_breaches & 1:
        breach_type = M.FENCE_BREACH_MAXALT
    elif v.fence_breaches & 8:
        breach_type = M.FENCE_BREACH_MINALT
    elif v.fence_breaches & 6:
        breach_type = M.FENCE_BREACH_BOUNDARY
    return M.MAVLink_fence_status_message(
        1 if v.fence_breaches else 0, v.fence_breach_count, breach_type, 0
    )


def system_time(v: SimVehicle) -> MAVLinkMessage:
    import time

    return M.MAVLink_system_time_message(int(time.time() * 1e6), int(v.time_s * 1000) & 0xFFFFFFFF)


def mount_status(v: SimVehicle) -> MAVLinkMessage:
    return M.MAVLink_mount_status_message(
        0,
        0,
        int(v.gimbal_pitch_deg * 100),
        int(v.gimbal_roll_deg * 100),
        int(v.gimbal_yaw_deg * 100),
        M.MAV_MOUNT_MODE_GPS_POINT if v.roi else M.MAV_MOUNT_MODE_MAVLINK_TARGETING,
    )


def servo_output_raw(v: SimVehicle) -> MAVLinkMessage:
    pwm = 1500 if v.armed else 1000
    servos = [v.servos.get(i, pwm if i <= 4 else 0) for i in range(1, 17)]
    return M.MAVLink_servo_output_raw_message(int(v.time_s * 1e6) & 0xFFFFFFFF, 0, *servos)


def scaled_pressure(v: SimVehicle) -> MAVLinkMessage:
    press_hpa = 1013.25 * (1 - 2.25577e-5 * v.altitude_amsl_m) ** 5.25588
    return M.MAVLink_scaled_pressure_message(
        int(v.time_s * 1000) & 0xFFFFFFFF, press_hpa, 0.0, 2500
    )


def autopilot_version(v: SimVehicle, system_id: int) -> MAVLinkMessage:
    major, minor, patch = FIRMWARE_VERSION
    version = (major << 24) | (minor << 16) | (patch << 8) | 255
    return M.MAVLink_autopilot_version_message(
        CAPABILITIES,
        version,
        0,
        0,
        0,
        [0] * 8,
        [0] * 8,
        [0] * 8,
        0x1209,
        0x5740,
        system_id,
    )


BUILDERS: dict[int, Callable[[SimVehicle], MAVLinkMessage]] = {
    M.MAVLINK_MSG_ID_HEARTBEAT: heartbeat,
    M.MAVLINK_MSG_ID_SYS_STATUS: sys_status,
    M.MAVLINK_MSG_ID_GLOBAL_POSITION_INT: global_position_int,
    M.MAVLINK_MSG_ID_LOCAL_POSITION_NED: local_position_ned,
    M.MAVLINK_MSG_ID_ATTITUDE: attitude,
    M.MAVLINK_MSG_ID_VFR_HUD: vfr_hud,
    M.MAVLINK_MSG_ID_GPS_RAW_INT: gps_raw_int,
    M.MAVLINK_MSG_ID_BATTERY_STATUS: battery_status,
    M.MAVLINK_MSG_ID_EKF_STATUS_REPORT: ekf_status_report,
    M.MAVLINK_MSG_ID_HOME_POSITION: home_position,
    M.MAVLINK_MSG_ID_MISSION_CURRENT: mission_current,
    M.MAVLINK_MSG_ID_EXTENDED_SYS_STATE: extended_sys_state,
    M.MAVLINK_MSG_ID_NAV_CONTROLLER_OUTPUT: nav_controller_output,
    M.MAVLINK_MSG_ID_FENCE_STATUS: fence_status,
    M.MAVLINK_MSG_ID_SYSTEM_TIME: system_time,
    M.MAVLINK_MSG_ID_MOUNT_STATUS: mount_status,
    M.MAVLINK_MSG_ID_SERVO_OUTPUT_RAW: servo_output_raw,
    M.MAVLINK_MSG_ID_SCALED_PRESSURE: scaled_pressure,
}


def build(msg_id: int, v: SimVehicle) -> MAVLinkMessage | None:
    builder = BUILDERS.get(msg_id)
    return builder(v) if builder is not None else None


def mission_item_message(
    v: SimVehicle, mission_type: int, seq: int, *, as_int: bool, target: tuple[int, int]
) -> MAVLinkMessage | None:
    """MISSION_ITEM_INT (or MISSION_ITEM) for item ``seq`` of a stored list."""
    items = v.missions.get(mission_type)
    if items is None or not 0 <= seq < len(items):
        return None
    current = 1 if (mission_type == MissionType.MISSION and seq == v.runner.current_seq) else 0
    return encode_item(
        target, seq, items[seq], mission_type=mission_type, current=current, as_int=as_int
    )
