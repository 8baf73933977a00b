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

        def clean(value: float | None) -> float | None:
            if value is None or (isinstance(value, float) and math.isnan(value)):
                return None
            return round(value, 7) if isinstance(value, float) else value

        age = self.heartbeat_age_s
        return {
            "system_id": self.system_id,
            "autopilot": self.autopilot,
            "latitude_deg": clean(self.latitude_deg),
            "longitude_deg": clean(self.longitude_deg),
            "relative_altitude_m": clean(self.relative_altitude_m),
            "altitude_amsl_m": clean(self.altitude_amsl_m),
            "heading_deg": clean(self.heading_deg),
            "ground_speed_m_s": clean(self.ground_speed_m_s),
            "climb_rate_m_s": clean(self.climb_rate_m_s),
            "roll_deg": clean(self.roll_deg),
            "pitch_deg": clean(self.pitch_deg),
            "battery_pct": clean(self.battery_pct),
            "battery_voltage_v": clean(self.battery_voltage_v),
            "gps_fix_type": self.gps_fix_type,
            "satellites_visible": self.satellites_visible,
            "ekf_ok": self.ekf_ok,
            "prearm_ok": self.prearm_ok,
            "mode": self.mode,
            "armed": self.armed,
            "home": None
            if self.home is None
            else {
                "latitude_deg": self.home.latitude_deg,
                "longitude_deg": self.home.longitude_deg,
                "altitude_amsl_m": self.home.altitude_amsl_m,
            },
            "mission_current_seq": self.mission_current_seq,
            "heartbeat_age_s": None if age is None else round(age, 3),
            "link_lost": self.link_lost,
            "spoofed_frames": self.spoofed_frames,
            "rejected_fields": sorted(self.rejected_fields),
            "signing_lost": self.signing_lost,
            "above_ceiling": self.above_ceiling,
            "outside_fence": self.outside_fence,
        }


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return str(value).rstrip("\x00")


class _Boundary:
    """Sets checked values on a state, collecting the refused ones."""

    __slots__ = ("limits", "rejected", "state")

    def __init__(self, state: VehicleState, limits: Limits, rejected: list[Rejected]) -> None:
        self.state, self.limits, self.rejected = state, limits, rejected

    def ok(self, field_name: str, value: float) -> bool:
        problem = check(field_name, value, self.limits)
        if problem is None:
            return True
        self.rejected.append(problem)
        return False

    def set(self, field_name: str, value: float) -> None:
        if self.ok(field_name, value):
            setattr(self.state, field_name, float(value))


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
    kind = message.get_type()
    state.messages_received += 1
    b = _Boundary(state, limits, rejected if rejected is not None else [])
    if kind == "HEARTBEAT":
        state.last_heartbeat_monotonic_s = time.monotonic()
        state.base_mode = int(message.base_mode)
        state.custom_mode = int(message.custom_mode)
        state.system_status = int(message.system_status)
        state.vehicle_type = int(message.type)
        state.armed = bool(message.base_mode & _MAV_MODE_FLAG_SAFETY_ARMED)
        return "heartbeat"
    if kind == "GLOBAL_POSITION_INT":
        lat, lon = message.lat / 1e7, message.lon / 1e7
        if b.ok("latitude_deg", lat) and b.ok("longitude_deg", lon):
            state.latitude_deg, state.longitude_deg = lat, lon  # a position is both or none
        b.set("altitude_amsl_m", message.alt / 1000.0)
        b.set("relative_altitude_m", message.relative_alt / 1000.0)
        if message.hdg != 65535:
            b.set("heading_deg", message.hdg / 100.0)
        b.set("ground_speed_m_s", math.hypot(message.vx, message.vy) / 100.0)
        b.set("climb_rate_m_s", -message.vz / 100.0)
    elif kind == "VFR_HUD":
        b.set("ground_speed_m_s", float(message.groundspeed))
        b.set("air_speed_m_s", float(message.airspeed))
        b.set("climb_rate_m_s", float(message.climb))
        b.set("heading_deg", float(message.heading))
    elif kind == "ATTITUDE":
        roll, pitch, yaw = (math.degrees(float(v)) for v in (message.roll, message.pitch,
                                                            message.yaw))
        b.set("roll_deg", roll)
        b.set("pitch_deg", pitch)
        if b.ok("yaw_deg", yaw):
            state.yaw_deg = yaw % 360.0
    elif kind == "SYS_STATUS":
        if message.onboard_control_sensors_present & _MAV_SYS_STATUS_PREARM_CHECK:
            state.prearm_ok = bool(
                message.onboard_control_sensors_health & _MAV_SYS_STATUS_PREARM_CHECK
            )
        if message.voltage_battery not in (0, 65535):
            b.set("battery_voltage_v", message.voltage_battery / 1000.0)
        if message.battery_remaining >= 0:
            b.set("battery_pct", float(message.battery_remaining))
        if message.current_battery >= 0:
            b.set("battery_current_a", message.current_battery / 100.0)
    elif kind == "BATTERY_STATUS":
        if message.battery_remaining >= 0:
            b.set("battery_pct", float(message.battery_remaining))
        cells = [v for v in message.voltages if v not in (65535, 0)]
        if cells and state.battery_voltage_v is None:
            b.set("battery_voltage_v", sum(cells) / 1000.0)
    elif kind == "GPS_RAW_INT":
        state.gps_fix_type = int(message.fix_type)
        state.satellites_visible = 0 if message.satellites_visible == 255 else int(
            message.satellites_visible
        )
    elif kind == "EKF_STATUS_REPORT":
        flags = int(message.flags)
        state.ekf_flags = flags
        needed = _EKF_ATTITUDE | _EKF_VELOCITY_HORIZ | _EKF_POS_HORIZ_ABS
        state.ekf_ok = (flags & needed) == needed and not flags & _EKF_CONST_POS_MODE
    elif kind == "HOME_POSITION":
        lat, lon, alt = message.latitude / 1e7, message.longitude / 1e7, message.altitude / 1000.0
        if (
            b.ok("home.latitude_deg", lat)
            and b.ok("home.longitude_deg", lon)
            and b.ok("home.altitude_amsl_m", alt)
        ):
            state.home = HomePosition(lat, lon, alt)
    elif kind == "STATUSTEXT":
        state.status_texts.append(
            StatusText(int(message.severity), _text(message.text), time.time())
        )
        return "statustext"
    elif kind == "MISSION_CURRENT":
        if getattr(message, "mission_type", 0) not in (0, None):
            return None
        seq = int(message.seq) - mission_seq_offset
        new = None if seq < 0 else seq
        if new != state.mission_current_seq:
            state.mission_current_seq = new
            # home (ArduPilot's seq 0) is not a caller's item: no progress event for it
            return "mission_current" if new is not None else None
    elif kind == "MISSION_ITEM_REACHED":
        seq = int(message.seq) - mission_seq_offset
        if seq >= 0:
            state.mission_reached_seqs.append(seq)
            return "item_reached"
    return None
