"""The command line as the README shows it: ``jinghang templates list|show`` and
``jinghang plan ID --area/--route/--point ... -o out``; refusals exit 2 naming the field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from jinghang.cli import main
from jinghang.missions.formats import load_plan
from jinghang.missions.items import Cmd


def test_templates_list_shows_all_33_in_chinese_and_english(capsys) -> None:
    assert main(["templates", "list"]) == 0
    out = capsys.readouterr().out
    assert "33 templates" in out
    assert "SEA-01" in out and "海岸线巡逻" in out and "coastline patrol" in out
    assert main(["templates", "list", "--category", "saf", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["id"] for r in rows] == [f"SAF-0{i}" for i in range(1, 8)]


def test_templates_show(capsys) -> None:
    assert main(["templates", "show", "SEA-05"]) == 0
    out = capsys.readouterr().out
    assert "海滨浴场安全喊话" in out and "loudspeaker" in out and "hold_s = 30" in out
    assert main(["templates", "show", "NOPE-1"]) == 2
    assert "template_id" in capsys.readouterr().err


def test_plan_coast_route_from_the_shipped_sample(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["plan", "SEA-01", "--route", "coast.kml", "-o", "coast.plan"]) == 0
    assert "wrote coast.plan" in capsys.readouterr().out
    plan = load_plan(tmp_path / "coast.plan")
    assert plan.template_id == "SEA-01"
    assert plan.items[0].command == Cmd.NAV_TAKEOFF
    assert plan.items[-1].command == Cmd.NAV_RETURN_TO_LAUNCH


@pytest.mark.parametrize("suffix", [".waypoints", ".geojson", ".kml", ".kmz", ".plan"])
def test_plan_point_to_every_format(tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"sar{suffix}"
    assert main(["plan", "SAF-01", "--point", "37.52,122.05", "-o", str(out)]) == 0
    assert out.stat().st_size > 200


def test_plan_area_picks_a_feature_and_takes_params(tmp_path: Path, capsys) -> None:
    out = tmp_path / "west.plan"
    # (2 cm/px: at 1.5 the crosshatch needs 85% of a battery with its corners counted, refused)
    assert main(["plan", "RUR-01", "--area", "farmland.kml", "--feature", "1",
                 "--param", "gsd_cm_px=2.0", "--param", "crosshatch=true", "-o", str(out)]) == 0
    plan = load_plan(out)
    assert plan.params["gsd_cm_px"] == 2.0 and plan.params["crosshatch"] is True
    assert "2.00 cm/px" in capsys.readouterr().out


def test_plan_inline_points_and_bare_pattern(tmp_path: Path) -> None:
    out = tmp_path / "beach.waypoints"
    assert main(["plan", "SEA-05", "--points", "beach.geojson", "-o", str(out)]) == 0
    assert len(load_plan(out).items) == 2 + 3 * 4 + 1  # waypoint, speaker on, hold, off
    assert main(["plan", "orbit", "--point", "37.52,122.05", "--param", "radius_m=40",
                 "-o", str(tmp_path / "o.plan")]) == 0


@pytest.mark.parametrize(
    ("argv", "field"),
    [
        (["plan", "SAF-03", "--point", "37.187,122.229", "--home", "37.13,122.229"], "items["),
        (["plan", "SAF-03", "--point", "37.52,122.05", "--param", "altitude_m=3000"], "altitude_m"),
        (["plan", "SAF-03", "--point", "37.52,122.05", "--param", "altitude_m=130"],
         "items[0].altitude_m"),
        (["plan", "RUR-01", "--area", "37.45,121.99;37.46,122.0;37.46,121.99;37.45,122.0"],
         "area"),
        (["plan", "RUR-01", "--route", "coast.kml"], "area"),
        (["plan", "SEA-01", "--route", "nowhere.kml"], "path"),
        (["plan", "SAF-01", "--point", "north"], "point"),
        (["plan", "SAF-01", "--point", "37.5,122", "--param", "legs"], "param"),
        (["plan", "SAF-01", "--point", "37.5,122", "--home", "here"], "home"),
    ],
)
def test_plan_refusals_exit_2_and_name_the_field(tmp_path: Path, capsys, argv, field) -> None:
    out = tmp_path / "refused.plan"
    assert main([*argv, "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"field: {field}" in err
    assert not out.exists()  # nothing written
