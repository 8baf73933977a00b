"""One simulated ArduCopter: autopilot logic over point-mass physics, with ``step(dt_s)``
and no I/O.

:class:`SimVehicle` holds the modes (ArduCopter's numbers), arming and pre-arm checks,
guidance (takeoff, go to, hold, land, circle, drift), RTL, the mission store and executor,
camera, gimbal, relays, servos and gripper, and the failsafes (battery, GCS heartbeat,
geofence). Everything it would say on the wire goes to :attr:`SimVehicle.outbox` as plain
records; the MAVLink side turns them into messages. Its live state (position, altitude,
heading, gimbal angles, photos) is what the simulator camera renders from.
"""

from __future__ import annotations

import collections
import enum
import math

from jinghang.mavlink.constants import (
    MAV_RESULT_ACCEPTED,
    MAV_RESULT_DENIED,
    MAV_RESULT_FAILED,
    MAV_RESULT_TEMPORARILY_REJECTED,
    MAV_RESULT_UNSUPPORTED,
)
from jinghang.mavlink.mission_items import home_item
from jinghang.missions.items import Cmd, MissionItem, MissionType
from jinghang.missions.vehicle_limits import VehicleLimits
from jinghang.simulator import notices
from jinghang.simulator.failsafes import check_failsafes, fence_breach_at, fence_breach_now
from jinghang.simulator.fence import shapes_from_items
from jinghang.simulator.geo import ne_offset_m, offset_deg
from jinghang.simulator.guidance import Guide, update_guidance
from jinghang.simulator.mission_runner import (
    MissionRunner,
    MissionState,
    has_position,
    item_relative_altitude_m,
)
from jinghang.simulator.modes import ARMABLE_MODES, POSITION_MODES, SUPPORTED_MODES, Mode
from jinghang.simulator.params import ParamTable
from jinghang.simulator.payload import SimPayload
from jinghang.simulator.physics import PointMassCopter

# MAV_RESULT
ACCEPTED = MAV_RESULT_ACCEPTED
TEMPORARILY_REJECTED = MAV_RESULT_TEMPORARILY_REJECTED
DENIED = MAV_RESULT_DENIED
UNSUPPORTED = MAV_RESULT_UNSUPPORTED
FAILED = MAV_RESULT_FAILED
#: the highest altitude an ArduPilot Location holds (int32 centimetres)
TAKEOFF_ALTITUDE_MAX_M = (2**31 - 1) / 100.0

EKF_SETTLE_S = 2.0
#: ArduCopter's times beyond its kinematics (spool-up, settling at a stop, land detector), as
#: the flight-time estimate counts them (jinghang.missions.vehicle_limits).
MODEL = VehicleLimits()
LANDED_CONFIRM_S = MODEL.land_detect_s


class RtlStage(enum.Enum):
    CLIMB = "climb"
    RETURN = "return"
    LOITER = "loiter"
    FINAL = "final"
    LAND = "land"


