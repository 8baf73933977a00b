"""Mission file formats: QGroundControl ``.plan``, WPL 110 ``.waypoints``, KML/KMZ and GeoJSON.

:func:`save_plan` and :func:`load_plan` pick the format from the file name;
:func:`read_features` reads the areas, routes and points of a KML, KMZ or GeoJSON file.
"""

from __future__ import annotations

import json
from pathlib import Path

from jinghang.limits import DEFAULT_LIMITS, Limits
from jinghang.missions.errors import FormatError
from jinghang.missions.formats.features import Feature, pick
from jinghang.missions.formats.geojson import plan_to_geojson, read_geojson
from jinghang.missions.formats.kml import plan_to_kml, plan_to_kmz, read_kml
from jinghang.missions.formats.qgc import plan_to_qgc, qgc_to_plan
from jinghang.missions.formats.reading import (
    check_plan_values,
    decode_text,
    load_json,
    read_bytes,
)
from jinghang.missions.formats.wpl import plan_to_wpl, wpl_to_plan
from jinghang.missions.plan import MissionPlan

__all__ = ["Feature", "load_plan", "pick", "read_features", "save_plan"]

PLAN_SUFFIXES = (".plan", ".waypoints", ".txt", ".geojson", ".json", ".kml", ".kmz")


def save_plan(plan: MissionPlan, path: str | Path) -> Path:
    """Write ``plan`` in the format its suffix names."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix == ".plan":
        p.write_text(json.dumps(plan_to_qgc(plan), indent=4, ensure_ascii=False) + "\n",
                     encoding="utf-8")
    elif suffix in (".waypoints", ".txt"):
        p.write_text(plan_to_wpl(plan), encoding="utf-8")
    elif suffix in (".geojson", ".json"):
        p.write_text(json.dumps(plan_to_geojson(plan), ensure_ascii=False) + "\n",
                     encoding="utf-8")
    elif suffix == ".kml":
        p.write_text(plan_to_kml(plan), encoding="utf-8")
    elif suffix == ".kmz":
        p.write_bytes(plan_to_kmz(plan))
    else:
        raise FormatError(f"cannot write a plan as {suffix or 'a file without suffix'}",
                          field="output", value=str(p), limit=list(PLAN_SUFFIXES))
    return p


def load_plan(path: str | Path, limits: Limits = DEFAULT_LIMITS) -> MissionPlan:
    """Read a QGroundControl ``.plan`` or a WPL 110 ``.waypoints`` file: UTF-8, bounded in
    size and nesting, every position on the globe and every number finite."""
    p = Path(path)
    text = decode_text(read_bytes(p, limits), str(p))
    if p.suffix.lower() == ".plan" or text.lstrip().startswith("{"):
        plan = qgc_to_plan(load_json(text, str(p), limits), str(p))
    else:
        plan = wpl_to_plan(text, str(p))
    return check_plan_values(plan, str(p))


def read_features(path: str | Path, limits: Limits = DEFAULT_LIMITS) -> list[Feature]:
    """Areas, routes and points of a .kml, .kmz, .geojson or .json file."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix in (".kml", ".kmz"):
        return read_kml(p, limits)
    if suffix in (".geojson", ".json"):
        return read_geojson(p, limits)
    raise FormatError(f"cannot read areas or routes from {suffix or 'a file without suffix'}",
                      field="path", value=str(p), limit=[".kml", ".kmz", ".geojson", ".json"])
