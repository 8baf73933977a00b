"""The catalog: the 33 templates with the stable ids, names and patterns of CATALOG.md, in one
data file; a 34th template is a data change that compiles without new code."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pytest

from jinghang.missions.catalog import load_catalog, parse_catalog
from jinghang.missions.compile import compile_template
from jinghang.missions.errors import FormatError

EXPECTED_IDS = (
    [f"RUR-0{i}" for i in range(1, 7)] + [f"ENV-0{i}" for i in range(1, 7)]
    + [f"SEA-0{i}" for i in range(1, 8)] + [f"SAF-0{i}" for i in range(1, 8)]
    + [f"CTY-0{i}" for i in range(1, 8)]
)

#: (id, Chinese name, first pattern) straight from CATALOG.md.
SPOT_CHECKS = [
    ("RUR-01", "农田测绘", "area_survey"),
    ("ENV-02", "秸秆焚烧巡查", "perimeter"),
    ("ENV-03", "河道巡查", "corridor"),
    ("SEA-01", "海岸线巡逻", "corridor"),
    ("SEA-05", "海滨浴场安全喊话", "waypoint_loop"),
    ("SEA-06", "海洋污染排查", "expanding_square"),
    ("SAF-02", "扇形搜索", "sector_search"),
    ("SAF-06", "矿山安全巡查", "structure_scan"),
    ("SAF-07", "应急通信中继", "hover"),
    ("CTY-04", "人员聚集监测", "orbit"),
]


def test_the_catalog_has_the_33_stable_ids() -> None:
    catalog = load_catalog()
    assert len(catalog) == 33
    assert sorted(t.id for t in catalog) == sorted(EXPECTED_IDS)
    assert {t.category for t in catalog} == {"RUR", "ENV", "SEA", "SAF", "CTY"}


@pytest.mark.parametrize(("tid", "name_zh", "pattern"), SPOT_CHECKS)
def test_names_and_patterns_match_the_design(tid: str, name_zh: str, pattern: str) -> None:
    template = load_catalog().get(tid)
    assert template.name_zh == name_zh
    assert template.name_en
    assert template.stages[0].pattern == pattern


def test_combined_templates_fly_both_stages() -> None:
    catalog = load_catalog()
    assert [s.pattern for s in catalog.get("SEA-04").stages] == ["waypoint_loop", "orbit"]
    assert [s.pattern for s in catalog.get("SEA-07").stages] == ["corridor", "orbit"]
    assert [s.pattern for s in catalog.get("SAF-04").stages] == ["perimeter", "orbit"]
    assert [s.pattern for s in catalog.get("CTY-03").stages] == ["perimeter", "orbit"]
    assert load_catalog().get("sea-01").id == "SEA-01"  # ids are case-insensitive


def test_a_34th_template_is_a_data_change(tmp_path: Path) -> None:
    doc = json.loads(resources.files("jinghang.missions").joinpath("catalog.json").read_text())
    doc["templates"].append({
        "id": "CTY-08", "category": "CTY", "name_zh": "夜间巡逻照明",
        "name_en": "night patrol lighting",
        "pattern": "waypoint_loop + spotlight", "stages": [{"pattern": "waypoint_loop"}],
        "inputs": ["points"], "payloads": ["spotlight"],
        "defaults": {"altitude_m": 40, "spotlight": True, "hold_s": 20},
    })
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(doc, ensure_ascii=False))
    catalog = load_catalog(path)
    assert len(catalog) == 34
    plan = compile_template("CTY-08", {"points": [(37.45, 121.995), (37.451, 121.996)]},
                            catalog=catalog)
    assert plan.template_id == "CTY-08"
    assert sum(1 for i in plan.items if i.command == 181) == 4  # spotlight on and off twice


def test_a_broken_catalog_names_the_entry() -> None:
    doc = json.loads(resources.files("jinghang.missions").joinpath("catalog.json").read_text())
    doc["templates"][3]["stages"] = [{"pattern": "loop_the_loop"}]
    with pytest.raises(FormatError) as info:
        parse_catalog(doc)
    assert info.value.field == "templates[3].stages"
    doc["templates"][3]["stages"] = [{"pattern": "corridor"}]
    doc["templates"][4]["id"] = doc["templates"][3]["id"]
    with pytest.raises(FormatError) as info:
        parse_catalog(doc)
    assert info.value.field == "templates[4].id"
