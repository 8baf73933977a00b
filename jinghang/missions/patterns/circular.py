"""Patterns around a point: ``orbit`` (circles with the camera locked on the point),
``structure_scan`` (stacked orbits from the bottom to the top of a structure) and ``hover``
(hold over a point with payloads: loudspeaker, spotlight, flotation release)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from jinghang.missions import payloads
from jinghang.missions.errors import InputError
from jinghang.missions.geo import LatLon, LocalFrame, bearing_deg, polar_xy
from jinghang.missions.geometry import as_latlon, validate_polygon
from jinghang.missions.items import MissionItem
from jinghang.missions.patterns.common import Segment, loiter_time, points_per_turn, waypoint
from jinghang.missions.patterns.linear import point_actions_off, point_actions_on, point_notes


def circle_points(
    centre: LatLon, radius_m: float, turns: float, start_bearing: float, clockwise: bool
) -> list[LatLon]:
    """Waypoints on a circle of ``radius_m`` (exactly on it), ``turns`` times round."""
    frame = LocalFrame(*centre)
    per_turn = points_per_turn(radius_m)
    count = max(2, round(per_turn * turns))
    step = 360.0 / per_turn * (1 if clockwise else -1)
    xy = [polar_xy(radius_m, start_bearing + i * step) for i in range(count + 1)]
    return frame.many_to_latlon(xy)


def orbit(
    point: Any, p: Mapping[str, Any], *, approach: LatLon | None = None
) -> Segment:
    """``turns`` circles of ``radius_m`` round ``point``, entered on the side of ``approach``."""
    centre = as_latlon(point, "point")
    radius = float(p["radius_m"])
    altitude_m = float(p["altitude_m"])
    start = bearing_deg(centre, approach) if approach and approach != centre else 180.0
    ring = circle_points(centre, radius, float(p["turns"]), start, bool(p["clockwise"]))
    items: list[MissionItem] = [payloads.roi(centre[0], centre[1], 0.0)]
    items.append(waypoint(ring[0], altitude_m))
    items.extend(point_actions_on(p))
    if p.get("video"):
        items.append(payloads.video_start())
    items.extend(waypoint(pt, altitude_m) for pt in ring[1:])
    if p.get("video"):
        items.append(payloads.video_stop())
    items.extend(point_actions_off(p))
    items.append(payloads.roi_none())
    return Segment(items=items, altitude_m=altitude_m, radius_m=radius, notes=point_notes(p))


def structure_layers_m(p: Mapping[str, Any]) -> list[float]:
    """Altitudes of the stacked orbits, bottom to a last one 5 m above the top."""
    bottom = float(p["bottom_altitude_m"])
    top = float(p["structure_height_m"]) + 5.0
    spacing = float(p["layer_spacing_m"])
    count = max(1, math.ceil((top - bottom) / spacing - 1e-9) + 1)
    if count == 1:
        return [max(bottom, top)]
    step = (top - bottom) / (count - 1)
    return [round(bottom + i * step, 2) for i in range(count)]


def structure_scan(
    point: Any = None, area: Sequence[LatLon] | None = None, *, p: Mapping[str, Any]
) -> Segment:
    """Stacked orbits ``standoff_m`` from a point structure or outside a polygon footprint."""
    standoff = float(p["standoff_m"])
    layers = structure_layers_m(p)
    items: list[MissionItem] = []
    if area:
        _, frame, poly = validate_polygon(area, "area")
        ring_xy = list(poly.buffer(standoff, quad_segs=4).simplify(0.5).exterior.coords)[:-1]
        ring = frame.many_to_latlon([(c[0], c[1]) for c in ring_xy])
        ring.append(ring[0])
        centre = frame.to_latlon(poly.centroid.x, poly.centroid.y)
        area_m2: float | None = poly.area
    elif point is not None:
        centre = as_latlon(point, "point")
        ring = circle_points(centre, standoff, 1.0, 180.0, True)
        area_m2 = None
    else:
        raise InputError("structure_scan needs a point or an area", field="point",
                         value=None, limit="a point or an area")
    if p.get("video"):
        items.append(payloads.video_start())
    for altitude in layers:
        items.append(payloads.roi(centre[0], centre[1], altitude))
        items.extend(waypoint(pt, altitude) for pt in ring)
    if p.get("video"):
        items.append(payloads.video_stop())
    items.append(payloads.roi_none())
    return Segment(
        items=items, altitude_m=layers[0], radius_m=standoff, area_m2=area_m2,
    )


def hover(point: Any, p: Mapping[str, Any]) -> Segment:
    """Fly to ``point`` and hold there ``duration_s`` with the payloads switched on."""
    centre = as_latlon(point, "point")
    altitude_m = float(p["altitude_m"])
    items: list[MissionItem] = [waypoint(centre, altitude_m)]
    items.append(payloads.gimbal(float(p["gimbal_pitch_deg"])))
    items.extend(point_actions_on(p))
    if p.get("video"):
        items.append(payloads.video_start())
    items.append(loiter_time(centre, altitude_m, float(p["duration_s"])))
    if p.get("video"):
        items.append(payloads.video_stop())
    items.extend(point_actions_off(p))
    return Segment(items=items, altitude_m=altitude_m, notes=point_notes(p))
