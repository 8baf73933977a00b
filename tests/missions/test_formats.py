"""Mission file formats: plan -> .plan -> plan and plan -> .waypoints -> plan keep every item;
a .plan as QGroundControl writes it (simple items, a survey complex item, fence and rally)
loads; KML/KMZ with several placemarks and GeoJSON areas, routes and tracks."""

from __future__ import annotations

import json
import math
import zipfile
from pathlib import Path

import pytest

from jinghang.missions.catalog import load_catalog
from jinghang.missions.compile import compile_template
from jinghang.missions.errors import FormatError
from jinghang.missions.formats import load_plan, read_features, save_plan
from jinghang.missions.formats.geojson import TrackPoint, parse_geojson, track_to_geojson
from jinghang.missions.formats.kml import parse_kml, plan_to_kml
from jinghang.missions.formats.qgc import plan_to_qgc, qgc_to_plan
from jinghang.missions.items import Cmd, MissionItem, MissionType
from jinghang.missions.plan import MissionPlan
from tests.missions import weihai

DATA = Path(__file__).parent / "data"


def assert_same_items(a: list[MissionItem], b: list[MissionItem]) -> None:
    assert len(a) == len(b)
    for seq, (x, y) in enumerate(zip(a, b, strict=True)):
        assert x.same_as(y), f"item {seq} differs: {x} != {y}"


def _plans() -> list[MissionPlan]:
    catalog = load_catalog()
    return [compile_template(t, weihai.inputs_for(catalog.get(t)))
            for t in ("RUR-05", "SEA-05", "SAF-06", "CTY-03", "SAF-01")]


@pytest.mark.parametrize("suffix", [".plan", ".waypoints"])
def test_round_trip_keeps_every_item(tmp_path: Path, suffix: str) -> None:
    for plan in _plans():
        path = save_plan(plan, tmp_path / f"{plan.template_id}{suffix}")
        back = load_plan(path)
        assert_same_items(plan.items, back.items)
        assert back.home is not None and plan.home is not None
        assert back.home[:2] == pytest.approx(plan.home[:2], abs=1e-7)
        assert back.distance_horizontal_m == pytest.approx(plan.distance_horizontal_m, rel=1e-3)


def test_plan_round_trip_keeps_template_and_fence_and_rally(tmp_path: Path) -> None:
    qgc = qgc_to_plan(json.loads((DATA / "qgc_weihai_survey.plan").read_text()))
    plan = compile_template("RUR-01", {"area": weihai.FIELD}).with_(fence=qgc.fence,
                                                                    rally=qgc.rally)
    back = load_plan(save_plan(plan, tmp_path / "field.plan"))
    assert back.template_id == "RUR-01"
    assert back.params == plan.params
    assert back.gsd_cm_px == pytest.approx(plan.gsd_cm_px)
    assert_same_items(plan.fence, back.fence)
    assert_same_items(plan.rally, back.rally)
    assert back.photo_count == plan.photo_count


def test_qgroundcontrol_plan_loads_with_survey_fence_and_rally() -> None:
    plan = load_plan(DATA / "qgc_weihai_survey.plan")
    commands = [int(i.command) for i in plan.items]
    # takeoff, speed, the survey's 8 generated items, a waypoint, RTL
    assert commands == [22, 178, 16, 206, 16, 206, 16, 206, 16, 206, 16, 20]
    assert plan.items[0].altitude_m == 50
    assert math.isnan(plan.items[2].param4)  # QGC's null yaw stays "unchanged"
    assert plan.items[3].param1 == pytest.approx(15.36)
    assert plan.home == (37.449062, 121.995089, 35.2)
    assert plan.cruise_speed_m_s == 15
    circles = [f for f in plan.fence if f.command == Cmd.NAV_FENCE_CIRCLE_INCLUSION]
    vertices = [f for f in plan.fence if f.command == Cmd.NAV_FENCE_POLYGON_VERTEX_EXCLUSION]
    assert len(circles) == 1 and circles[0].param1 == 400
    assert len(vertices) == 4 and all(v.param1 == 4 for v in vertices)
    assert all(f.mission_type == MissionType.FENCE for f in plan.fence)
    assert [(r.latitude_deg, r.altitude_m) for r in plan.rally] == [(37.44885, 30), (37.4515, 30)]
    assert plan.photo_count > 10  # the distance triggers are followed along the lanes


