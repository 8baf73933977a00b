"""Patterns that follow lines: ``corridor`` (passes along a road, river or coastline, offset to
cover its width), ``perimeter`` (the boundary loop of an area, gimbal pointed inward) and
``waypoint_loop`` (a patrol route with holds and loudspeaker messages)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from shapely.geometry import LineString, MultiLineString
from shapely.ops import linemerge

from jinghang.missions import payloads
from jinghang.missions.errors import GeometryError, InputError
from jinghang.missions.geo import LatLon
from jinghang.missions.geometry import as_latlon_list, validate_polygon, validate_route
from jinghang.missions.items import MissionItem
from jinghang.missions.patterns.common import Segment, loiter_time, waypoint
from jinghang.missions.patterns.survey import camera_from, survey_altitude_m


def corridor_offsets_m(width_m: float, footprint_m: float, spacing_m: float) -> list[float]:
    """Offsets of the passes from the centre line so their swaths cover ``width_m``."""
    if width_m <= footprint_m or spacing_m <= 0:
        return [0.0]
    outer = (width_m - footprint_m) / 2
    count = math.ceil((width_m - footprint_m) / spacing_m - 1e-9) + 1
    step = 2 * outer / (count - 1)
    return [-outer + i * step for i in range(count)]


def _offset_line(line: LineString, offset_m: float) -> LineString:
    if abs(offset_m) < 1e-6:
        return line
    moved = line.offset_curve(offset_m, quad_segs=4, join_style="round")
    if isinstance(moved, MultiLineString):
        merged = linemerge(moved)
        if isinstance(merged, MultiLineString):
            merged = max(merged.geoms, key=lambda g: g.length)
        moved = merged
    if moved.is_empty:
        raise GeometryError(
            f"the route is too tight to offset by {offset_m:.1f} m for the corridor width",
            field="width_m", value=abs(offset_m) * 2, limit="a width the route's bends allow",
        )
    return LineString(moved.simplify(0.2).coords)


def corridor(route: Sequence[LatLon], p: Mapping[str, Any]) -> Segment:
    """Passes along ``route`` covering ``width_m``, alternating direction, photos by distance."""
    _, frame, line = validate_route(route, "route")
    camera = camera_from(p)
    altitude_m = survey_altitude_m(p, camera)
    across_m, along_m = camera.footprint_m(altitude_m)
    spacing = p.get("lane_spacing_m") or across_m * (1 - float(p["side_overlap_pct"]) / 100)
    trigger = p.get("trigger_distance_m") or along_m * (1 - float(p["front_overlap_pct"]) / 100)
    offsets = corridor_offsets_m(float(p["width_m"]), across_m, float(spacing))
    items: list[MissionItem] = [payloads.gimbal(float(p["gimbal_pitch_deg"]))]
    if p.get("video"):
        items.append(payloads.video_start())
    for k, offset in enumerate(offsets):
        coords = list(_offset_line(line, offset).coords)
        if k % 2 == 1:
            coords.reverse()
        latlons = frame.many_to_latlon([(c[0], c[1]) for c in coords])
        items.append(waypoint(latlons[0], altitude_m))
        if p.get("photos", True):
            items.append(payloads.camera_trigger_distance(float(trigger)))
        items.extend(waypoint(pt, altitude_m) for pt in latlons[1:])
        if p.get("photos", True):
            items.append(payloads.camera_trigger_distance(0.0, shoot_now=False))
    if p.get("video"):
        items.append(payloads.video_stop())
    spacing_used = offsets[1] - offsets[0] if len(offsets) > 1 else None
    return Segment(
        items=items,
        altitude_m=altitude_m,
        lane_spacing_m=None if spacing_used is None else round(spacing_used, 3),
        gsd_cm_px=camera.gsd_cm_px(altitude_m),
        area_m2=line.length * float(p["width_m"]),
    )


def perimeter(area: Sequence[LatLon], p: Mapping[str, Any]) -> Segment:
    """The boundary loop of ``area`` (inset by ``inset_m``), ``laps`` times, camera inward."""
    _, frame, poly = validate_polygon(area, "area")
    altitude_m = float(p["altitude_m"])
    inset = float(p["inset_m"])
    ring_poly = poly.buffer(-inset, join_style="mitre") if inset else poly
    if ring_poly.is_empty or ring_poly.geom_type != "Polygon":
        raise GeometryError(
            f"an inset of {inset:g} m leaves no single loop inside the area",
            field="inset_m", value=inset, limit="less than half the area's narrowest width",
        )
    ring = list(ring_poly.exterior.coords)[:-1]
    latlons = frame.many_to_latlon([(c[0], c[1]) for c in ring])
    centre = frame.to_latlon(poly.centroid.x, poly.centroid.y)
    items: list[MissionItem] = [payloads.roi(centre[0], centre[1], 0.0)]
    if p.get("video"):
        items.append(payloads.video_start())
    for _ in range(int(p["laps"])):
        items.extend(waypoint(pt, altitude_m) for pt in latlons)
    items.append(waypoint(latlons[0], altitude_m))
    if p.get("video"):
        items.append(payloads.video_stop())
    items.append(payloads.roi_none())
    return Segment(items=items, altitude_m=altitude_m, area_m2=poly.area)


def point_actions_on(p: Mapping[str, Any]) -> list[MissionItem]:
    """Payload actions switched on over a point (loudspeaker, spotlight, release)."""
    out: list[MissionItem] = []
    if p.get("loudspeaker"):
        out.append(payloads.loudspeaker(True))
    if p.get("spotlight"):
        out.append(payloads.spotlight(True))
    if p.get("release"):
        out.append(payloads.release())
    return out


def point_actions_off(p: Mapping[str, Any]) -> list[MissionItem]:
    out: list[MissionItem] = []
    if p.get("loudspeaker"):
        out.append(payloads.loudspeaker(False))
    if p.get("spotlight"):
        out.append(payloads.spotlight(False))
    return out


def point_notes(p: Mapping[str, Any]) -> list[str]:
    if p.get("loudspeaker") and p.get("message"):
        return [f"loudspeaker (relay {payloads.LOUDSPEAKER_RELAY}): {p['message']}"]
    return []


def waypoint_loop(points: Sequence[LatLon], p: Mapping[str, Any]) -> Segment:
    """A patrol through ``points``, ``laps`` times, holding ``hold_s`` with payloads at each."""
    pts = as_latlon_list(points, "points")
    if not pts:
        raise InputError("points needs at least one point", field="points", value=0,
                         limit=">= 1 point")
    altitude_m = float(p["altitude_m"])
    hold = float(p["hold_s"])
    if (p.get("loudspeaker") or p.get("spotlight")) and hold <= 0:
        hold = 10.0
    items: list[MissionItem] = []
    if p.get("video"):
        items.append(payloads.video_start())
    for _ in range(int(p["laps"])):
        for pt in pts:
            if hold > 0:
                items.append(waypoint(pt, altitude_m))
                items.extend(point_actions_on(p))
                items.append(loiter_time(pt, altitude_m, hold))
                items.extend(point_actions_off(p))
            else:
                items.append(waypoint(pt, altitude_m))
    if p.get("video"):
        items.append(payloads.video_stop())
    return Segment(items=items, altitude_m=altitude_m, notes=point_notes(p))
