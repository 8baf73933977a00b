"""The flight patterns of CATALOG.md as pure functions from geometry and parameters to mission
items, each in a local metric frame around its geometry:

``area_survey``, ``corridor``, ``perimeter``, ``waypoint_loop``, ``orbit``,
``expanding_square``, ``sector_search``, ``structure_scan``, ``hover``.

:func:`run_stage` picks a stage's geometry from the operator's inputs (``area``, ``route``,
``point``, ``points``) and calls the pattern; a stage's ``at`` says which geometry an orbit
uses (``point``, ``points``, ``centroid``, ``route_end``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jinghang.missions.errors import InputError, ParameterError
from jinghang.missions.geo import LatLon
from jinghang.missions.geometry import validate_polygon
from jinghang.missions.patterns.circular import hover, orbit, structure_scan
from jinghang.missions.patterns.common import Segment
from jinghang.missions.patterns.linear import corridor, perimeter, waypoint_loop
from jinghang.missions.patterns.search import expanding_square, sector_search
from jinghang.missions.patterns.survey import area_survey

#: Each pattern and the inputs it needs (any one of a tuple will do).
PATTERN_INPUTS: dict[str, tuple[str, ...]] = {
    "area_survey": ("area",),
    "corridor": ("route",),
    "perimeter": ("area",),
    "waypoint_loop": ("points", "route"),
    "orbit": ("point", "points", "area", "route"),
    "expanding_square": ("point",),
    "sector_search": ("point",),
    "structure_scan": ("point", "area"),
    "hover": ("point",),
}
PATTERNS = tuple(PATTERN_INPUTS)

__all__ = ["PATTERNS", "PATTERN_INPUTS", "Segment", "run_stage"]


def _require(inputs: Mapping[str, Any], pattern: str) -> None:
    needed = PATTERN_INPUTS[pattern]
    if not any(inputs.get(name) for name in needed):
        raise InputError(
            f"pattern {pattern} needs {' or '.join(needed)}",
            field=needed[0], value=None, limit=f"required by {pattern}",
        )


def _centroid(area: Any) -> LatLon:
    _, frame, poly = validate_polygon(area, "area")
    return frame.to_latlon(poly.centroid.x, poly.centroid.y)


def orbit_centres(inputs: Mapping[str, Any], at: str) -> list[Any]:
    """The points an orbit stage circles, by its ``at``; falls back sensibly."""
    if at == "points" and inputs.get("points"):
        return list(inputs["points"])
    if at in ("point", "points") and inputs.get("point"):
        return [inputs["point"]]
    if at == "route_end" and inputs.get("route"):
        return [inputs["route"][-1]]
    if inputs.get("area"):
        return [_centroid(inputs["area"])]
    if inputs.get("point"):
        return [inputs["point"]]
    if inputs.get("points"):
        return list(inputs["points"])
    if inputs.get("route"):
        return [inputs["route"][-1]]
    raise InputError("orbit needs a point", field="point", value=None, limit="required by orbit")


def run_stage(
    pattern: str,
    inputs: Mapping[str, Any],
    p: Mapping[str, Any],
    *,
    at: str = "point",
    approach: LatLon | None = None,
) -> list[Segment]:
    """The segments of one stage (an orbit at several points gives one segment per point)."""
    if pattern not in PATTERN_INPUTS:
        raise ParameterError(
            f"unknown pattern {pattern!r}", field="pattern", value=pattern, limit=list(PATTERNS)
        )
    _require(inputs, pattern)
    if pattern == "area_survey":
        return [area_survey(inputs["area"], p)]
    if pattern == "corridor":
        return [corridor(inputs["route"], p)]
    if pattern == "perimeter":
        return [perimeter(inputs["area"], p)]
    if pattern == "waypoint_loop":
        return [waypoint_loop(inputs.get("points") or inputs["route"], p)]
    if pattern == "orbit":
        out: list[Segment] = []
        for centre in orbit_centres(inputs, at):
            seg = orbit(centre, p, approach=approach)
            out.append(seg)
            approach = seg.last_position()
        return out
    if pattern == "expanding_square":
        return [expanding_square(inputs["point"], p)]
    if pattern == "sector_search":
        return [sector_search(inputs["point"], p)]
    if pattern == "structure_scan":
        return [structure_scan(inputs.get("point"), inputs.get("area"), p=p)]
    return [hover(inputs["point"], p)]
