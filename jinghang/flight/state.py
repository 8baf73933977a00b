"""A vehicle's live state, updated from the MAVLink messages it sends. No I/O.

:func:`apply_message` folds one message into a :class:`VehicleState`; every field carries its
unit in its name. This is the state boundary: every number is checked against
:class:`jinghang.flight.sanity.Limits` first, and a non-finite or out-of-range value is not
stored (the state keeps its last good value) but reported to the caller, which flags the
vehicle. Sequence numbers are in the caller's numbering: ArduPilot's home at mission
sequence 0 is removed before they get here (``mission_seq_offset``).
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from jinghang.flight.sanity import DEFAULT_LIMITS, Limits, Rejected, check

#: EKF_STATUS_REPORT flags that must all be set for a usable position estimate.
_EKF_ATTITUDE, _EKF_VELOCITY_HORIZ, _EKF_POS_HORIZ_ABS, _EKF_CONST_POS_MODE = 1, 2, 16, 128
_MAV_MODE_FLAG_SAFETY_ARMED = 128
_MAV_SYS_STATUS_PREARM_CHECK = 0x10000000
STATUS_TEXTS_KEPT = 20


@dataclass(frozen=True, slots=True)
class HomePosition:
    latitude_deg: float
    longitude_deg: float
    altitude_amsl_m: float


@dataclass(frozen=True, slots=True)
class StatusText:
    severity: int
    text: str
    time_s: float


@dataclass(slots=True)
class VehicleState:
    """Everything known about one vehicle right now."""

    system_id: int
    component_id: int = 1
    autopilot: str = "ardupilot"  # "ardupilot" | "px4" | "generic"
    vehicle_type: int = 0  # MAV_TYPE
    latitude_deg: float = math.nan
    longitude_deg: float = math.nan
    relative_altitude_m: float = math.nan
    altitude_amsl_m: float = math.nan
    heading_deg: float = math.nan
    ground_speed_m_s: float = math.nan
    air_speed_m_s: float = math.nan
    climb_rate_m_s: float = math.nan
    roll_deg: float = math.nan
    pitch_deg: float = math.nan
    yaw_deg: float = math.nan
    battery_pct: float | None = None
    battery_voltage_v: float | None = None
    battery_current_a: float | None = None
    gps_fix_type: int = 0
    satellites_visible: int = 0
    ekf_ok: bool | None = None
    #: the vehicle's own pre-arm verdict (SYS_STATUS PREARM_CHECK bit), None if not reported
    prearm_ok: bool | None = None
    ekf_flags: int = 0
    mode: str = "UNKNOWN"
    custom_mode: int = 0
    base_mode: int = 0
    system_status: int = 0  # MAV_STATE
    armed: bool = False
    home: HomePosition | None = None
    mission_current_seq: int | None = None
    mission_reached_seqs: list[int] = field(default_factory=list)
    status_texts: deque[StatusText] = field(default_factory=lambda: deque(maxlen=STATUS_TEXTS_KEPT))
    last_heartbeat_monotonic_s: float | None = None
    link_lost: bool = False
    messages_received: int = 0
    #: frames for this system id refused because they came from another source
    spoofed_frames: int = 0
    last_spoof_source: str | None = None
    #: fields whose last report was refused at the state boundary -> that value (as text)
    rejected_fields: dict[str, str] = field(default_factory=dict)
    rejected_values: int = 0
    #: every command timed out while the vehicle's frames are signed with a key we lack
    signing_lost: bool = False
    above_ceiling: bool = False
    outside_fence: bool = False

    @property
    def heartbeat_age_s(self) -> float | None:
        if self.last_heartbeat_monotonic_s is None:
            return None
        return time.monotonic() - self.last_heartbeat_monotonic_s

    @property
    def has_position(self) -> bool:
        return not math.isnan(self.latitude_deg)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready snapshot (NaN becomes None) for telemetry events and the API."""
        age = self.heartbeat_age_s
        home = self.home
        return {
            "system_id": self.system_id,
            "autopilot": self.autopilot,
            "latitude_deg": _clean(self.latitude_deg),
            "longitude_deg": _clean(self.longitude_deg),
            "relative_altitude_m": _clean(self.relative_altitude_m),
            "altitude_amsl_m": _clean(self.altitude_amsl_m),
            "heading_deg": _clean(self.heading_deg),
            "ground_speed_m_s": _clean(self.ground_speed_m_s),
            "climb_rate_m_s": _clean(self.climb_rate_m_s),
            "roll_deg": _clean(self.roll_deg),
            "pitch_deg": _clean(self.pitch_deg),
            "battery_pct": _clean(self.battery_pct),
            "battery_voltage_v": _clean(self.battery_voltage_v),
            "gps_fix_type": self.gps_fix_type,
            "satellites_visible": self.satellites_visible,
            "ekf_ok": self.ekf_ok,
            "prearm_ok": self.prearm_ok,
            "mode": self.mode,
            "armed": self.armed,
            "home": None
            if home is None
            else {
                "latitude_deg": home.latitude_deg,
                "longitude_deg": home.longitude_deg,
                "altitude_amsl_m": home.altitude_amsl_m,
            },
            "mission_current_seq": self.mission_current_seq,
            "heartbeat_age_s": None if age is None else round(age, 3),
            "link_lost": self.link_lost,
            "spoofed_frames": self.spoofed_frames,
            "rejected_fields": sorted(self.rejected_fields) if self.rejected_fields else [],
            "signing_lost": self.signing_lost,
            "above_ceiling": self.above_ceiling,
            "outside_fence": self.outside_fence,
        }


