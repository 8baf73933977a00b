"""The geofence as ArduCopter checks it: maximum altitude, a circle about home, and the
inclusion/exclusion polygons and circles uploaded as the fence mission type.

Pure geometry: :func:`breaches` takes the vehicle's position and returns which fences it is
outside of (FENCE_TYPE bits: 1 altitude max, 2 circle, 4 polygon, 8 altitude min).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from jinghang.mavlink.constants import (
    FENCE_TYPE_ALT_MAX,
    FENCE_TYPE_ALT_MIN,
    FENCE_TYPE_CIRCLE,
    FENCE_TYPE_POLYGON,
)
from jinghang.missions.items import Cmd, MissionItem
from jinghang.simulator.geo import ne_offset_m

FENCE_ALT_MAX = FENCE_TYPE_ALT_MAX
FENCE_CIRCLE = FENCE_TYPE_CIRCLE
FENCE_POLYGON = FENCE_TYPE_POLYGON
FENCE_ALT_MIN = FENCE_TYPE_ALT_MIN


@dataclass(slots=True)
class FenceShapes:
    """Polygons (lists of lat/lon vertices) and circles (lat, lon, radius_m)."""

    inclusion_polygons: list[list[tuple[float, float]]] = field(default_factory=list)
    exclusion_polygons: list[list[tuple[float, float]]] = field(default_factory=list)
    inclusion_circles: list[tuple[float, float, float]] = field(default_factory=list)
    exclusion_circles: list[tuple[float, float, float]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (
            self.inclusion_polygons
            or self.exclusion_polygons
            or self.inclusion_circles
            or self.exclusion_circles
        )


def shapes_from_items(items: Sequence[MissionItem]) -> FenceShapes:
    """Group fence items into shapes; a polygon's vertices share a count in param1."""
    shapes = FenceShapes()
    i = 0
    while i < len(items):
        item = items[i]
        cmd = int(item.command)
        if cmd in (Cmd.NAV_FENCE_POLYGON_VERTEX_INCLUSION, Cmd.NAV_FENCE_POLYGON_VERTEX_EXCLUSION):
            count = max(1, int(item.param1))
            vertices = [
                (v.latitude_deg, v.longitude_deg)
                for v in items[i : i + count]
                if int(v.command) == cmd
            ]
            if len(vertices) >= 3:
                if cmd == Cmd.NAV_FENCE_POLYGON_VERTEX_INCLUSION:
                    shapes.inclusion_polygons.append(vertices)
                else:
                    shapes.exclusion_polygons.append(vertices)
            i += max(1, len(vertices))
            continue
        if cmd == Cmd.NAV_FENCE_CIRCLE_INCLUSION:
            shapes.inclusion_circles.append((item.latitude_deg, item.longitude_deg, item.param1))
        elif cmd == Cmd.NAV_FENCE_CIRCLE_EXCLUSION:
            shapes.exclusion_circles.append((item.latitude_deg, item.longitude_deg, item.param1))
        i += 1
    return shapes


def _inside_polygon(lat: float, lon: float, polygon: list[tuple[float, float]]) -> bool:
    # ray casting in a local metric frame about the point itself
    pts = [ne_offset_m(lat, lon, vlat, vlon) for vlat, vlon in polygon]
    inside = False
    n = len(pts)
    for k in range(n):
        y1, x1 = pts[k]
        y2, x2 = pts[(k + 1) % n]
        if (y1 > 0) != (y2 > 0):
            x_cross = x1 + (0 - y1) * (x2 - x1) / (y2 - y1)
            if x_cross > 0:
                inside = not inside
    return inside


def _inside_circle(lat: float, lon: float, circle: tuple[float, float, float]) -> bool:
    north, east = ne_offset_m(circle[0], circle[1], lat, lon)
    return math.hypot(north, east) <= circle[2]


def breaches(
    *,
    fence_type: int,
    latitude_deg: float,
    longitude_deg: float,
    relative_altitude_m: float,
    home_latitude_deg: float,
    home_longitude_deg: float,
    alt_max_m: float,
    alt_min_m: float,
    radius_m: float,
    shapes: FenceShapes,
) -> int:
    """The FENCE_TYPE bits of the fences the position is outside of (0 = inside all)."""
    out = 0
    if fence_type & FENCE_ALT_MAX and relative_altitude_m > alt_max_m:
        out |= FENCE_ALT_MAX
    if fence_type & FENCE_ALT_MIN and relative_altitude_m < alt_min_m:
        out |= FENCE_ALT_MIN
    if fence_type & FENCE_CIRCLE and radius_m > 0:
        north, east = ne_offset_m(
            home_latitude_deg, home_longitude_deg, latitude_deg, longitude_deg
        )
        if math.hypot(north, east) > radius_m:
            out |= FENCE_CIRCLE
    if fence_type & FENCE_POLYGON and not shapes.empty:
        lat, lon = latitude_deg, longitude_deg
        outside = any(not _inside_polygon(lat, lon, p) for p in shapes.inclusion_polygons)
        outside = outside or any(not _inside_circle(lat, lon, c) for c in shapes.inclusion_circles)
        outside = outside or any(_inside_polygon(lat, lon, p) for p in shapes.exclusion_polygons)
        outside = outside or any(_inside_circle(lat, lon, c) for c in shapes.exclusion_circles)
        if outside:
            out |= FENCE_POLYGON
    return out
