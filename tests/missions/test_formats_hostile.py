"""Hostile mission files: a zip bomb, deep nesting, other encodings, numbers that are not
finite. Each is a FormatError naming the limit, never an out-of-memory, a RecursionError, a
UnicodeDecodeError or a plan with NaN in it; the ``jinghang plan`` CLI prints no traceback."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from jinghang.limits import Limits
from jinghang.missions.errors import FormatError
from jinghang.missions.formats import load_plan, read_features

ROOT = Path(__file__).resolve().parents[2]

SQUARE_KML = (
    '<?xml version="1.0" encoding="UTF-8"?><kml xmlns="http://www.opengis.net/kml/2.2">'
    "<Document><Placemark><name>field</name><Polygon><outerBoundaryIs><LinearRing>"
    "<coordinates>122.10,37.50 122.11,37.50 122.11,37.51 122.10,37.51 122.10,37.50"
    "</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark></Document></kml>"
)


def qgc_plan(lat: object = 37.5, lon: object = 122.1, alt: object = 30) -> str:
    item = {"autoContinue": True, "command": 16, "doJumpId": 1, "frame": 3,
            "params": [0, 0, 0, None, lat, lon, alt], "type": "SimpleItem"}
    doc = {"fileType": "Plan", "version": 1, "groundStation": "QGroundControl",
           "mission": {"version": 2, "items": [item], "plannedHomePosition": [37.5, 122.1, 10],
                       "firmwareType": 3, "vehicleType": 2, "cruiseSpeed": 10,
                       "hoverSpeed": 5},
           "geoFence": {"version": 2, "polygons": [], "circles": []},
           "rallyPoints": {"version": 2, "points": []}}
    return json.dumps(doc)


def test_a_kmz_bomb_is_refused_before_it_inflates(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.kmz"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        with zf.open("doc.kml", "w", force_zip64=True) as member:
            block = b" " * (1024 * 1024)
            for _ in range(2048):  # 2 GiB of spaces, about 2 MB compressed
                member.write(block)
    assert bomb.stat().st_size < 4 * 1024 * 1024
    before_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(FormatError) as caught:
        read_features(bomb)
    assert caught.value.code == "kmz_too_large"
    assert "inflate" in str(caught.value)
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before_kb) / 1024
    assert grown_mb < 200, f"reading the bomb grew the process by {grown_mb:.0f} MB"


def test_a_kmz_member_with_a_huge_ratio_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ratio.kmz"
    padding = "<!--" + " " * (8 * 1024 * 1024) + "-->"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("doc.kml", SQUARE_KML.replace("<Document>", "<Document>" + padding))
    with pytest.raises(FormatError) as caught:
        read_features(path)
    assert caught.value.code == "kmz_ratio"


def test_a_normal_kmz_still_reads(tmp_path: Path) -> None:
    path = tmp_path / "field.kmz"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("doc.kml", SQUARE_KML)
    (feature,) = read_features(path)
    assert feature.kind == "area" and len(feature.coordinates) == 4


@pytest.mark.parametrize("depth", [200, 200_000])
def test_deep_geojson_is_refused(tmp_path: Path, depth: int) -> None:
    path = tmp_path / "deep.geojson"
    path.write_text('{"type": "Feature", "properties": {"a": ' + "[" * depth + "]" * depth
                    + '}, "geometry": null}')
    with pytest.raises(FormatError) as caught:
        read_features(path)
    assert caught.value.code == "file_too_deep"


def test_deep_geometry_collections_are_refused(tmp_path: Path) -> None:
    point = '{"type": "Point", "coordinates": [122.1, 37.5]}'
    nest = 5000
    path = tmp_path / "nested.geojson"
    path.write_text('{"type": "GeometryCollection", "geometries": [' * nest + point + "]}" * nest)
    with pytest.raises(FormatError):
        read_features(path)


def test_deep_kml_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "deep.kml"
    path.write_text("<kml>" + "<Folder>" * 100_000 + "</Folder>" * 100_000 + "</kml>")
    with pytest.raises(FormatError) as caught:
        read_features(path)
    assert caught.value.code == "file_too_deep"


def test_deep_plan_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "deep.plan"
    path.write_text('{"fileType": "Plan", "x": ' + "[" * 100_000 + "]" * 100_000 + "}")
    with pytest.raises(FormatError) as caught:
        load_plan(path)
    assert caught.value.code == "file_too_deep"


def test_a_plan_that_is_not_utf8_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "gbk.plan"
    path.write_bytes(qgc_plan().replace('"Plan"', '"计划"').encode("gbk"))
    with pytest.raises(FormatError) as caught:
        load_plan(path)
    assert "not UTF-8" in str(caught.value)
    path = tmp_path / "latin1.geojson"
    path.write_bytes('{"type": "Feature", "properties": {"name": "Château"}}'.encode("latin-1"))
    with pytest.raises(FormatError):
        read_features(path)


@pytest.mark.parametrize(
    "lat, lon, alt",
    [("NaN", 122.1, 30), (37.5, "Infinity", 30), (37.5, 122.1, "1e400"), (1e308, 122.1, 30),
     (37.5, 122.1, 1e308)],
)
def test_load_plan_refuses_non_finite_and_huge_values(
    tmp_path: Path, lat: object, lon: object, alt: object
) -> None:
    text = qgc_plan(lat="LAT", lon="LON", alt="ALT")
    for key, value in (("LAT", lat), ("LON", lon), ("ALT", alt)):
        text = text.replace(f'"{key}"', str(value))
    path = tmp_path / "bad.plan"
    path.write_text(text)
    with pytest.raises(FormatError):
        load_plan(path)


@pytest.mark.parametrize("value", ["nan", "inf", "1e308"])
def test_waypoints_refuse_non_finite_positions(tmp_path: Path, value: str) -> None:
    path = tmp_path / "bad.waypoints"
    path.write_text(
        "QGC WPL 110\n0\t1\t0\t16\t0\t0\t0\t0\t37.5\t122.1\t10\t1\n"
        f"1\t0\t3\t16\t0\t0\t0\t0\t{value}\t122.1\t30\t1\n"
    )
    with pytest.raises(FormatError):
        load_plan(path)


def test_too_many_vertices_in_a_file_are_refused(tmp_path: Path) -> None:
    ring = [[122.1 + i * 1e-6, 37.5 + (i % 2) * 1e-6] for i in range(Limits().vertices + 5)]
    path = tmp_path / "many.geojson"
    path.write_text(json.dumps({"type": "Polygon", "coordinates": [ring]}))
    with pytest.raises(FormatError) as caught:
        read_features(path)
    assert caught.value.code == "too_many_vertices"


def test_the_plan_cli_prints_no_traceback_for_a_bad_file(tmp_path: Path) -> None:
    path = tmp_path / "area.geojson"
    path.write_bytes('{"type": "Feature", "properties": {"name": "田"}}'.encode("gbk"))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "jinghang.cli", "plan", "RUR-01", "--area", str(path)],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )
    assert done.returncode != 0
    assert "Traceback" not in done.stderr, done.stderr[-2000:]
    assert "UTF-8" in done.stderr + done.stdout
