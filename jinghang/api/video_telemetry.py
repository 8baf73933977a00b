"""What the video shows of a drone's telemetry: its name, position, altitude and heading.

``fleet_osd(services, drone_id)`` reads the fleet's live state of the drone (a video drone id
is its register drone id as text) into an :class:`~jinghang.video.osd.OsdInfo`: the transcoded
picture's on-screen display and a snapshot's metadata both come from it, and the console's
overlay on passed-through video shows the same fields from the same state over the WebSocket.
"""

from __future__ import annotations

import math
from typing import Any

from jinghang.api.live import live_vehicles
from jinghang.video.osd import OsdInfo, OsdSource


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def fleet_osd(services: Any, drone_id: str) -> OsdInfo:
    """The drone's live telemetry as display fields (only the id when it has no live link)."""
    vehicle = live_vehicles(services).get(int(drone_id)) if drone_id.isdigit() else None
    state = getattr(vehicle, "state", None)
    if state is None or not getattr(state, "has_position", True):
        return OsdInfo(drone_id=drone_id)
    mode = getattr(state, "mode", "")
    return OsdInfo(
        drone_id=drone_id,
        latitude_deg=_number(getattr(state, "latitude_deg", None)),
        longitude_deg=_number(getattr(state, "longitude_deg", None)),
        relative_altitude_m=_number(getattr(state, "relative_altitude_m", None)),
        heading_deg=_number(getattr(state, "heading_deg", None)),
        mission=str(getattr(mode, "name", mode) or ""),
    )


def fleet_osd_source(services: Any, drone_id: str) -> OsdSource:
    """An on-screen display source for the gateway that reads the fleet each frame."""
    return lambda: fleet_osd(services, drone_id)
