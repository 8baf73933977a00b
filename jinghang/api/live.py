"""Live vehicle state as JSON: what ``jinghang.flight``'s VehicleState holds, by name.

Reads the documented fields with ``getattr`` so that a field the flight core adds later does
not break the API, and a vehicle without a live link simply has no ``live`` block.
"""

from __future__ import annotations

import dataclasses
import enum
from typing import Any

LIVE_FIELDS = (
    "latitude_deg",
    "longitude_deg",
    "relative_altitude_m",
    "altitude_amsl_m",
    "heading_deg",
    "ground_speed_m_s",
    "climb_rate_m_s",
    "roll_deg",
    "pitch_deg",
    "battery_pct",
    "battery_voltage_v",
    "gps_fix_type",
    "satellites_visible",
    "ekf_ok",
    "mode",
    "armed",
    "mission_current_seq",
    "heartbeat_age_s",
    "link_lost",
    "autopilot",
)


def _plain(value: Any) -> Any:
    kind = type(value)
    if kind is float:
        return None if value != value else value  # NaN is not JSON
    if kind in _SCALARS:
        return value
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (int, float, str)):
        return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {k: _plain(v) for k, v in dataclasses.asdict(value).items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(v) for v in value]
    return value


_SCALARS = frozenset({int, str, bool, type(None)})


def state_to_dict(state: Any) -> dict[str, Any]:
    """The JSON view of one VehicleState."""
    missing = object()
    out: dict[str, Any] = {}
    for name in LIVE_FIELDS:
        value = getattr(state, name, missing)
        if value is not missing:
            out[name] = _plain(value)
    home = getattr(state, "home", None)
    if home is not None:
        out["home"] = {
            k: _plain(getattr(home, k))
            for k in ("latitude_deg", "longitude_deg", "altitude_amsl_m")
            if hasattr(home, k)
        }
    texts = getattr(state, "status_texts", None)
    if texts:
        out["status_texts"] = [str(_plain(t)) for t in list(texts)[-5:]]
    return out


def live_vehicles(services: Any) -> dict[int, Any]:
    """``drone_id -> Vehicle`` of the fleet's live links (empty without a fleet)."""
    fleet = getattr(services, "fleet", None)
    if fleet is None:
        return {}
    return dict(getattr(fleet, "vehicles", {}) or {})
