"""Ground coverage helpers for the tests: photo footprints and camera swaths in a local frame."""

from __future__ import annotations

import math

from shapely.geometry import LineString, Polygon
from shapely.ops import unary_union

from jinghang.missions.camera import CameraModel
from jinghang.missions.estimate import photo_positions
from jinghang.missions.geo import LocalFrame
from jinghang.missions.plan import MissionPlan


def footprint(x: float, y: float, heading_deg: float, across_m: float, along_m: float) -> Polygon:
    """The ground rectangle of one nadir photo centred at (x, y), long side across track."""
    h = math.radians(heading_deg)
    ax, ay = math.sin(h), math.cos(h)  # along-track unit vector (east, north)
    cx, cy = ay, -ax  # across-track unit vector
    a, c = along_m / 2, across_m / 2
    return Polygon([
        (x + ax * a + cx * c, y + ay * a + cy * c),
        (x + ax * a - cx * c, y + ay * a - cy * c),
        (x - ax * a - cx * c, y - ay * a - cy * c),
        (x - ax * a + cx * c, y - ay * a + cy * c),
    ])


def photo_coverage(plan: MissionPlan, area: list[tuple[float, float]],
                   camera: CameraModel) -> float:
    """Fraction of ``area`` inside the union of the plan's photo footprints."""
    frame = LocalFrame.around(area)
    poly = Polygon(frame.many_to_xy(area))
    prints = []
    for photo in photo_positions(plan.items, plan.launch_point()):
        across, along = camera.footprint_m(photo.altitude_m)
        x, y = frame.to_xy(photo.latitude_deg, photo.longitude_deg)
        prints.append(footprint(x, y, photo.heading_deg, across, along))
    covered = unary_union(prints).intersection(poly).area
    return covered / poly.area


def swath_coverage(plan: MissionPlan, route: list[tuple[float, float]], width_m: float,
                   swath_m: float) -> float:
    """Fraction of the corridor (``route`` buffered to ``width_m``) inside the camera swaths of
    the plan's flight path at ``swath_m`` wide."""
    frame = LocalFrame.around(route)
    corridor = LineString(frame.many_to_xy(route)).buffer(width_m / 2, cap_style="flat")
    path = [frame.to_xy(it.latitude_deg, it.longitude_deg) for _, it in plan.nav_items()]
    # the footprint sweeps round each waypoint as the drone turns: a round join, flat ends
    swath = LineString(path).buffer(swath_m / 2, cap_style="flat", join_style="round")
    return swath.intersection(corridor).area / corridor.area
