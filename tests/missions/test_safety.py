"""Every safety check refuses with an error that names the field, the value and the limit:
altitude ceiling, no-fly zones (a waypoint inside, a leg through, home inside), polygons that
cross themselves or are degenerate, lanes and radii below the minimums, too many items, and
energy with the reserve; bad parameters and inputs too."""

from __future__ import annotations

import pytest

from jinghang.errors import MissionError
from jinghang.missions.compile import compile_pattern, compile_template
from jinghang.missions.errors import (
    AltitudeCeilingError,
    EnergyError,
    GeometryError,
    InputError,
    NoFlyZoneError,
    ParameterError,
    SpacingError,
    TooManyItemsError,
    UnknownTemplateError,
)
from jinghang.missions.nofly import NoFlyZones
from jinghang.missions.safety import SafetyLimits, check_plan, find_violations
from tests.missions import weihai

AIRPORT = (37.187, 122.229)
ZONES = NoFlyZones.weihai_sample()


def refusal(exc_type: type[MissionError], func, *args, **kwargs) -> MissionError:  # type: ignore[no-untyped-def]
    with pytest.raises(exc_type) as info:
        func(*args, **kwargs)
    err = info.value
    assert err.field, "the refusal names the field"
    assert err.limit is not None, "the refusal names the limit"
    assert err.to_dict()["field"] == err.field
    return err


def test_every_sample_template_passes_the_checks() -> None:
    from jinghang.missions.catalog import load_catalog

    for template in load_catalog():
        plan = compile_template(template.id, weihai.inputs_for(template))
        assert find_violations(plan, SafetyLimits(), ZONES) == [], template.id


def test_altitude_over_the_ceiling() -> None:
    plan = compile_template("SAF-03", {"point": weihai.POINT}, {"altitude_m": 150})
    err = refusal(AltitudeCeilingError, check_plan, plan)
    assert err.field == "items[0].altitude_m"  # the takeoff already climbs too high
    assert err.value == 150 and err.limit == 120
    check_plan(plan, SafetyLimits(altitude_ceiling_m=200))


def test_structure_scan_top_layer_over_the_ceiling() -> None:
    plan = compile_template("SAF-06", {"point": weihai.POINT}, {"structure_height_m": 130})
    err = refusal(AltitudeCeilingError, check_plan, plan)
    assert err.value == 135 and err.field.startswith("items[")


def test_waypoint_inside_the_airport_zone() -> None:
    plan = compile_template("SAF-03", {"point": AIRPORT, "home": (37.13, 122.229, 0)})
    err = refusal(NoFlyZoneError, check_plan, plan, no_fly=ZONES)
    assert "Dashuibo" in str(err.limit)
    assert err.field.startswith("items[")


def test_leg_crossing_a_zone_is_refused_though_no_waypoint_is_inside() -> None:
    # both ends outside the airport zone, straight across it
    south, north = (37.10, 122.229), (37.28, 122.229)
    assert ZONES.zone_at(south) is None and ZONES.zone_at(north) is None
    plan = compile_pattern("waypoint_loop", {"points": [south, north], "home": (*south, 0)},
                           {"altitude_m": 60})
    err = refusal(NoFlyZoneError, check_plan, plan, no_fly=ZONES)
    assert "crosses" in err.message


def test_home_inside_a_zone_is_refused() -> None:
    plan = compile_pattern("hover", {"point": (37.10, 122.229), "home": (*AIRPORT, 0)}, {})
    err = refusal(NoFlyZoneError, check_plan, plan, no_fly=ZONES)
    assert err.field == "home"


def test_circle_zone_from_a_point_with_radius() -> None:
    nuclear = (36.966, 122.519)
    plan = compile_pattern("hover", {"point": nuclear, "home": (36.94, 122.519, 0)}, {})
    err = refusal(NoFlyZoneError, check_plan, plan, no_fly=ZONES)
    assert "Shidao" in str(err.limit)