def _clean(value: float | None) -> float | None:
    """A number for JSON: NaN becomes None, floats are rounded to 7 places."""
    if value is None or value != value:  # NaN is the one float unequal to itself
        return None
    return round(value, 7) if type(value) is float else value


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return str(value).rstrip("\x00")


def _ok(name: str, value: float, limits: Limits, rejected: list[Rejected]) -> bool:
    """Whether ``value`` may be stored as ``name``; refused ones are appended to ``rejected``."""
    problem = check(name, value, limits)
    if problem is None:
        return True
    rejected.append(problem)
    return False


def _set(state: VehicleState, name: str, value: float, limits: Limits,
         rejected: list[Rejected]) -> None:
    problem = check(name, value, limits)
    if problem is None:
        setattr(state, name, float(value))
    else:
        rejected.append(problem)


# One function per message type the state folds: (state, message, limits, rejected, mission
# sequence offset) -> the note for the caller. Messages of any other type cost a dict lookup.
_Fold = Callable[[VehicleState, Any, Limits, list[Rejected], int], str | None]


def _heartbeat(state: VehicleState, m: Any, limits: Limits, rejected: list[Rejected],
               offset: int) -> str | None:
    state.last_heartbeat_monotonic_s = time.monotonic()
    base_mode = int(m.base_mode)
    state.base_mode = base_mode
    state.custom_mode = int(m.custom_mode)
    state.system_status = int(m.system_status)
    state.vehicle_type = int(m.type)
    state.armed = bool(base_mode & _MAV_MODE_FLAG_SAFETY_ARMED)
    return "heartbeat"


def _global_position_int(state: VehicleState, m: Any, limits: Limits,
                         rejected: list[Rejected], offset: int) -> str | None:
    lat, lon = m.lat / 1e7, m.lon / 1e7
    if _ok("latitude_deg", lat, limits, rejected) and _ok("longitude_deg", lon, limits,
                                                          rejected):
        state.latitude_deg, state.longitude_deg = lat, lon  # a position is both or none
    _set(state, "altitude_amsl_m", m.alt / 1000.0, limits, rejected)
    _set(state, "relative_altitude_m", m.relative_alt / 1000.0, limits, rejected)
    if m.hdg != 65535:
        _set(state, "heading_deg", m.hdg / 100.0, limits, rejected)
    _set(state, "ground_speed_m_s", math.hypot(m.vx, m.vy) / 100.0, limits, rejected)
    _set(state, "climb_rate_m_s", -m.vz / 100.0, limits, rejected)
    return None


def _vfr_hud(state: VehicleState, m: Any, limits: Limits, rejected: list[Rejected],
             offset: int) -> str | None:
    _set(state, "ground_speed_m_s", m.groundspeed, limits, rejected)
    _set(state, "air_speed_m_s", m.airspeed, limits, rejected)
    _set(state, "climb_rate_m_s", m.climb, limits, rejected)
    _set(state, "heading_deg", m.heading, limits, rejected)
    return None


_DEG_PER_RAD = 180.0 / math.pi


def _attitude(state: VehicleState, m: Any, limits: Limits, rejected: list[Rejected],
              offset: int) -> str | None:
    _set(state, "roll_deg", float(m.roll) * _DEG_PER_RAD, limits, rejected)
    _set(state, "pitch_deg", float(m.pitch) * _DEG_PER_RAD, limits, rejected)
    yaw = float(m.yaw) * _DEG_PER_RAD
    if _ok("yaw_deg", yaw, limits, rejected):
        state.yaw_deg = yaw % 360.0
    return None


