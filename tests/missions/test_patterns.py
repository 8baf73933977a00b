"""The flight patterns: surveys cover their area, corridors their width, orbits stay on their
radius, the SAR patterns have the IAMSAR shape, and every mission starts with a takeoff and
ends with a return or a landing."""

from __future__ import annotations

import itertools
import math

import pytest

from jinghang.missions.camera import CAMERAS
from jinghang.missions.compile import compile_pattern, compile_template
from jinghang.missions.geo import LocalFrame, distance_m
from jinghang.missions.items import Cmd
from jinghang.missions.patterns.linear import corridor_offsets_m
from tests.missions import weihai
from tests.missions.coverage import photo_coverage, swath_coverage

CAMERA = CAMERAS["phantom4pro"]

TRIANGLE = [(37.4495, 121.9955), (37.4497, 121.9990), (37.4520, 121.9970)]


@pytest.mark.parametrize(
    ("area", "params"),
    [
        (weihai.FIELD, {"gsd_cm_px": 2.0}),
        (weihai.L_BLOCK, {"gsd_cm_px": 1.5, "side_overlap_pct": 75}),
        (TRIANGLE, {"altitude_m": 60, "angle_deg": 33}),
        (weihai.FIELD, {"gsd_cm_px": 2.0, "crosshatch": True}),
        (weihai.FIELD, {"altitude_m": 120, "side_overlap_pct": 40, "front_overlap_pct": 50}),
    ],
    ids=["field", "concave", "triangle-angled", "crosshatch", "low-overlap"],
)
def test_survey_photos_cover_the_area(area, params) -> None:
    plan = compile_pattern("area_survey", {"area": area}, params)
    assert photo_coverage(plan, area, CAMERA) >= 0.99
    assert plan.photo_count > 0
    assert plan.area_m2 is not None and plan.area_m2 > 1000


def test_survey_lane_spacing_and_trigger_follow_camera_and_overlaps() -> None:
    plan = compile_pattern(
        "area_survey", {"area": weihai.FIELD},
        {"gsd_cm_px": 2.0, "side_overlap_pct": 70, "front_overlap_pct": 80},
    )
    altitude = CAMERA.altitude_for_gsd_m(2.0)
    across, along = CAMERA.footprint_m(altitude)
    assert plan.gsd_cm_px == pytest.approx(2.0, rel=1e-3)
    assert plan.lane_spacing_m == pytest.approx(across * 0.3, rel=1e-3)
    triggers = [i.param1 for i in plan.items if i.command == Cmd.DO_SET_CAM_TRIGG_DIST]
    assert max(triggers) == pytest.approx(along * 0.2, rel=1e-3)
    assert min(triggers) == 0.0  # the camera stops at the end of every lane
    nav_alts = {round(it.altitude_m, 2) for _, it in plan.nav_items()}
    assert nav_alts == {round(altitude, 2)}


def test_crosshatch_flies_a_second_pass_at_ninety_degrees() -> None:
    single = compile_pattern("area_survey", {"area": weihai.FIELD}, {"angle_deg": 0})
    double = compile_pattern("area_survey", {"area": weihai.FIELD},
                             {"angle_deg": 0, "crosshatch": True})
    assert double.photo_count > single.photo_count
    frame = LocalFrame.around(weihai.FIELD)
    bearings = set()
    nav = [frame.to_xy(it.latitude_deg, it.longitude_deg) for _, it in double.nav_items()]
    for (ax, ay), (bx, by) in zip(nav[::2], nav[1::2], strict=False):
        bearings.add(round(math.degrees(math.atan2(bx - ax, by - ay))) % 180)
    assert bearings == {0, 90}


def test_oblique_survey_tilts_the_gimbal() -> None:
    plan = compile_template("RUR-03", {"area": weihai.FIELD})
    mounts = [i for i in plan.items if i.command == Cmd.DO_MOUNT_CONTROL]
    assert mounts and mounts[0].param1 == -45


def test_corridor_offsets_cover_the_width() -> None:
    offsets = corridor_offsets_m(200, 150, 105)
    assert offsets[0] - 75 <= -100 and offsets[-1] + 75 >= 100
    assert corridor_offsets_m(50, 150, 105) == [0.0]


@pytest.mark.parametrize("width_m", [30.0, 120.0, 260.0])
def test_corridor_covers_its_width(width_m: float) -> None:
    params = {"altitude_m": 60, "width_m": width_m, "side_overlap_pct": 20}
    plan = compile_pattern("corridor", {"route": weihai.ROAD}, params)
    swath = CAMERA.footprint_m(60)[0]
    assert swath_coverage(plan, weihai.ROAD, width_m, swath) >= 0.99