class SimVehicle:
    """The autopilot and physics of one simulated copter."""

    def __init__(
        self,
        home: tuple[float, float, float, float],
        params: ParamTable | None = None,
    ) -> None:
        lat, lon, alt, heading = home
        self.origin_lat_deg = lat
        self.origin_lon_deg = lon
        self.ground_amsl_m = alt
        self.params = params or ParamTable()
        self.physics = PointMassCopter(heading_deg=heading)
        self.home_lat_deg, self.home_lon_deg, self.home_alt_amsl_m = lat, lon, alt
        self.outbox: list[notices.Notice] = []
        self.mode = Mode.STABILIZE
        self.armed = False
        self.time_s = 0.0
        self.missions: dict[int, list[MissionItem]] = {
            MissionType.MISSION: [self.home_item()],
            MissionType.FENCE: [],
            MissionType.RALLY: [],
        }
        self.runner = MissionRunner(self)
        # guidance
        self.guide = Guide.IDLE
        self._tgt_n = self._tgt_e = self._tgt_up = 0.0
        self._tgt_speed_m_s: float | None = None
        self._speed_override_m_s: float | None = None
        self._vel = (0.0, 0.0, 0.0)
        self._circle = (0.0, 0.0, 0.0, 0.0)  # centre n, e, radius m, rate deg/s
        self._circle_angle_deg = 0.0
        self._circle_travel_deg = 0.0
        self._paused_guide: tuple[Guide, float, float, float] | None = None
        self._rtl_stage = RtlStage.CLIMB
        self._rtl_stage_started_s = 0.0
        self._rtl_climbed_s: float | None = None
        self._rtl_active = False
        self.takeoff_started_s = 0.0
        self.model = MODEL
        self._on_ground_since_s: float | None = 0.0
        self._landed_complete = False
        self._land_in_progress = False
        # payload
        self.roi: tuple[float, float, float] | None = None
        self.gimbal_pitch_deg = 0.0
        self.gimbal_yaw_deg = 0.0
        self.gimbal_roll_deg = 0.0
        self.cam_trigger_distance_m = 0.0
        self._cam_last_distance_m = 0.0
        self.photo_count = 0
        self.camera_triggers: collections.deque[notices.CameraTrigger] = collections.deque(
            maxlen=1000
        )
        self.relays: dict[int, int] = {}
        self.servos: dict[int, int] = {}
        self.gripper_grabbed: bool | None = None
        #: what the loudspeaker, spotlight, release, gimbal and camera were told
        self.payload = SimPayload()
        # failsafes
        self.gcs_seen = False
        #: FS_GCS_TIMEOUT is multiplied by this (the server sets its speedup): a ground
        #: station's heartbeat runs on the wall clock, so the built-in simulator judges its loss
        #: in wall-clock seconds. Real SITL uses simulated time and trips at high speedups.
        self.gcs_timeout_scale = 1.0
        self._gcs_last_s = 0.0
        self.gcs_failsafe = False
        self.battery_failsafe = 0  # 0 none, 1 low, 2 critical
        self._batt_low_since_s: float | None = None
        self._batt_crt_since_s: float | None = None
        self.fence_breaches = 0
        self.ekf_bad_since_s: float | None = None
        self.fence_breach_count = 0
        self._fence_shapes = shapes_from_items([])
        self._gps_ok_since_s: float | None = 0.0
        self._apply_sim_params()

    # -- live state ------------------------------------------------------------------------
    @property
    def latitude_deg(self) -> float:
        return offset_deg(
            self.origin_lat_deg, self.origin_lon_deg, self.physics.north_m, self.physics.east_m
        )[0]

    @property
    def longitude_deg(self) -> float:
        return offset_deg(
            self.origin_lat_deg, self.origin_lon_deg, self.physics.north_m, self.physics.east_m
        )[1]

    @property
    def altitude_amsl_m(self) -> float:
        return self.ground_amsl_m + self.physics.up_m

    @property
    def relative_altitude_m(self) -> float:
        return self.altitude_amsl_m - self.home_alt_amsl_m

    @property
    def heading_deg(self) -> float:
        return self.physics.heading_deg

    @property
    def ground_speed_m_s(self) -> float:
        return self.physics.ground_speed_m_s

    @property
    def climb_rate_m_s(self) -> float:
        return self.physics.vel_up_m_s

    @property
    def roll_deg(self) -> float:
        return self.physics.roll_deg

    @property
    def pitch_deg(self) -> float:
        return self.physics.pitch_deg

    @property
    def battery_voltage_v(self) -> float:
        return self.physics.battery.voltage_v

    @property
    def battery_pct(self) -> int:
        return self.physics.battery.remaining_pct

    @property
    def on_ground(self) -> bool:
        return self.physics.on_ground

    @property
    def flying(self) -> bool:
        return self.armed and not self.physics.on_ground

    @property
    def gps_ok(self) -> bool:
        return self.param("SIM_GPS_DISABLE") == 0

    @property
    def gps_fix_type(self) -> int:
        return 6 if self.gps_ok else 0  # GPS_FIX_TYPE_RTK_FIXED as SITL reports, or NO_GPS

    @property
    def satellites_visible(self) -> int:
        return 10 if self.gps_ok else 0

    @property
    def ekf_ok(self) -> bool:
        return (
            self.gps_ok
            and self._gps_ok_since_s is not None
            and self.time_s - self._gps_ok_since_s >= EKF_SETTLE_S
        )

    @property
    def mode_name(self) -> str:
        return self.mode.name

    @property
    def mission_items(self) -> list[MissionItem]:
        return self.missions[MissionType.MISSION]

    def param(self, name: str) -> float:
        return self.params[name]

    def emit(self, notice: notices.Notice) -> None:
        self.outbox.append(notice)
        if isinstance(notice, notices.CameraTrigger):
            self.camera_triggers.append(notice)

    def text(self, severity: int, text: str) -> None:
        self.emit(notices.StatusText(severity, text))

    def home_item(self) -> MissionItem:
        return home_item(self.home_lat_deg, self.home_lon_deg, self.home_alt_amsl_m)

    # -- targets in local coordinates -------------------------------------------------------
    def _local(self, lat_deg: float, lon_deg: float) -> tuple[float, float]:
        return ne_offset_m(self.origin_lat_deg, self.origin_lon_deg, lat_deg, lon_deg)

    def _up_of_relative(self, relative_altitude_m: float) -> float:
        return relative_altitude_m + self.home_alt_amsl_m - self.ground_amsl_m

    def _home_local(self) -> tuple[float, float]:
        return self._local(self.home_lat_deg, self.home_lon_deg)

    # -- parameters ---------------------------------------------------------------------
    def param_changed(self, name: str) -> None:
        if name.startswith("SIM_") or name.startswith("BATT_") or name.startswith("WPNAV_"):
            self._apply_sim_params()

    def _apply_sim_params(self) -> None:
        p = self.physics
        p.wind_speed_m_s = max(0.0, self.param("SIM_WIND_SPD"))
        p.wind_from_deg = self.param("SIM_WIND_DIR")
        p.battery.full_voltage_v = self.param("SIM_BATT_VOLTAGE")
        p.battery.capacity_mah = self.param("BATT_CAPACITY")
        p.limits.accel_horizontal_m_s2 = max(0.5, self.param("WPNAV_ACCEL") / 100.0)

    # -- arming -------------------------------------------------------------------------
    def prearm_failures(self) -> list[str]:
        """ArduPilot-worded reasons the vehicle cannot arm now (empty when it can)."""
        if self.param("ARMING_CHECK") == 0:
            return []
        reasons = []
        # ArduCopter checks GPS and the position estimate only when the mode needs a position
        # or a circle/polygon fence is on (AP_Arming_Copter::gps_checks): STABILIZE arms
        # without GPS.
        fence_needs_gps = bool(self.param("FENCE_ENABLE")) and int(self.param("FENCE_TYPE")) & 6
        if self.mode in POSITION_MODES or fence_needs_gps:
            if not self.gps_ok:
                reasons.append("GPS 1: Bad fix")
            if not self.ekf_ok:
                reasons.append("Need Position Estimate")
        volts = self.battery_voltage_v
        arm_v = self.param("BATT_ARM_VOLT")
        if arm_v > 0 and volts < arm_v:
            reasons.append("Battery 1 below minimum arming voltage")
        low_v = self.param("BATT_LOW_VOLT")
        crt_v = self.param("BATT_CRT_VOLT")
        if (crt_v > 0 and volts < crt_v) or self.battery_failsafe == 2:
            reasons.append("Battery 1 critical voltage failsafe")
        elif (low_v > 0 and volts < low_v) or self.battery_failsafe == 1:
            reasons.append("Battery 1 low voltage failsafe")
        if self.param("FENCE_ENABLE") and fence_breach_now(self):
            reasons.append("Fence: vehicle outside fence")
        return reasons

    def arm(self, *, force: bool = False) -> int:
        if self.armed:
            return ACCEPTED
        if not force:
            if self.mode not in ARMABLE_MODES:
                self.text(notices.SEVERITY_CRITICAL, "Arm: Mode not armable")
                return FAILED
            failures = self.prearm_failures()
            if failures:
                for reason in failures:
                    self.text(notices.SEVERITY_CRITICAL, f"PreArm: {reason}")
                return FAILED
        self.armed = True
        self.text(notices.SEVERITY_INFO, "Arming motors")
        self.physics.motors_running = True
        self._on_ground_since_s = self.time_s
        self._landed_complete = False
        self._land_in_progress = False
        self.battery_failsafe = 0
        self._set_home_here()
        if self.mode in (Mode.GUIDED, Mode.LOITER):
            self._hold_here()
        return ACCEPTED

    def disarm(self, *, force: bool = False) -> int:
        if not self.armed:
            return ACCEPTED
        if self.flying and not force:
            self.text(notices.SEVERITY_CRITICAL, "Disarm: vehicle is flying")
            return FAILED
        self.disarm_now()
        return ACCEPTED

    def disarm_now(self) -> None:
        self.armed = False
        self.text(notices.SEVERITY_INFO, "Disarming motors")
        self.physics.motors_running = False
        self.guide = Guide.IDLE
        self._paused_guide = None
        if self.mode == Mode.AUTO and self.runner.state == MissionState.ACTIVE:
            self.runner.state = MissionState.COMPLETE

    def _set_home_here(self) -> None:
        self.set_home(self.latitude_deg, self.longitude_deg, self.altitude_amsl_m)

    def set_home(self, lat_deg: float, lon_deg: float, alt_amsl_m: float) -> int:
        if not (-90 <= lat_deg <= 90 and -180 <= lon_deg <= 180):
            return DENIED
        self.home_lat_deg, self.home_lon_deg, self.home_alt_amsl_m = lat_deg, lon_deg, alt_amsl_m
        self.missions[MissionType.MISSION][0] = self.home_item()
        self.emit(notices.HomeChanged())
        return ACCEPTED

    # -- modes --------------------------------------------------------------------------
    def set_mode(self, mode_number: int) -> bool:
        try:
            mode = Mode(mode_number)
        except ValueError:
            return False
        if mode not in SUPPORTED_MODES:
            return False
        if mode in POSITION_MODES and not self.ekf_ok:
            self.text(
                notices.SEVERITY_WARNING, f"Mode change to {mode.name} failed: requires position"
            )
            return False
        if mode == Mode.AUTO:
            if len(self.mission_items) <= 1:
                self.text(notices.SEVERITY_WARNING, "Mode change to AUTO failed: no mission")
                return False
            if self.armed and self.on_ground and not self.runner.starts_with_takeoff():
                self.text(notices.SEVERITY_CRITICAL, "Auto: Missing Takeoff Cmd")
                return False
        self._enter_mode(mode)
        return True

    def _enter_mode(self, mode: Mode) -> None:
        previous = self.mode
        self.mode = mode
        self._paused_guide = None
        self._rtl_active = False
        self.runner.paused = False
        if previous == Mode.AUTO and mode != Mode.AUTO and self.runner.state == MissionState.ACTIVE:
            self.runner.state = MissionState.NOT_STARTED
        self._land_in_progress = False
        if not self.armed:
            self.guide = Guide.IDLE
            if mode == Mode.AUTO:
                self.runner.state = (
                    MissionState.NOT_STARTED
                    if self.runner.state != MissionState.COMPLETE
                    else self.runner.state
                )
            return
        if mode in (Mode.STABILIZE, Mode.ALT_HOLD):
            self.guide = Guide.DRIFT if not self.on_ground else Guide.IDLE
        elif mode in (Mode.GUIDED, Mode.LOITER):
            self._hold_here()
        elif mode == Mode.BRAKE:
            self._brake()
        elif mode == Mode.LAND:
            self._start_land(None)
        elif mode == Mode.RTL:
            self._start_rtl()
        elif mode == Mode.CIRCLE:
            self._start_circle_ahead()
        elif mode == Mode.AUTO:
            self.runner.start_or_resume()

    def _hold_here(self) -> None:
        if self.on_ground:
            self.guide = Guide.IDLE
            return
        self._brake()

    def _brake(self) -> None:
        """Hold at the stopping point ahead of the current velocity."""
        p = self.physics
        accel = p.limits.accel_horizontal_m_s2
        speed = p.ground_speed_m_s
        stop_m = speed * speed / (2 * accel) if speed > 0 else 0.0
        if speed > 0.01:
            n = p.north_m + p.vel_north_m_s / speed * stop_m
            e = p.east_m + p.vel_east_m_s / speed * stop_m
        else:
            n, e = p.north_m, p.east_m
        self._goto_local(n, e, p.up_m, None)

    def _goto_local(self, n: float, e: float, up: float, speed_m_s: float | None) -> None:
        self.guide = Guide.GOTO
        self._tgt_n, self._tgt_e, self._tgt_up = n, e, up
        self._tgt_speed_m_s = speed_m_s

    # -- commands (MAV_RESULT) -----------------------------------------------------------
    def takeoff(self, relative_altitude_m: float) -> int:
        if not self.armed or not self.on_ground or self.guide == Guide.TAKEOFF:
            return FAILED
        if self.mode not in (Mode.GUIDED, Mode.LOITER, Mode.ALT_HOLD, Mode.STABILIZE):
            return FAILED
        if not relative_altitude_m > 0 or not math.isfinite(relative_altitude_m):
            return DENIED
        if relative_altitude_m > TAKEOFF_ALTITUDE_MAX_M:
            # ArduCopter (ModeGuided::do_user_takeoff_start_m) turns the target into a
            # Location, whose altitude is int32 centimetres; a target it cannot hold is not
            # taken: the command fails
            return FAILED
        self._start_takeoff(relative_altitude_m)
        return ACCEPTED

    def _start_takeoff(self, relative_altitude_m: float) -> None:
        p = self.physics
        self.guide = Guide.TAKEOFF
        self._tgt_n, self._tgt_e = p.north_m, p.east_m
        self._tgt_up = self._up_of_relative(relative_altitude_m)
        self._landed_complete = False
        self.takeoff_started_s = self.time_s

    def takeoff_complete(self) -> bool:
        if self.guide != Guide.TAKEOFF:
            return True
        if self.physics.up_m >= self._tgt_up - 0.5:
            self._goto_local(self._tgt_n, self._tgt_e, self._tgt_up, None)
            return True
        return False

    def goto(self, lat_deg: float, lon_deg: float, relative_altitude_m: float) -> int:
        """A guided position target (SET_POSITION_TARGET_GLOBAL_INT, DO_REPOSITION)."""
        if self.mode != Mode.GUIDED or not self.armed:
            return FAILED
        if not (-90 <= lat_deg <= 90 and -180 <= lon_deg <= 180):
            return DENIED
        if self.on_ground and self.guide != Guide.TAKEOFF:
            return FAILED
        if self.param("FENCE_ENABLE") and fence_breach_at(
            self, lat_deg, lon_deg, relative_altitude_m
        ):
            return FAILED  # as ArduCopter's guided mode: no destination outside the fence
        n, e = self._local(lat_deg, lon_deg)
        self._paused_guide = None
        if self.guide == Guide.TAKEOFF:
            # ArduCopter finishes the takeoff first; remember where to go afterwards
            self._paused_guide = (Guide.GOTO, n, e, self._up_of_relative(relative_altitude_m))
            return ACCEPTED
        self._goto_local(n, e, self._up_of_relative(relative_altitude_m), None)
        return ACCEPTED

    def set_velocity(self, north_m_s: float, east_m_s: float, down_m_s: float) -> int:
        if self.mode != Mode.GUIDED or not self.flying:
            return FAILED
        self.guide = Guide.VELOCITY
        self._vel = (north_m_s, east_m_s, -down_m_s)
        return ACCEPTED

    def set_speed(self, speed_m_s: float) -> int:
        if not speed_m_s > 0 or not math.isfinite(speed_m_s):
            return DENIED
        self._speed_override_m_s = min(speed_m_s, self.physics.limits.max_airspeed_m_s)
        return ACCEPTED

    def set_roi(self, lat_deg: float, lon_deg: float, relative_altitude_m: float) -> int:
        if lat_deg == 0 and lon_deg == 0:
            self.roi = None
            return ACCEPTED
        if not (-90 <= lat_deg <= 90 and -180 <= lon_deg <= 180):
            return DENIED
        self.roi = (lat_deg, lon_deg, relative_altitude_m)
        return ACCEPTED

    def set_gimbal(self, pitch_deg: float, yaw_deg: float, roll_deg: float = 0.0) -> int:
        self.roi = None
        self.gimbal_pitch_deg = max(-90.0, min(30.0, pitch_deg))
        self.gimbal_yaw_deg = yaw_deg
        self.gimbal_roll_deg = roll_deg
        return ACCEPTED

    def rtl(self) -> int:
        return ACCEPTED if self.set_mode(Mode.RTL) else FAILED

    def land(self) -> int:
        return ACCEPTED if self.set_mode(Mode.LAND) else FAILED

    def start_mission(self) -> int:
        if len(self.mission_items) <= 1:
            return FAILED
        if self.mode != Mode.AUTO:
            return ACCEPTED if self.set_mode(Mode.AUTO) else FAILED
        if self.runner.state != MissionState.ACTIVE:
            self.runner.start_or_resume()
        return ACCEPTED

    def set_mission_current(self, seq: int) -> bool:
        running = self.mode == Mode.AUTO and self.armed
        return self.runner.set_current(seq, running=running)

    def pause(self) -> int:
        if self.mode not in (Mode.AUTO, Mode.GUIDED) or not self.flying:
            self.text(notices.SEVERITY_INFO, "Failed to pause")
            return FAILED
        if self._paused_guide is None:
            self._paused_guide = (self.guide, self._tgt_n, self._tgt_e, self._tgt_up)
        if self.mode == Mode.AUTO:
            self.runner.paused = True
        self._brake()
        return ACCEPTED

    def resume(self) -> int:
        if self.mode not in (Mode.AUTO, Mode.GUIDED) or self._paused_guide is None:
            self.text(notices.SEVERITY_INFO, "Failed to resume")
            return FAILED
        guide, n, e, up = self._paused_guide
        self._paused_guide = None
        self.guide = guide
        self._tgt_n, self._tgt_e, self._tgt_up = n, e, up
        self.runner.paused = False
        return ACCEPTED

    def take_photo(self) -> None:
        self.photo_count += 1
        p = self.physics
        self.emit(
            notices.CameraTrigger(
                image_index=self.photo_count,
                time_s=self.time_s,
                latitude_deg=self.latitude_deg,
                longitude_deg=self.longitude_deg,
                altitude_amsl_m=self.altitude_amsl_m,
                relative_altitude_m=self.relative_altitude_m,
                roll_deg=p.roll_deg,
                pitch_deg=p.pitch_deg,
                heading_deg=p.heading_deg,
                gimbal_pitch_deg=self.gimbal_pitch_deg,
                gimbal_yaw_deg=self.gimbal_yaw_deg,
            )
        )
        self._cam_last_distance_m = p.distance_travelled_m

    def set_cam_trigger_distance(self, distance_m: float, trigger_now: bool) -> None:
        self.cam_trigger_distance_m = max(0.0, distance_m)
        self._cam_last_distance_m = self.physics.distance_travelled_m
        if trigger_now and distance_m > 0:
            self.take_photo()

    def gcs_heartbeat(self) -> None:
        self.gcs_seen = True
        self._gcs_last_s = self.time_s
        if self.gcs_failsafe:
            self.gcs_failsafe = False
            self.text(notices.SEVERITY_WARNING, "GCS Failsafe Cleared")

    # -- missions -----------------------------------------------------------------------
    def store_mission(self, mission_type: int, items: list[MissionItem]) -> None:
        """Replace a list (for the mission type, ``items`` includes the home slot at 0)."""
        if mission_type == MissionType.MISSION:
            items = [self.home_item(), *items[1:]] if items else [self.home_item()]
            self.missions[MissionType.MISSION] = items
            if not (self.mode == Mode.AUTO and self.runner.state == MissionState.ACTIVE):
                self.runner.reset()
            elif self.runner.current_seq >= len(items):
                self.runner.current_seq = len(items) - 1
        else:
            self.missions[mission_type] = list(items)
            if mission_type == MissionType.FENCE:
                self._fence_shapes = shapes_from_items(items)

    def start_nav_command(self, item: MissionItem) -> None:
        """The mission runner starts a navigation command."""
        cmd = int(item.command)
        p = self.physics
        self._landed_complete = False
        if has_position(item):
            n, e = self._local(item.latitude_deg, item.longitude_deg)
        else:
            n, e = p.north_m, p.east_m
        rel = item_relative_altitude_m(item, self.home_alt_amsl_m)
        if cmd == Cmd.NAV_TAKEOFF:
            target_rel = max(rel, 1.0)
            if self.on_ground:
                self._start_takeoff(target_rel)
            else:
                up = max(p.up_m, self._up_of_relative(target_rel))
                self.guide = Guide.TAKEOFF
                self._tgt_n, self._tgt_e, self._tgt_up = p.north_m, p.east_m, up
        elif cmd in (Cmd.NAV_WAYPOINT, Cmd.NAV_LOITER_TIME, Cmd.NAV_LOITER_UNLIM):
            self._goto_local(
                n, e, self._up_of_relative(rel) if rel or has_position(item) else p.up_m, None
            )
        elif cmd == Cmd.NAV_LOITER_TURNS:
            radius = abs(item.param3) if item.param3 else self.param("CIRCLE_RADIUS") / 100.0
            rate = 1 if item.param3 >= 0 else -1
            self._circle = (n, e, radius, rate * self._circle_rate_for(radius))
            # fly to the edge of the circle nearest to us, then circle
            bearing = math.atan2(p.east_m - e, p.north_m - n)
            self._goto_local(
                n + radius * math.cos(bearing),
                e + radius * math.sin(bearing),
                self._up_of_relative(rel),
                None,
            )
            self._circle_travel_deg = 0.0
        elif cmd == Cmd.NAV_LAND:
            if has_position(item):
                self._start_land((n, e))
            else:
                self._start_land(None)
        elif cmd == Cmd.NAV_RETURN_TO_LAUNCH:
            self._start_rtl()
        elif cmd == Cmd.NAV_DELAY:
            self._hold_here()

    def run_do_command(self, seq: int, item: MissionItem) -> None:
        """The mission runner reaches a DO command."""
        cmd = int(item.command)
        if cmd == Cmd.DO_CHANGE_SPEED:
            if item.param2 > 0:
                self.set_speed(item.param2)
        elif cmd == Cmd.DO_SET_ROI_LOCATION:
            self.set_roi(
                item.latitude_deg,
                item.longitude_deg,
                item_relative_altitude_m(item, self.home_alt_amsl_m),
            )
        elif cmd == Cmd.DO_SET_ROI_NONE:
            self.roi = None
        elif cmd == Cmd.DO_SET_CAM_TRIGG_DIST:
            self.set_cam_trigger_distance(item.param1, item.param3 == 1)
        elif cmd == Cmd.DO_DIGICAM_CONTROL:
            if item.longitude_deg != 0 or item.latitude_deg != 0:  # param5 "shoot" (or param6)
                self.take_photo()
        elif cmd == Cmd.DO_MOUNT_CONTROL:
            self.set_gimbal(item.param1, item.param3, item.param2)
        elif cmd == Cmd.DO_GIMBAL_MANAGER_PITCHYAW:
            self.set_gimbal(item.param1, item.param2)
        elif cmd == Cmd.DO_SET_RELAY:
            self.relays[int(item.param1)] = int(item.param2)
        elif cmd == Cmd.DO_SET_SERVO:
            self.servos[int(item.param1)] = int(item.param2)
        elif cmd == Cmd.DO_GRIPPER:
            self.gripper_grabbed = int(item.param2) == 1
        elif cmd == Cmd.DO_SET_HOME:
            if item.param1 == 1:
                self._set_home_here()
            else:
                self.set_home(item.latitude_deg, item.longitude_deg, item.altitude_m)
        elif cmd in (Cmd.IMAGE_START_CAPTURE,):
            self.take_photo()
        elif cmd in (Cmd.VIDEO_START_CAPTURE, Cmd.VIDEO_STOP_CAPTURE):
            pass
        else:
            self.text(notices.SEVERITY_WARNING, f"Skipping invalid cmd #{cmd}")

    def mission_complete(self) -> None:
        """Past the last item: land-and-disarm done, or hold position in AUTO."""
        if self.on_ground and self.armed:
            self.disarm_now()
        elif self.armed and self.guide not in (Guide.LAND,):
            self._brake()

    def at_target(self, radius_m: float, *, circle_edge: bool = False) -> bool:
        p = self.physics
        dist = math.hypot(self._tgt_n - p.north_m, self._tgt_e - p.east_m)
        return dist <= radius_m and abs(self._tgt_up - p.up_m) <= max(1.0, radius_m)

    def begin_circle_at_target(self) -> None:
        n, e, _radius, _rate = self._circle
        p = self.physics
        self._circle_angle_deg = math.degrees(math.atan2(p.east_m - e, p.north_m - n))
        self._circle_travel_deg = 0.0
        self.guide = Guide.CIRCLE

    def circle_travel_deg(self) -> float:
        return self._circle_travel_deg

    def landed_complete(self) -> bool:
        return self._landed_complete

    def _circle_rate_for(self, radius_m: float) -> float:
        rate = abs(self.param("CIRCLE_RATE"))
        # never faster than the waypoint speed allows on this radius
        if radius_m > 0:
            # nor faster than the acceleration limit allows round this radius (v^2 / r <= a/2)
            accel = self.physics.limits.accel_horizontal_m_s2
            speed = min(self._cruise_speed_m_s(), math.sqrt(0.5 * accel * radius_m))
            rate = min(rate, math.degrees(speed / radius_m))
        return rate

    # -- RTL, land, circle ---------------------------------------------------------------
    def _rtl_altitude_up(self) -> float:
        rtl_rel = self.param("RTL_ALT") / 100.0
        current_rel = self.relative_altitude_m
        target_rel = max(rtl_rel, current_rel + self.param("RTL_CLIMB_MIN") / 100.0)
        if self.param("FENCE_ENABLE") and int(self.param("FENCE_TYPE")) & 1:
            target_rel = min(target_rel, self.param("FENCE_ALT_MAX") - self.param("FENCE_MARGIN"))
        return self._up_of_relative(max(target_rel, current_rel if current_rel < 0 else 0.0))

    def _start_rtl(self) -> None:
        if self.on_ground:
            self._start_land(None)
            return
        p = self.physics
        self._rtl_active = True
        self._rtl_stage = RtlStage.CLIMB
        self._rtl_stage_started_s = self.time_s
        self._rtl_climbed_s = None
        self._goto_local(p.north_m, p.east_m, max(p.up_m, self._rtl_altitude_up()), None)

    def _update_rtl(self) -> None:
        p = self.physics
        stage = self._rtl_stage
        if stage == RtlStage.CLIMB and p.up_m >= self._tgt_up - 0.5 and \
                self._rtl_climbed_s is None:
            self._rtl_climbed_s = self.time_s
        if stage == RtlStage.CLIMB and self._rtl_climbed_s is not None and \
                self.time_s - self._rtl_climbed_s >= MODEL.settle_s:
            # each of RTL's stages ends in a stop that ArduCopter checks for the vehicle itself
            home_n, home_e = self._home_local()
            speed = self.param("RTL_SPEED") / 100.0 or None
            self._goto_local(home_n, home_e, self._tgt_up, speed)
            self._rtl_stage = RtlStage.RETURN
        elif stage == RtlStage.RETURN and self.at_target(2.0):
            self._rtl_stage = RtlStage.LOITER
            self._rtl_stage_started_s = self.time_s
        elif stage == RtlStage.LOITER and (
            self.time_s - self._rtl_stage_started_s
            >= MODEL.settle_s + self.param("RTL_LOIT_TIME") / 1000.0
        ):
            final_rel = self.param("RTL_ALT_FINAL") / 100.0
            if final_rel > 0:
                self._goto_local(self._tgt_n, self._tgt_e, self._up_of_relative(final_rel), None)
                self._rtl_stage = RtlStage.FINAL
            else:
                self._rtl_stage = RtlStage.LAND
                self._rtl_active = False
                self._start_land(None)

    def _start_land(self, at_local: tuple[float, float] | None) -> None:
        p = self.physics
        n, e = at_local if at_local is not None else (p.north_m, p.east_m)
        self._land_in_progress = True
        self._landed_complete = False
        if at_local is not None and math.hypot(n - p.north_m, e - p.east_m) > 2.0:
            # fly there first at the current altitude, then descend
            self._goto_local(n, e, p.up_m, None)
            self._land_after_goto = True
            return
        self._land_after_goto = False
        self.guide = Guide.LAND
        self._tgt_n, self._tgt_e = n, e

    def _start_circle_ahead(self) -> None:
        p = self.physics
        radius = max(0.0, self.param("CIRCLE_RADIUS") / 100.0)
        yaw = math.radians(p.heading_deg)
        cn = p.north_m + radius * math.cos(yaw)
        ce = p.east_m + radius * math.sin(yaw)
        rate = self.param("CIRCLE_RATE")
        self._circle = (cn, ce, radius, math.copysign(self._circle_rate_for(radius), rate or 1))
        self._circle_angle_deg = math.degrees(math.atan2(p.east_m - ce, p.north_m - cn))
        self._circle_travel_deg = 0.0
        self._tgt_up = p.up_m
        self.guide = Guide.CIRCLE

    # -- the step -------------------------------------------------------------------------
    def step(self, dt_s: float) -> None:
        """Advance the autopilot and physics by ``dt_s`` seconds of simulated time."""
        if dt_s <= 0:
            return
        self.time_s += dt_s
        if self.gps_ok:
            if self._gps_ok_since_s is None:
                self._gps_ok_since_s = self.time_s
        else:
            self._gps_ok_since_s = None
        if self.armed:
            check_failsafes(self)
        if self.armed and self.mode == Mode.AUTO:
            self.runner.update(dt_s)
        if self.armed and self._rtl_active:
            self._update_rtl()
        if self.armed and self.guide == Guide.GOTO and getattr(self, "_land_after_goto", False):
            if self.at_target(1.0):
                self._land_after_goto = False
                self.guide = Guide.LAND
        if self.guide == Guide.TAKEOFF and self.mode != Mode.AUTO and self.takeoff_complete():
            if self._paused_guide is not None and self.mode == Mode.GUIDED:
                _guide, n, e, up = self._paused_guide
                self._paused_guide = None
                self._goto_local(n, e, up, None)
        update_guidance(self, dt_s)
        self.physics.step(dt_s)
        self._after_physics()

    def _cruise_speed_m_s(self) -> float:
        if self._speed_override_m_s is not None:
            return self._speed_override_m_s
        return max(0.2, self.param("WPNAV_SPEED") / 100.0)

    def _after_physics(self) -> None:
        p = self.physics
        if not self.armed:
            return
        if p.on_ground:
            if self._on_ground_since_s is None:
                self._on_ground_since_s = self.time_s
            grounded_s = self.time_s - self._on_ground_since_s
            if self.guide == Guide.LAND and grounded_s >= LANDED_CONFIRM_S:
                self._landed_complete = True
                if self.mode == Mode.AUTO:
                    self.runner.update(0.0)  # an RTL item completes; a land item may go on
                if self.armed and self.guide != Guide.TAKEOFF:
                    self.disarm_now()
            elif self.guide != Guide.TAKEOFF and grounded_s >= self.param("DISARM_DELAY") > 0:
                self.disarm_now()
        else:
            self._on_ground_since_s = None
        if self.cam_trigger_distance_m > 0 and not p.on_ground:
            if p.distance_travelled_m - self._cam_last_distance_m >= self.cam_trigger_distance_m:
                self.take_photo()
