"""What every flight pattern returns (:class:`Segment`) and the small item builders they
share. A pattern makes the body of a mission; the compiler adds takeoff, speed and the end."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from jinghang.missions.geo import LatLon
from jinghang.missions.items import Cmd, Frame, MissionItem


@dataclass
class Segment:
    """The items of one pattern and the geometry facts the checks and estimates need."""

    items: list[MissionItem]
    altitude_m: float
    lane_spacing_m: float | None = None
    radius_m: float | None = None
    gsd_cm_px: float | None = None
    area_m2: float | None = None
    notes: list[str] = field(default_factory=list)

    def first_position(self) -> LatLon | None:
        for item in self.items:
            if item.command in (Cmd.NAV_WAYPOINT, Cmd.NAV_LOITER_TIME):
                return item.latitude_deg, item.longitude_deg
        return None

    def last_position(self) -> LatLon | None:
        for item in reversed(self.items):
            if item.command in (Cmd.NAV_WAYPOINT, Cmd.NAV_LOITER_TIME):
                return item.latitude_deg, item.longitude_deg
        return None


def waypoint(position: LatLon, altitude_m: float, hold_s: float = 0.0) -> MissionItem:
    """NAV_WAYPOINT at a position, altitude above home, optional hold in seconds."""
    return MissionItem(
        Cmd.NAV_WAYPOINT,
        Frame.GLOBAL_RELATIVE_ALT,
        param1=hold_s,
        latitude_deg=position[0],
        longitude_deg=position[1],
        altitude_m=altitude_m,
    )


def loiter_time(position: LatLon, altitude_m: float, hold_s: float) -> MissionItem:
    """NAV_LOITER_TIME: hold over a position for ``hold_s`` seconds."""
    return MissionItem(
        Cmd.NAV_LOITER_TIME,
        Frame.GLOBAL_RELATIVE_ALT,
        param1=hold_s,
        latitude_deg=position[0],
        longitude_deg=position[1],
        altitude_m=altitude_m,
    )


def points_per_turn(radius_m: float) -> int:
    """Waypoints per circle so that a chord strays at most ~1% of the radius (>= 0.5 m)."""
    tolerance_m = max(0.5, 0.01 * radius_m)
    if radius_m <= tolerance_m:
        return 8
    n = math.ceil(math.pi / math.acos(1.0 - tolerance_m / radius_m))
    return max(8, min(72, n))