def _sys_status(state: VehicleState, m: Any, limits: Limits, rejected: list[Rejected],
                offset: int) -> str | None:
    if m.onboard_control_sensors_present & _MAV_SYS_STATUS_PREARM_CHECK:
        state.prearm_ok = bool(m.onboard_control_sensors_health & _MAV_SYS_STATUS_PREARM_CHECK)
    if m.voltage_battery not in (0, 65535):
        _set(state, "battery_voltage_v", m.voltage_battery / 1000.0, limits, rejected)
    if m.battery_remaining >= 0:
        _set(state, "battery_pct", m.battery_remaining, limits, rejected)
    if m.current_battery >= 0:
        _set(state, "battery_current_a", m.current_battery / 100.0, limits, rejected)
    return None


def _battery_status(state: VehicleState, m: Any, limits: Limits, rejected: list[Rejected],
                    offset: int) -> str | None:
    if m.battery_remaining >= 0:
        _set(state, "battery_pct", m.battery_remaining, limits, rejected)
    if state.battery_voltage_v is None:
        cells = [v for v in m.voltages if v not in (65535, 0)]
        if cells:
            _set(state, "battery_voltage_v", sum(cells) / 1000.0, limits, rejected)
    return None


def _gps_raw_int(state: VehicleState, m: Any, limits: Limits, rejected: list[Rejected],
                 offset: int) -> str | None:
    state.gps_fix_type = int(m.fix_type)
    visible = m.satellites_visible
    state.satellites_visible = 0 if visible == 255 else int(visible)
    return None


def _ekf_status_report(state: VehicleState, m: Any, limits: Limits,
                       rejected: list[Rejected], offset: int) -> str | None:
    flags = int(m.flags)
    state.ekf_flags = flags
    needed = _EKF_ATTITUDE | _EKF_VELOCITY_HORIZ | _EKF_POS_HORIZ_ABS
    state.ekf_ok = (flags & needed) == needed and not flags & _EKF_CONST_POS_MODE
    return None


def _home_position(state: VehicleState, m: Any, limits: Limits, rejected: list[Rejected],
                   offset: int) -> str | None:
    lat, lon, alt = m.latitude / 1e7, m.longitude / 1e7, m.altitude / 1000.0
    if (
        _ok("home.latitude_deg", lat, limits, rejected)
        and _ok("home.longitude_deg", lon, limits, rejected)
        and _ok("home.altitude_amsl_m", alt, limits, rejected)
    ):
        state.home = HomePosition(lat, lon, alt)
    return None


def _statustext(state: VehicleState, m: Any, limits: Limits, rejected: list[Rejected],
                offset: int) -> str | None:
    state.status_texts.append(StatusText(int(m.severity), _text(m.text), time.time()))
    return "statustext"


def _mission_current(state: VehicleState, m: Any, limits: Limits, rejected: list[Rejected],
                     offset: int) -> str | None:
    if getattr(m, "mission_type", 0) not in (0, None):
        return None
    seq = int(m.seq) - offset
    new = None if seq < 0 else seq
    if new != state.mission_current_seq:
        state.mission_current_seq = new
        # home (ArduPilot's seq 0) is not a caller's item: no progress event for it
        return "mission_current" if new is not None else None
    return None


def _mission_item_reached(state: VehicleState, m: Any, limits: Limits,
                          rejected: list[Rejected], offset: int) -> str | None:
    seq = int(m.seq) - offset
    if seq >= 0:
        state.mission_reached_seqs.append(seq)
        return "item_reached"
    return None


_FOLDS: dict[str, _Fold] = {
    "HEARTBEAT": _heartbeat,
    "GLOBAL_POSITION_INT": _global_position_int,
    "VFR_HUD": _vfr_hud,
    "ATTITUDE": _attitude,
    "SYS_STATUS": _sys_status,
    "BATTERY_STATUS": _battery_status,
    "GPS_RAW_INT": _gps_raw_int,
    "EKF_STATUS_REPORT": _ekf_status_report,
    "HOME_POSITION": _home_position,
    "STATUSTEXT": _statustext,
    "MISSION_CURRENT": _mission_current,
    "MISSION_ITEM_REACHED": _mission_item_reached,
}
#: the message types that change a vehicle's state (others only count as received)
STATE_MESSAGE_TYPES = frozenset(_FOLDS)


def apply_message(
    state: VehicleState,
    message: Any,
    *,
    mission_seq_offset: int = 0,
    limits: Limits = DEFAULT_LIMITS,
    rejected: list[Rejected] | None = None,
) -> str | None:
    """Fold one message into ``state``; return a note for events the vehicle must publish:
    ``"statustext"``, ``"mission_current"``, ``"item_reached"``, ``"heartbeat"`` or None.
    Values refused at the boundary are appended to ``rejected``."""
    state.messages_received += 1
    fold = _FOLDS.get(message.get_type())
    if fold is None:
        return None
    return fold(state, message, limits, rejected if rejected is not None else [],
                mission_seq_offset)
