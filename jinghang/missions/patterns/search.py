"""Search-and-rescue patterns from a datum (IAMSAR): ``expanding_square`` (legs of 1, 1, 2,
2, 3, 3, ... track spacings, turning 90 degrees right) and ``sector_search`` (three
equilateral triangles from the datum, 120 degrees apart)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jinghang.missions import payloads
from jinghang.missions.geo import XY, LocalFrame, polar_xy
from jinghang.missions.geometry import as_latlon
from jinghang.missions.items import MissionItem
from jinghang.missions.patterns.common import Segment, waypoint


def expanding_square_xy(spacing_m: float, legs: int, start_bearing: float) -> list[XY]:
    """Corners of the expanding square, datum first, in the datum's local frame."""
    x, y = 0.0, 0.0
    out: list[XY] = [(x, y)]
    for leg in range(legs):
        length = spacing_m * (leg // 2 + 1)
        dx, dy = polar_xy(length, start_bearing + 90.0 * leg)
        x, y = x + dx, y + dy
        out.append((x, y))
    return out


def expanding_square(point: Any, p: Mapping[str, Any]) -> Segment:
    datum = as_latlon(point, "point")
    altitude_m = float(p["altitude_m"])
    spacing = float(p["track_spacing_m"])
    frame = LocalFrame(*datum)
    corners = frame.many_to_latlon(
        expanding_square_xy(spacing, int(p["legs"]), float(p["start_bearing_deg"]))
    )
    items: list[MissionItem] = [payloads.gimbal(float(p["gimbal_pitch_deg"]))]
    items.append(waypoint(corners[0], altitude_m))
    items.append(payloads.video_start())
    items.extend(waypoint(c, altitude_m) for c in corners[1:])
    items.append(payloads.video_stop())
    return Segment(items=items, altitude_m=altitude_m, lane_spacing_m=spacing)


def sector_search_xy(radius_m: float, start_bearing: float) -> list[XY]:
    """Datum, then three triangles: out at b, across to b+60, back to the datum; b += 120."""
    out: list[XY] = [(0.0, 0.0)]
    for k in range(3):
        b = start_bearing + 120.0 * k
        out.append(polar_xy(radius_m, b))
        out.append(polar_xy(radius_m, b + 60.0))
        out.append((0.0, 0.0))
    return out


def sector_search(point: Any, p: Mapping[str, Any]) -> Segment:
    datum = as_latlon(point, "point")
    altitude_m = float(p["altitude_m"])
    radius = float(p["radius_m"])
    frame = LocalFrame(*datum)
    corners = frame.many_to_latlon(sector_search_xy(radius, float(p["start_bearing_deg"])))
    items: list[MissionItem] = [payloads.gimbal(float(p["gimbal_pitch_deg"]))]
    items.append(waypoint(corners[0], altitude_m))
    items.append(payloads.video_start())
    items.extend(waypoint(c, altitude_m) for c in corners[1:])
    items.append(payloads.video_stop())
    return Segment(items=items, altitude_m=altitude_m, radius_m=radius)