def test_qgroundcontrol_structure_scan_without_items_is_refused() -> None:
    doc = json.loads((DATA / "qgc_weihai_survey.plan").read_text())
    doc["mission"]["items"][2] = {"type": "ComplexItem", "complexItemType": "StructureScan",
                                  "version": 3}
    with pytest.raises(FormatError) as info:
        qgc_to_plan(doc)
    assert info.value.field == "mission.items[2].TransectStyleComplexItem.Items"


def test_plan_export_is_what_qgroundcontrol_reads() -> None:
    plan = compile_template("SAF-03", {"point": weihai.POINT, "home": weihai.HOME})
    doc = plan_to_qgc(plan)
    assert doc["fileType"] == "Plan" and doc["version"] == 1
    assert doc["mission"]["version"] == 2 and doc["mission"]["firmwareType"] == 3
    assert doc["mission"]["plannedHomePosition"] == list(weihai.HOME)
    jump_ids = [i["doJumpId"] for i in doc["mission"]["items"]]
    assert jump_ids == list(range(1, len(plan.items) + 1))
    assert all(len(i["params"]) == 7 and i["type"] == "SimpleItem"
               for i in doc["mission"]["items"])
    assert doc["geoFence"]["version"] == 2 and doc["rallyPoints"]["version"] == 2


def test_waypoints_file_is_wpl_110_with_home_first(tmp_path: Path) -> None:
    plan = compile_template("CTY-04", {"point": weihai.POINT, "home": weihai.HOME})
    text = save_plan(plan, tmp_path / "crowd.waypoints").read_text()
    lines = text.splitlines()
    assert lines[0] == "QGC WPL 110"
    home = lines[1].split("\t")
    assert home[:4] == ["0", "1", "0", "16"] and float(home[8]) == weihai.HOME[0]
    first = lines[2].split("\t")
    assert first[0] == "1" and first[3] == "22"
    assert len(lines) == len(plan.items) + 2


def test_waypoints_errors_name_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.waypoints"
    bad.write_text("QGC WPL 110\n0\t1\t0\t16\t0\t0\t0\t0\t37.4\t121.9\t0\t1\n1\t0\t3\t16\t0\n")
    with pytest.raises(FormatError) as info:
        load_plan(bad)
    assert info.value.field == "line 3"
    bad.write_text("not a mission\n")
    with pytest.raises(FormatError) as info:
        load_plan(bad)
    assert info.value.field == "header"


def test_kml_with_several_polygons_loads_each() -> None:
    features = read_features(DATA / "two_fields.kml")
    kinds = [(f.name, f.kind) for f in features]
    assert kinds == [("北地块", "area"), ("南地块（含池塘）", "area"), ("机耕路", "route"),
                     ("起飞点", "point")]
    north = features[0].coordinates
    assert len(north) == 4 and north[0] == (37.4495, 121.9955)
    # each polygon plans on its own
    for feature in features[:2]:
        plan = compile_template("RUR-01", {"area": feature.coordinates})
        assert plan.area_m2 is not None and plan.area_m2 > 20000


def test_shipped_farmland_kml_multigeometry_gives_each_polygon() -> None:
    from importlib import resources

    path = resources.files("jinghang.missions").joinpath("samples", "farmland.kml")
    areas = [f for f in read_features(str(path)) if f.kind == "area"]
    assert len(areas) == 4
    assert areas[2].name.endswith("[1]") and areas[3].name.endswith("[2]")


def test_kmz_export_and_import(tmp_path: Path) -> None:
    plan = compile_template("RUR-01", {"area": weihai.FIELD})
    path = save_plan(plan, tmp_path / "field.kmz")
    with zipfile.ZipFile(path) as zf:
        assert "doc.kml" in zf.namelist()
    features = read_features(path)
    assert [f.kind for f in features[:2]] == ["area", "route"]
    assert len(features) == 2 + len(plan.nav_items())
    assert features[1].coordinates[0] == pytest.approx(
        (plan.nav_items()[0][1].latitude_deg, plan.nav_items()[0][1].longitude_deg))
    # pytest 9's approx takes flat sequences only: compare the rings point by point.
    ring = parse_kml(plan_to_kml(plan))[0].coordinates
    assert len(ring) == len(weihai.FIELD)
    for got, want in zip(ring, weihai.FIELD, strict=True):
        assert got == pytest.approx(want)


