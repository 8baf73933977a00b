"""Fence geometry: which fences a position is outside of."""

from __future__ import annotations

from jinghang.missions.items import Cmd, MissionItem, MissionType
from jinghang.simulator.fence import (
    FENCE_ALT_MAX,
    FENCE_CIRCLE,
    FENCE_POLYGON,
    breaches,
    shapes_from_items,
)
from jinghang.simulator.geo import offset_deg

HOME = (37.5, 122.1)


def pt(north_m: float, east_m: float) -> tuple[float, float]:
    return offset_deg(HOME[0], HOME[1], north_m, east_m)


def check(north_m: float, east_m: float, alt_m: float, fence_type: int, items=()) -> int:  # type: ignore[no-untyped-def]
    lat, lon = pt(north_m, east_m)
    return breaches(
        fence_type=fence_type,
        latitude_deg=lat,
        longitude_deg=lon,
        relative_altitude_m=alt_m,
        home_latitude_deg=HOME[0],
        home_longitude_deg=HOME[1],
        alt_max_m=100,
        alt_min_m=-10,
        radius_m=150,
        shapes=shapes_from_items(list(items)),
    )


def polygon(cmd: int, corners: list[tuple[float, float]]) -> list[MissionItem]:
    return [
        MissionItem(
            cmd,
            0,
            param1=len(corners),
            latitude_deg=lat,
            longitude_deg=lon,
            mission_type=MissionType.FENCE,
        )
        for lat, lon in (pt(n, e) for n, e in corners)
    ]


def test_altitude_and_circle() -> None:
    assert check(0, 0, 50, FENCE_ALT_MAX | FENCE_CIRCLE) == 0
    assert check(0, 0, 101, FENCE_ALT_MAX | FENCE_CIRCLE) == FENCE_ALT_MAX
    assert check(120, 100, 50, FENCE_ALT_MAX | FENCE_CIRCLE) == FENCE_CIRCLE
    assert check(120, 100, 50, FENCE_ALT_MAX) == 0  # circle not enabled


def test_inclusion_and_exclusion_polygons() -> None:
    keep_in = polygon(
        Cmd.NAV_FENCE_POLYGON_VERTEX_INCLUSION, [(-50, -50), (-50, 50), (50, 50), (50, -50)]
    )
    keep_out = polygon(
        Cmd.NAV_FENCE_POLYGON_VERTEX_EXCLUSION, [(10, 10), (10, 20), (20, 20), (20, 10)]
    )
    items = keep_in + keep_out
    assert check(0, 0, 10, FENCE_POLYGON, items) == 0
    assert check(60, 0, 10, FENCE_POLYGON, items) == FENCE_POLYGON
    assert check(15, 15, 10, FENCE_POLYGON, items) == FENCE_POLYGON
    assert check(60, 0, 10, FENCE_CIRCLE, items) == 0


def test_circle_shapes_and_malformed_polygons_are_ignored() -> None:
    lat, lon = pt(0, 0)
    circle_in = [
        MissionItem(
            Cmd.NAV_FENCE_CIRCLE_INCLUSION,
            0,
            param1=30,
            latitude_deg=lat,
            longitude_deg=lon,
            mission_type=MissionType.FENCE,
        )
    ]
    assert check(20, 0, 10, FENCE_POLYGON, circle_in) == 0
    assert check(40, 0, 10, FENCE_POLYGON, circle_in) == FENCE_POLYGON
    two_vertices = polygon(Cmd.NAV_FENCE_POLYGON_VERTEX_EXCLUSION, [(0, 0), (10, 10)])
    assert shapes_from_items(two_vertices).empty


def test_fence_names_as_arducopter_words_them() -> None:
    from jinghang.simulator.failsafes import fence_names

    assert fence_names(FENCE_CIRCLE) == "Circle fence"
    assert fence_names(FENCE_ALT_MAX | FENCE_CIRCLE) == "Max Alt and Circle fences"
    assert fence_names(FENCE_ALT_MAX | FENCE_CIRCLE | FENCE_POLYGON) == (
        "Max Alt, Circle and Polygon fences"
    )