def test_self_crossing_polygon() -> None:
    bowtie = [(37.4495, 121.9955), (37.4510, 121.9980), (37.4510, 121.9955),
              (37.4495, 121.9980)]
    err = refusal(GeometryError, compile_template, "RUR-01", {"area": bowtie})
    assert err.field == "area" and "crosses itself" in err.message
    assert err.details["location"] is not None


@pytest.mark.parametrize(
    "area",
    [
        [(37.4495, 121.9955), (37.4510, 121.9980)],
        [(37.4495, 121.9955), (37.4495, 121.9955), (37.4510, 121.9980), (37.4495, 121.9955)],
        [(37.4495, 121.9955), (37.4500, 121.9960), (37.4505, 121.9965)],  # collinear
    ],
    ids=["two-vertices", "repeated-vertices", "collinear"],
)
def test_degenerate_polygon(area) -> None:
    err = refusal(GeometryError, compile_template, "RUR-01", {"area": area})
    assert err.field == "area"


def test_route_without_length() -> None:
    err = refusal(GeometryError, compile_template, "SEA-01",
                  {"route": [(37.5264, 122.0598), (37.5264, 122.0598)]})
    assert err.field == "route"


def test_lanes_closer_than_the_minimum() -> None:
    plan = compile_template("RUR-01", {"area": weihai.FIELD}, {"lane_spacing_m": 1.0})
    err = refusal(SpacingError, check_plan, plan)
    assert (err.field, err.value, err.limit) == ("lane_spacing_m", 1.0, 2.0)


def test_orbit_radius_below_the_minimum() -> None:
    plan = compile_template("CTY-04", {"point": weihai.POINT}, {"radius_m": 2})
    err = refusal(SpacingError, check_plan, plan)
    assert (err.field, err.value, err.limit) == ("radius_m", 2.0, 5.0)


def test_more_items_than_the_vehicle_accepts() -> None:
    plan = compile_template("RUR-01", {"area": weihai.FIELD}, {"lane_spacing_m": 3.0})
    assert len(plan.items) > 100
    err = refusal(TooManyItemsError, check_plan, plan, SafetyLimits(max_items=100))
    assert (err.field, err.value, err.limit) == ("items", len(plan.items), 100)


def test_absurd_lane_spacing_is_refused_before_planning() -> None:
    err = refusal(TooManyItemsError, compile_template, "RUR-01",
                  {"area": weihai.FIELD}, {"lane_spacing_m": 0.01})
    assert err.field == "lane_spacing_m"


def test_energy_beyond_the_battery_with_reserve() -> None:
    plan = compile_template("SAF-07", {"point": weihai.POINT}, {"duration_s": 1500})
    assert plan.energy_pct > 80
    err = refusal(EnergyError, check_plan, plan)
    assert err.field == "energy_pct" and err.limit == 80
    # a lower charge at launch refuses a plan that a full battery would fly
    short = compile_template("SAF-07", {"point": weihai.POINT}, {"duration_s": 600})
    check_plan(short)
    err = refusal(EnergyError, check_plan, short, SafetyLimits(battery_pct=50))
    assert err.limit == 30


def test_all_violations_are_listed() -> None:
    plan = compile_template("SAF-07", {"point": AIRPORT, "home": (37.13, 122.229, 0)},
                            {"duration_s": 1500, "altitude_m": 200})
    kinds = [type(v) for v in find_violations(plan, SafetyLimits(), ZONES)]
    assert kinds == [AltitudeCeilingError, NoFlyZoneError, EnergyError]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"altitude_m": -5}, "altitude_m"),
        ({"speed_m_s": 90}, "speed_m_s"),
        ({"laps": 1.5}, "laps"),
        ({"crosshatch": "maybe"}, "crosshatch"),
        ({"camera": "nikon"}, "camera"),
        ({"wingspan_m": 3}, "wingspan_m"),
        ({"side_overlap_pct": 99}, "side_overlap_pct"),
    ],
)
def test_bad_parameters_name_the_field(params, field) -> None:
    err = refusal(ParameterError, compile_template, "RUR-01", {"area": weihai.FIELD}, params)
    assert err.field == field


