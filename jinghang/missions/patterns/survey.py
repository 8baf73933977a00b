"""``area_survey``: boustrophedon lanes over a polygon at the spacing the camera footprint and
side overlap give, photos triggered by distance along each lane, optional crosshatch (a second
pass at 90 degrees) and oblique gimbal.

Each lane is responsible for a band of the polygon as wide as the lane spacing; it runs from
where that band enters the polygon to where it leaves (split where a concave polygon leaves
and re-enters), so the photo footprints cover the whole polygon, corners included.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from typing import Any

from shapely import affinity
from shapely.geometry import Polygon, box

from jinghang.missions import payloads
from jinghang.missions.camera import CAMERAS, CameraModel
from jinghang.missions.errors import TooManyItemsError
from jinghang.missions.geo import XY, LatLon, LocalFrame
from jinghang.missions.geometry import validate_polygon
from jinghang.missions.items import MissionItem
from jinghang.missions.patterns.common import Segment, waypoint

#: A survey that would need more lanes than this is refused before it is built.
MAX_LANES = 5000


def camera_from(p: Mapping[str, Any]) -> CameraModel:
    return CAMERAS[str(p.get("camera", "phantom4pro"))]


def survey_altitude_m(p: Mapping[str, Any], camera: CameraModel) -> float:
    """The altitude a survey flies: from the GSD when one is asked for, else ``altitude_m``."""
    gsd = p.get("gsd_cm_px")
    if gsd:
        return round(camera.altitude_for_gsd_m(float(gsd)), 2)
    return float(p["altitude_m"])


def longest_side_bearing_deg(poly: Polygon) -> float:
    """Bearing of the long side of the polygon's minimum rotated rectangle (fewest turns)."""
    rect = poly.minimum_rotated_rectangle
    coords = list(rect.exterior.coords)
    best = (0.0, 0.0)
    for a, b in itertools.pairwise(coords):
        dx, dy = b[0] - a[0], b[1] - a[1]
        if math.hypot(dx, dy) > math.hypot(*best):
            best = (dx, dy)
    return math.degrees(math.atan2(best[0], best[1])) % 180.0


def lane_segments(
    poly: Polygon, bearing_deg: float, spacing_m: float, margin_m: float
) -> list[tuple[XY, XY]]:
    """Lanes (start, end) in the local frame, in flying order, alternating direction."""
    math_angle = 90.0 - bearing_deg
    rotated = affinity.rotate(poly, -math_angle, origin=(0, 0))
    minx, miny, maxx, maxy = rotated.bounds
    height = maxy - miny
    count = max(1, math.ceil(height / spacing_m - 1e-9))
    if count > MAX_LANES:
        raise TooManyItemsError(
            f"the survey would need {count} lanes at {spacing_m:.2f} m spacing",
            field="lane_spacing_m",
            value=round(spacing_m, 3),
            limit=f"<= {MAX_LANES} lanes",
        )
    first_y = miny + (height - count * spacing_m) / 2 + spacing_m / 2
    segments: list[tuple[XY, XY]] = []
    for k in range(count):
        y = first_y + k * spacing_m
        band = box(minx - 1, y - spacing_m / 2, maxx + 1, y + spacing_m / 2).intersection(rotated)
        ranges = sorted(
            (g.bounds[0], g.bounds[2])
            for g in getattr(band, "geoms", [band])
            if not g.is_empty and g.area > 0
        )
        merged: list[list[float]] = []
        for lo, hi in ranges:
            if merged and lo <= merged[-1][1] + 2 * margin_m:
                merged[-1][1] = max(merged[-1][1], hi)
            else:
                merged.append([lo, hi])
        lane = [((lo - margin_m, y), (hi + margin_m, y)) for lo, hi in merged]
        if k % 2 == 1:
            lane = [(b, a) for a, b in reversed(lane)]
        segments.extend(lane)
    back = math.radians(math_angle)
    cos_a, sin_a = math.cos(back), math.sin(back)

    def unrotate(pt: XY) -> XY:
        return pt[0] * cos_a - pt[1] * sin_a, pt[0] * sin_a + pt[1] * cos_a

    return [(unrotate(a), unrotate(b)) for a, b in segments]


def area_survey(area: Sequence[LatLon], p: Mapping[str, Any]) -> Segment:
    """The survey of ``area`` (lat/lon vertices) with parameters ``p`` (see ``params``)."""
    _, frame, poly = validate_polygon(area, "area")
    camera = camera_from(p)
    altitude_m = survey_altitude_m(p, camera)
    spacing = p.get("lane_spacing_m") or camera.lane_spacing_m(
        altitude_m, float(p["side_overlap_pct"])
    )
    trigger = p.get("trigger_distance_m") or camera.trigger_distance_m(
        altitude_m, float(p["front_overlap_pct"])
    )
    along_m = camera.footprint_m(altitude_m)[1]
    margin_m = max(0.0, trigger - along_m / 2) + 1.0
    bearing = p.get("angle_deg")
    if bearing is None:
        bearing = longest_side_bearing_deg(poly)
    passes = [float(bearing)]
    if p.get("crosshatch"):
        passes.append(float(bearing) + 90.0)
    items: list[MissionItem] = [payloads.gimbal(float(p["gimbal_pitch_deg"]))]
    if p.get("video"):
        items.append(payloads.video_start())
    for pass_bearing in passes:
        items.extend(
            _lanes_to_items(frame, lane_segments(poly, pass_bearing, spacing, margin_m),
                            altitude_m, trigger if p.get("photos", True) else 0.0)
        )
    if p.get("video"):
        items.append(payloads.video_stop())
    return Segment(
        items=items,
        altitude_m=altitude_m,
        lane_spacing_m=round(float(spacing), 3),
        gsd_cm_px=camera.gsd_cm_px(altitude_m),
        area_m2=poly.area,
    )


def _lanes_to_items(
    frame: LocalFrame, lanes: list[tuple[XY, XY]], altitude_m: float, trigger_m: float
) -> list[MissionItem]:
    items: list[MissionItem] = []
    for start, end in lanes:
        items.append(waypoint(frame.to_latlon(*start), altitude_m))
        if trigger_m > 0:
            items.append(payloads.camera_trigger_distance(trigger_m))
        items.append(waypoint(frame.to_latlon(*end), altitude_m))
        if trigger_m > 0:
            items.append(payloads.camera_trigger_distance(0.0, shoot_now=False))
    return items
