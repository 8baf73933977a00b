"""COMMAND_LONG and COMMAND_INT as ArduCopter answers them (and the payloads as
:mod:`jinghang.simulator.payload` records them).

:func:`handle_command` runs one command against the vehicle and returns the MAV_RESULT for
its COMMAND_ACK plus any messages to send after the ack (HOME_POSITION, AUTOPILOT_VERSION,
a requested message). COMMAND_LONG positions are degrees in param5/6; COMMAND_INT's are
degrees * 1e7 in x/y, as on the wire.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from jinghang.mavlink.constants import FORCE_ARM_DISARM_MAGIC
from jinghang.mavlink.dialect import MAVLinkMessage, mavlink
from jinghang.simulator import telemetry
from jinghang.simulator.payload import Orbit
from jinghang.simulator.vehicle import ACCEPTED, DENIED, FAILED, UNSUPPORTED

if TYPE_CHECKING:
    from jinghang.simulator.endpoint import ClientLink, VehicleEndpoint

M = mavlink
#: a result for which no COMMAND_ACK is sent (a payload that hangs)
NO_ANSWER = -1


@dataclass(frozen=True, slots=True)
class Command:
    """A command with its position in degrees, whichever message carried it."""

    command: int
    param1: float
    param2: float
    param3: float
    param4: float
    latitude_deg: float
    longitude_deg: float
    altitude_m: float
    frame: int
    is_int: bool

    @classmethod
    def from_message(cls, msg: MAVLinkMessage) -> Command:
        if msg.get_type() == "COMMAND_INT":
            return cls(
                int(msg.command),
                float(msg.param1),
                float(msg.param2),
                float(msg.param3),
                float(msg.param4),
                int(msg.x) / 1e7,
                int(msg.y) / 1e7,
                float(msg.z),
                int(msg.frame),
                True,
            )
        return cls(
            int(msg.command),
            float(msg.param1),
            float(msg.param2),
            float(msg.param3),
            float(msg.param4),
            float(msg.param5),
            float(msg.param6),
            float(msg.param7),
            M.MAV_FRAME_GLOBAL_RELATIVE_ALT,
            False,
        )

    @property
    def raw_param5(self) -> float:
        """param5 as a plain number (COMMAND_INT carries it unscaled in x for non-positions)."""
        return self.latitude_deg * 1e7 if self.is_int else self.latitude_deg


def _relative_alt(endpoint: VehicleEndpoint, cmd: Command) -> float:
    if cmd.frame in (M.MAV_FRAME_GLOBAL, M.MAV_FRAME_GLOBAL_INT):
        return cmd.altitude_m - endpoint.vehicle.home_alt_amsl_m
    return cmd.altitude_m


def handle_command(
    endpoint: VehicleEndpoint, cmd: Command, client: ClientLink
) -> tuple[int, list[MAVLinkMessage]]:
    """Run ``cmd``; return its MAV_RESULT and the messages to send after the ack."""
    v = endpoint.vehicle
    c = cmd.command
    if c == M.MAV_CMD_COMPONENT_ARM_DISARM:
        force = round(cmd.param2) == FORCE_ARM_DISARM_MAGIC
        return (v.arm(force=force) if cmd.param1 == 1 else v.disarm(force=force)), []
    if c == M.MAV_CMD_NAV_TAKEOFF:
        if cmd.frame != M.MAV_FRAME_GLOBAL_RELATIVE_ALT:
            return DENIED, []
        return v.takeoff(cmd.altitude_m), []
    if c == M.MAV_CMD_DO_SET_MODE:
        if not int(cmd.param1) & M.MAV_MODE_FLAG_CUSTOM_MODE_ENABLED:
            return DENIED, []
        return (ACCEPTED if v.set_mode(int(cmd.param2)) else FAILED), []
    if c == M.MAV_CMD_NAV_RETURN_TO_LAUNCH:
        return v.rtl(), []
    if c == M.MAV_CMD_NAV_LAND:
        return v.land(), []
    if c == M.MAV_CMD_MISSION_START:
        if cmd.param1 > 0:
            v.set_mission_current(int(cmd.param1))
        return v.start_mission(), []
    if c == M.MAV_CMD_DO_SET_MISSION_CURRENT:
        return (ACCEPTED if v.set_mission_current(int(cmd.param1)) else DENIED), []
    if c == M.MAV_CMD_DO_CHANGE_SPEED:
        return v.set_speed(cmd.param2), []
    if c in (M.MAV_CMD_DO_SET_ROI_LOCATION, M.MAV_CMD_DO_SET_ROI):
        return v.set_roi(cmd.latitude_deg, cmd.longitude_deg, _relative_alt(endpoint, cmd)), []
    if c == M.MAV_CMD_DO_SET_ROI_NONE:
        v.roi = None
        return ACCEPTED, []
    if c == M.MAV_CMD_DO_REPOSITION:
        return _reposition(endpoint, cmd), []
    if c == M.MAV_CMD_DO_PAUSE_CONTINUE:
        if int(cmd.param1) == 0:
            return v.pause(), []
        if int(cmd.param1) == 1:
            return v.resume(), []
        return DENIED, []
    if c == M.MAV_CMD_DO_SET_HOME:
        if cmd.param1 == 1:
            return v.set_home(v.latitude_deg, v.longitude_deg, v.altitude_amsl_m), []
        return v.set_home(cmd.latitude_deg, cmd.longitude_deg, cmd.altitude_m), []
    if c == M.MAV_CMD_SET_MESSAGE_INTERVAL:
        return _message_interval(endpoint, cmd, client), []
    if c == M.MAV_CMD_REQUEST_MESSAGE:
        return _request_message(endpoint, int(cmd.param1))
    if c == M.MAV_CMD_GET_HOME_POSITION:
        return ACCEPTED, [telemetry.home_position(v)]
    if c == M.MAV_CMD_REQUEST_AUTOPILOT_CAPABILITIES:
        return ACCEPTED, [telemetry.autopilot_version(v, endpoint.system_id)]
    if c == M.MAV_CMD_DO_MOUNT_CONTROL:
        v.payload.gimbal.append((cmd.param1, cmd.param3))
        return v.set_gimbal(cmd.param1, cmd.param3, cmd.param2), []
    if c == M.MAV_CMD_DO_GIMBAL_MANAGER_PITCHYAW:
        v.payload.gimbal.append((cmd.param1, cmd.param2))
        return v.set_gimbal(cmd.param1, cmd.param2), []
    if c == M.MAV_CMD_DO_DIGICAM_CONTROL:
        if cmd.raw_param5 != 0:
            v.take_photo()
        return ACCEPTED, []
    if c == M.MAV_CMD_IMAGE_START_CAPTURE:
        v.take_photo()
        return ACCEPTED, []
    if c == M.MAV_CMD_DO_SET_CAM_TRIGG_DIST:
        v.set_cam_trigger_distance(cmd.param1, cmd.param3 == 1)
        return ACCEPTED, []
    if c == M.MAV_CMD_DO_SET_RELAY:
        v.relays[int(cmd.param1)] = int(cmd.param2)
        if int(cmd.param1) == v.payload.spotlight_relay:
            v.payload.set_spotlight(int(cmd.param2) == 1)
        return ACCEPTED, []
    if c == M.MAV_CMD_DO_SET_SERVO:
        v.servos[int(cmd.param1)] = int(cmd.param2)
        return ACCEPTED, []
    if c == M.MAV_CMD_DO_GRIPPER:
        v.gripper_grabbed = int(cmd.param2) == 1
        if int(cmd.param2) == M.GRIPPER_ACTION_RELEASE:
            v.payload.releases += 1
        return ACCEPTED, []
    if c == M.MAV_CMD_USER_1:  # the loudspeaker (jinghang.flight.payload's convention)
        if v.payload.loudspeaker_silent:
            return NO_ANSWER, []
        return (ACCEPTED if v.payload.play(int(cmd.param1), int(cmd.param2)) else DENIED), []
    if c == M.MAV_CMD_SET_CAMERA_ZOOM:
        if int(cmd.param1) != M.ZOOM_TYPE_RANGE or not 0 <= cmd.param2 <= 100:
            return DENIED, []
        v.payload.zoom_percent = cmd.param2
        return ACCEPTED, []
    if c == M.MAV_CMD_SET_CAMERA_SOURCE:
        if int(cmd.param2) not in (M.CAMERA_SOURCE_RGB, M.CAMERA_SOURCE_IR):
            return DENIED, []
        v.payload.camera_source = int(cmd.param2)
        return ACCEPTED, []
    if c == M.MAV_CMD_DO_ORBIT:
        return _orbit(endpoint, cmd), []
    return UNSUPPORTED, []


def _reposition(endpoint: VehicleEndpoint, cmd: Command) -> int:
    v = endpoint.vehicle
    from jinghang.simulator.modes import Mode

    if v.mode != Mode.GUIDED:
        if not int(cmd.param2) & M.MAV_DO_REPOSITION_FLAGS_CHANGE_MODE or not v.set_mode(
            Mode.GUIDED
        ):
            return DENIED
    lat, lon = cmd.latitude_deg, cmd.longitude_deg
    if (lat == 0 and lon == 0) or not math.isfinite(lat + lon):
        lat, lon = v.latitude_deg, v.longitude_deg
    alt = _relative_alt(endpoint, cmd) if math.isfinite(cmd.altitude_m) else v.relative_altitude_m
    if cmd.param1 > 0:
        v.set_speed(cmd.param1)
    return v.goto(lat, lon, alt)


def _orbit(endpoint: VehicleEndpoint, cmd: Command) -> int:
    """DO_ORBIT: recorded, and the drone goes to the circle's edge facing the centre (the
    built-in simulator does not fly the circle itself)."""
    from jinghang.simulator.geo import offset_deg
    from jinghang.simulator.modes import Mode

    v = endpoint.vehicle
    radius_m = cmd.param1
    if not (math.isfinite(radius_m) and radius_m > 0) or not v.armed:
        return DENIED
    if v.mode != Mode.GUIDED and not v.set_mode(Mode.GUIDED):
        return DENIED
    alt = _relative_alt(endpoint, cmd) if math.isfinite(cmd.altitude_m) else v.relative_altitude_m
    v.payload.orbits.append(
        Orbit(cmd.latitude_deg, cmd.longitude_deg, radius_m, alt)
    )
    lat, lon = offset_deg(cmd.latitude_deg, cmd.longitude_deg, -radius_m, 0.0)
    result = v.goto(lat, lon, alt)
    v.set_roi(cmd.latitude_deg, cmd.longitude_deg, 0.0)
    return result


def _message_interval(endpoint: VehicleEndpoint, cmd: Command, client: ClientLink) -> int:
    msg_id = int(cmd.param1)
    if msg_id not in telemetry.BUILDERS:
        return FAILED
    interval_us = cmd.param2
    # as on ArduPilot, the rate applies to the link the command came in on
    if interval_us < 0:
        endpoint.set_interval(client, msg_id, None)
    elif interval_us == 0:
        default_hz = telemetry.DEFAULT_RATES_HZ.get(msg_id)
        endpoint.set_interval(client, msg_id, 1.0 / default_hz if default_hz else None)
    else:
        endpoint.set_interval(client, msg_id, interval_us / 1e6)
    return ACCEPTED


def _request_message(endpoint: VehicleEndpoint, msg_id: int) -> tuple[int, list[MAVLinkMessage]]:
    v = endpoint.vehicle
    if msg_id == M.MAVLINK_MSG_ID_AUTOPILOT_VERSION:
        return ACCEPTED, [telemetry.autopilot_version(v, endpoint.system_id)]
    msg = telemetry.build(msg_id, v)
    if msg is None:
        return FAILED, []
    return ACCEPTED, [msg]