def test_coast_corridor_covers_its_width() -> None:
    from jinghang.missions.formats import pick, read_features
    from jinghang.missions.nofly import NoFlyZones  # noqa: F401 - the samples ship together

    route = pick(read_features(_sample("coast.kml")), "route").coordinates
    plan = compile_template("SEA-01", {"route": route})
    swath = CAMERA.footprint_m(100)[0]
    assert swath_coverage(plan, route, 200, swath) >= 0.99


def _sample(name: str) -> str:
    from importlib import resources

    return str(resources.files("jinghang.missions").joinpath("samples", name))


@pytest.mark.parametrize("radius_m", [12.0, 60.0, 400.0])
def test_orbit_stays_on_its_radius(radius_m: float) -> None:
    centre = weihai.POINT
    plan = compile_pattern("orbit", {"point": centre, "home": weihai.HOME},
                           {"radius_m": radius_m, "turns": 2, "altitude_m": 50})
    frame = LocalFrame(*centre)
    ring = [frame.to_xy(it.latitude_deg, it.longitude_deg) for _, it in plan.nav_items()]
    assert len(ring) >= 16
    for x, y in ring:
        assert math.hypot(x, y) == pytest.approx(radius_m, abs=0.05)
    # the straight legs between the waypoints never stray more than 1% (or 0.5 m) inside
    for (ax, ay), (bx, by) in itertools.pairwise(ring):
        mid = math.hypot((ax + bx) / 2, (ay + by) / 2)
        assert radius_m - mid <= max(0.5, 0.01 * radius_m) + 1e-6
    rois = [i for i in plan.items if i.command == Cmd.DO_SET_ROI_LOCATION]
    assert rois and distance_m((rois[0].latitude_deg, rois[0].longitude_deg), centre) < 0.01
    assert plan.items[-2].command == Cmd.DO_SET_ROI_NONE
    assert plan.min_radius_m == radius_m
    # two turns: the flown arc is about twice the circumference
    arc = sum(math.dist(a, b) for a, b in itertools.pairwise(ring))
    assert arc == pytest.approx(2 * 2 * math.pi * radius_m, rel=0.02)


def test_orbit_is_entered_on_the_side_facing_home() -> None:
    plan = compile_pattern("orbit", {"point": weihai.POINT, "home": weihai.HOME},
                           {"radius_m": 60})
    first = plan.nav_items()[0][1]
    entry = (first.latitude_deg, first.longitude_deg)
    assert distance_m(entry, weihai.HOME[:2]) < distance_m(weihai.POINT, weihai.HOME[:2])


def test_expanding_square_legs_grow_by_the_track_spacing() -> None:
    plan = compile_pattern("expanding_square", {"point": weihai.POINT},
                           {"track_spacing_m": 30, "legs": 8})
    corners = [(it.latitude_deg, it.longitude_deg) for _, it in plan.nav_items()]
    assert distance_m(corners[0], weihai.POINT) < 0.01
    legs = [distance_m(a, b) for a, b in itertools.pairwise(corners)]
    assert legs == pytest.approx([30, 30, 60, 60, 90, 90, 120, 120], abs=0.05)


def test_sector_search_flies_three_triangles_through_the_datum() -> None:
    plan = compile_pattern("sector_search", {"point": weihai.POINT}, {"radius_m": 200})
    corners = [(it.latitude_deg, it.longitude_deg) for _, it in plan.nav_items()]
    assert len(corners) == 10
    at_datum = [c for c in corners if distance_m(c, weihai.POINT) < 0.01]
    assert len(at_datum) == 4
    legs = [distance_m(a, b) for a, b in itertools.pairwise(corners)]
    assert legs == pytest.approx([200.0] * 9, abs=0.1)  # equilateral triangles


def test_structure_scan_stacks_orbits_bottom_to_top() -> None:
    plan = compile_pattern("structure_scan", {"point": weihai.POINT},
                           {"structure_height_m": 40, "standoff_m": 25,
                            "layer_spacing_m": 10, "bottom_altitude_m": 10})
    alts = [it.altitude_m for _, it in plan.nav_items()]
    layers = sorted(set(alts))
    assert layers[0] == 10 and layers[-1] == 45
    assert alts == sorted(alts)  # never climbs down
    frame = LocalFrame(*weihai.POINT)
    for _, it in plan.nav_items():
        assert math.hypot(*frame.to_xy(it.latitude_deg, it.longitude_deg)) == pytest.approx(
            25, abs=0.05)