def test_bad_inputs_name_the_field() -> None:
    err = refusal(InputError, compile_template, "RUR-01", {"point": weihai.POINT})
    assert err.field == "area"
    err = refusal(InputError, compile_template, "SAF-01", {"point": (97.0, 122.0)})
    assert err.field == "point.latitude_deg"
    err = refusal(InputError, compile_template, "SAF-01", {"point": "here"})
    assert err.field == "point"
    err = refusal(InputError, compile_template, "SAF-01", {"pint": weihai.POINT})
    assert err.field == "pint"
    err = refusal(UnknownTemplateError, compile_template, "XXX-99", {})
    assert err.field == "template_id"


def test_strtree_check_against_a_thousand_zones() -> None:
    from shapely.geometry import box, mapping

    features = []
    for i in range(1000):
        lat, lon = 36.0 + (i // 40) * 0.02, 121.0 + (i % 40) * 0.02
        features.append({"type": "Feature", "properties": {"name": f"zone {i}"},
                         "geometry": mapping(box(lon, lat, lon + 0.005, lat + 0.005))})
    zones = NoFlyZones.from_geojson({"type": "FeatureCollection", "features": features})
    assert len(zones) == 1000
    clear = compile_template("SAF-01", {"point": (36.211, 121.211)})
    check_plan(clear, no_fly=zones)
    blocked = compile_template("SAF-01", {"point": (36.2025, 121.2025)})
    err = refusal(NoFlyZoneError, check_plan, blocked, no_fly=zones)
    assert err.limit == "zone 410"


def test_a_loaded_plan_with_a_self_crossing_survey_polygon_is_refused() -> None:
    import json
    from pathlib import Path

    from jinghang.missions.formats.qgc import qgc_to_plan

    doc = json.loads((Path(__file__).parent / "data" / "qgc_weihai_survey.plan").read_text())
    plan = qgc_to_plan(doc)
    assert plan.inputs["area"] and find_violations(plan, SafetyLimits(), ZONES) == []
    survey = doc["mission"]["items"][2]
    survey["polygon"][1], survey["polygon"][2] = survey["polygon"][2], survey["polygon"][1]
    err = refusal(GeometryError, check_plan, qgc_to_plan(doc))
    assert err.field == "area" and "crosses itself" in err.message


def test_ending_with_a_landing_lands_at_the_last_waypoint() -> None:
    from jinghang.missions.items import Cmd

    plan = compile_template("CTY-05", {"points": weihai.POINTS}, {"end": "land"})
    last = plan.items[-1]
    assert last.command == Cmd.NAV_LAND
    assert (last.latitude_deg, last.longitude_deg) == weihai.POINTS[-1]
    check_plan(plan)


@pytest.mark.parametrize(
    ("inputs", "params", "field"),
    [
        ({"point": weihai.POINT, "home": [37.45, 121.99, "abc"]}, None, "home.altitude_amsl_m"),
        ({"point": weihai.POINT}, "altitude_m=40", "params"),
        ({"point": weihai.POINT}, {"altitude_m": True}, "altitude_m"),
        ({"point": weihai.POINT}, {"legs": None}, "legs"),
    ],
)
def test_malformed_requests_are_refused_not_crashed(inputs, params, field) -> None:
    err = refusal(MissionError, compile_template, "SAF-01", inputs, params)
    assert err.field == field


def test_an_area_across_the_180th_meridian_is_refused() -> None:
    err = refusal(GeometryError, compile_template, "RUR-01",
                  {"area": [(0.0, 179.999), (0.01, -179.999), (0.02, 179.999)]})
    assert err.field == "area"