def test_bad_kml_is_refused() -> None:
    with pytest.raises(FormatError) as info:
        parse_kml("<kml><Placemark><Polygon>")
    assert info.value.field == "kml"
    with pytest.raises(FormatError) as info:
        parse_kml('<kml xmlns="http://www.opengis.net/kml/2.2"><Placemark><LineString>'
                  "<coordinates>121.9,abc</coordinates></LineString></Placemark></kml>")
    assert info.value.field == "Placemark[0].LineString"


def test_geojson_areas_routes_and_points_import() -> None:
    doc = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"name": "fields"},
             "geometry": {"type": "MultiPolygon", "coordinates": [
                 [[[121.9955, 37.4495], [121.998, 37.4497], [121.9981, 37.4511],
                   [121.9955, 37.4495]]],
                 [[[121.99, 37.44], [121.991, 37.44], [121.991, 37.441], [121.99, 37.44]]]]}},
            {"type": "Feature", "properties": {},
             "geometry": {"type": "LineString", "coordinates": [[121.99, 37.44, 5],
                                                                 [121.992, 37.442, 5]]}},
        ],
    }
    features = parse_geojson(doc)
    assert [(f.name, f.kind) for f in features] == [
        ("fields [1]", "area"), ("fields [2]", "area"), ("feature 2", "route")]
    assert features[0].coordinates[1] == (37.4497, 121.998)
    with pytest.raises(FormatError):
        parse_geojson({"type": "Feature", "geometry": {"type": "Curve", "coordinates": []}})


def test_geojson_plan_export(tmp_path: Path) -> None:
    plan = compile_template("SEA-01", {"route": weihai.SEA_ROUTE})
    doc = json.loads(save_plan(plan, tmp_path / "coast.geojson").read_text())
    path = doc["features"][0]
    assert path["geometry"]["type"] == "LineString"
    assert path["properties"]["template_id"] == "SEA-01"
    assert len(path["geometry"]["coordinates"]) == len(plan.nav_items())
    lon, lat, alt = path["geometry"]["coordinates"][0]
    first = plan.nav_items()[0][1]
    assert (lat, lon, alt) == pytest.approx((first.latitude_deg, first.longitude_deg, 100))
    roles = {f["properties"]["role"] for f in doc["features"]}
    assert roles == {"path", "waypoint", "input"}
    # the exported file reads back as areas, routes and points
    kinds = {f.kind for f in read_features(tmp_path / "coast.geojson")}
    assert kinds == {"route", "point"}


def test_flown_track_exports_as_geojson() -> None:
    track = [TrackPoint(0.0, 37.45, 121.995, 0.0), TrackPoint(1.5, 37.4501, 121.9951, 12.5)]
    feature = track_to_geojson(track, vehicle=1)
    assert feature["geometry"]["coordinates"][1] == [121.9951, 37.4501, 12.5]
    assert feature["properties"]["times_s"] == [0.0, 1.5]
    assert feature["properties"]["vehicle"] == 1
    with pytest.raises(FormatError) as info:
        track_to_geojson(track[:1])
    assert info.value.field == "track"


def test_unknown_output_suffix_is_refused(tmp_path: Path) -> None:
    plan = compile_template("CTY-04", {"point": weihai.POINT})
    with pytest.raises(FormatError) as info:
        save_plan(plan, tmp_path / "plan.docx")
    assert info.value.field == "output"


@pytest.mark.parametrize(
    "doc",
    [
        {"fileType": "Plan", "version": "one"},
        {"fileType": "Plan", "version": 1, "mission": {"items": []},
         "geoFence": {"polygons": [{"polygon": [[37.4, 121.9], [37.5], [37.5, 122.0]]}]}},
        {"fileType": "Plan", "version": 1, "rallyPoints": {"points": [["north"]]}},
        {"fileType": "Mission"},
    ],
)
def test_malformed_plan_files_are_refused_not_crashed(doc) -> None:
    with pytest.raises(FormatError) as info:
        qgc_to_plan(doc)
    assert info.value.field


@pytest.mark.parametrize(
    "doc",
    [
        {"type": "FeatureCollection", "features": ["not a feature"]},
        {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": 5}},
        {"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[1]]}},
    ],
)
def test_malformed_geojson_is_refused_not_crashed(doc) -> None:
    with pytest.raises(FormatError) as info:
        parse_geojson(doc)
    assert info.value.field