def test_structure_scan_of_a_footprint_keeps_its_standoff() -> None:
    from shapely.geometry import Point, Polygon

    plan = compile_pattern("structure_scan", {"area": weihai.FIELD},
                           {"structure_height_m": 20, "standoff_m": 15})
    frame = LocalFrame.around(weihai.FIELD)
    poly = Polygon(frame.many_to_xy(weihai.FIELD))
    for _, it in plan.nav_items():
        d = poly.exterior.distance(Point(frame.to_xy(it.latitude_deg, it.longitude_deg)))
        assert d == pytest.approx(15, abs=1.0)


def test_hover_holds_with_payloads() -> None:
    plan = compile_pattern("hover", {"point": weihai.POINT},
                           {"duration_s": 120, "altitude_m": 15, "release": True,
                            "loudspeaker": True, "message": "抓住救生圈"})
    commands = [i.command for i in plan.items]
    assert Cmd.NAV_LOITER_TIME in commands and Cmd.DO_GRIPPER in commands
    loiter = next(i for i in plan.items if i.command == Cmd.NAV_LOITER_TIME)
    assert loiter.param1 == 120 and loiter.altitude_m == 15
    relays = [i for i in plan.items if i.command == Cmd.DO_SET_RELAY]
    assert [r.param2 for r in relays] == [1.0, 0.0]
    assert any("抓住救生圈" in n for n in plan.notes)
    assert plan.flight_time_s > 120


def test_perimeter_laps_the_boundary_with_the_camera_inward() -> None:
    plan = compile_pattern("perimeter", {"area": weihai.FIELD}, {"laps": 3, "altitude_m": 40})
    nav = plan.nav_items()
    assert len(nav) == 3 * len(weihai.FIELD) + 1
    roi = next(i for i in plan.items if i.command == Cmd.DO_SET_ROI_LOCATION)
    frame = LocalFrame.around(weihai.FIELD)
    from shapely.geometry import Point, Polygon

    assert Polygon(frame.many_to_xy(weihai.FIELD)).contains(
        Point(frame.to_xy(roi.latitude_deg, roi.longitude_deg)))


def test_waypoint_loop_holds_and_speaks_at_each_point() -> None:
    plan = compile_template("SEA-05", {"points": weihai.SEA_POINTS}, {"laps": 2})
    loiters = [i for i in plan.items if i.command == Cmd.NAV_LOITER_TIME]
    assert len(loiters) == 2 * len(weihai.SEA_POINTS)
    assert all(i.param1 == 30 for i in loiters)
    assert sum(1 for i in plan.items if i.command == Cmd.DO_SET_RELAY) == 2 * len(loiters)


@pytest.mark.parametrize("template_id", weihai.template_ids())
def test_every_mission_takes_off_first_and_ends_home(template_id: str) -> None:
    from jinghang.missions.catalog import load_catalog

    template = load_catalog().get(template_id)
    plan = compile_template(template_id, weihai.inputs_for(template))
    assert plan.items[0].command == Cmd.NAV_TAKEOFF
    assert plan.items[1].command == Cmd.DO_CHANGE_SPEED
    assert plan.items[-1].command in (Cmd.NAV_RETURN_TO_LAUNCH, Cmd.NAV_LAND)
    assert plan.flight_time_s > 0 and plan.distance_horizontal_m > 0
    assert 0 < plan.energy_pct < 100


def test_estimates_add_up_for_a_simple_out_and_back() -> None:
    plan = compile_pattern("hover", {"point": (37.4590, 121.9950), "home": (37.4500, 121.9950, 0)},
                           {"altitude_m": 20, "duration_s": 60, "speed_m_s": 10})
    out_m = distance_m((37.45, 121.995), (37.459, 121.995))
    assert plan.distance_horizontal_m == pytest.approx(2 * out_m, rel=1e-6)
    assert plan.distance_vertical_m == pytest.approx(40)
    # spool up 2.7 s, climb, fly out, settle 1.3 s, hold, fly back (each leg loses one S-curve
    # start and stop: 6.5 s at 10 m/s; RTL settles at the start and at home: 2 x 1.3 s), RTL's
    # 5 s loiter, descend at 1.5 m/s to 10 m (braking to 0.5 m/s there: about 1 s more) then
    # at 0.5 m/s, the land detector's 2.2 s
    assert plan.flight_time_s == pytest.approx(
        2.7 + 20 / 2.5 + out_m / 10 + 1.3 + 60 + 2.6 + out_m / 10 + 2 * 6.5 + 5
        + 10 / 1.5 + 1.0 + 10 / 0.5 + 2.2, abs=6)
