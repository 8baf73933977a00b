"""Plan previews and checks for the API, compiled in the CPU worker pool (never on the event
loop): a compiled plan's figures, its items as JSON and every safety rule it breaks (checked
with the server's limits and no-fly zones; nothing is flown).

The functions run in the pool take plain data (ids, dicts, the settings) so they can cross the
process boundary; each worker loads the no-fly zones once per settings file. A preview is
rendered to JSON in the worker too (a 10,000-item plan is megabytes of JSON), so the loop
only copies bytes.
"""

from __future__ import annotations

import dataclasses
import json
import math
from typing import Any

from fastapi.responses import Response

from jinghang.api.services import Services
from jinghang.api.workers import run_cpu
from jinghang.api.zones import no_fly_zones, safety_limits
from jinghang.config import Settings
from jinghang.missions.compile import compile_template
from jinghang.missions.plan import MissionPlan
from jinghang.missions.safety import check_plan, find_violations


def item_dict(item: Any) -> dict[str, Any]:
    """One MissionItem as JSON (enums as their numbers)."""
    out = dataclasses.asdict(item)
    return {k: (int(v) if k in ("command", "frame", "mission_type") else v) for k, v in out.items()}


def preview_of(settings: Settings, plan: MissionPlan) -> dict[str, Any]:
    """The plan's figures, its items and every safety rule it breaks (empty when none)."""
    violations = find_violations(plan, safety_limits(settings), no_fly_zones(settings))
    return {
        **plan.summary(),
        "items": [item_dict(i) for i in plan.items],
        "violations": [v.to_dict() for v in violations],
    }


def compile_preview(
    settings: Settings, template_id: str, inputs: dict[str, Any], params: dict[str, Any]
) -> bytes:
    """In a worker: compile ``template_id`` on the inputs and preview the plan, as JSON."""
    body = preview_of(settings, compile_template(template_id, inputs, params))
    return json.dumps(body, ensure_ascii=False, allow_nan=False, default=str).encode("utf-8")


def compile_and_check(
    settings: Settings, template_id: str, inputs: dict[str, Any], params: dict[str, Any]
) -> None:
    """In a worker: compile and refuse (a SafetyError) a plan that breaks a safety rule."""
    plan = compile_template(template_id, inputs, params)
    check_plan(plan, safety_limits(settings), no_fly_zones(settings))


async def preview(
    services: Services, template_id: str, inputs: dict[str, Any], params: dict[str, Any]
) -> Response:
    """A template's plan preview, compiled in the worker pool within its time limit."""
    settings = services.settings
    body = await run_cpu(
        compile_preview, settings, template_id, inputs, params,
        timeout_s=settings.limits.cpu_timeout_s,
    )
    return Response(body, media_type="application/json")


async def check_template_plan(
    services: Services, template_id: str, inputs: dict[str, Any], params: dict[str, Any]
) -> None:
    """Compile and safety-check a template's plan in the worker pool (a patrol's, say)."""
    settings = services.settings
    await run_cpu(
        compile_and_check, settings, template_id, inputs, params,
        timeout_s=settings.limits.cpu_timeout_s,
    )


# ---------------------------------------------------------------- the planner's helpers

#: The parameters the console offers on every template, and on area and corridor work.
COMMON_PARAMS = ("altitude_m", "speed_m_s")
SURVEY_PARAMS = ("gsd_cm_px", "side_overlap_pct", "front_overlap_pct")
SURVEY_PATTERNS = frozenset({"area_survey", "corridor"})
#: Kept back from each sortie's battery beyond the reserve (wind, a longer approach).
SPLIT_MARGIN_S = 60.0
#: A part's drawn path is thinned to at most this many points (the items stay on the server).
PATH_POINTS_MAX = 2000


def _unit_of(name: str) -> str:
    for suffix, unit in (("_m_s", "m/s"), ("_cm_px", "cm/px"), ("_pct", "%"), ("_deg", "deg"),
                         ("_m", "m"), ("_s", "s")):
        if name.endswith(suffix):
            return unit
    return ""


def template_params(settings: Settings, template_id: str) -> list[dict[str, Any]]:
    """The numeric parameters the operator may change on ``template_id``: each with its
    value (the template's default, else the built-in one), unit and limits (the altitude's
    maximum is the server's ceiling)."""
    from jinghang.missions.catalog import load_catalog
    from jinghang.missions.params import PARAMS

    template = load_catalog().get(template_id)
    patterns = {s.pattern for s in template.stages} | {template.pattern.split(" ")[0]}
    names = list(COMMON_PARAMS)
    if patterns & SURVEY_PATTERNS:
        names += SURVEY_PARAMS
    stage_values: dict[str, Any] = {}
    for stage in template.stages:
        stage_values.update(stage.params)
    for name in [*template.defaults, *stage_values]:
        spec = PARAMS.get(name)
        if spec is not None and spec.kind in (int, float) and name not in names:
            names.append(name)
    out: list[dict[str, Any]] = []
    for name in names:
        spec = PARAMS[name]
        maximum = spec.maximum
        if name in ("altitude_m", "bottom_altitude_m") and maximum is not None:
            maximum = min(maximum, settings.altitude_ceiling_m)
        value = template.defaults.get(name, stage_values.get(name, spec.default))
        out.append({
            "name": name,
            "kind": "integer" if spec.kind is int else "number",
            "value": value,
            "minimum": spec.minimum,
            "maximum": maximum,
            "unit": _unit_of(name),
            "optional": spec.optional,
            "help": spec.help,
        })
    return out


def _path_of(plan: MissionPlan) -> list[list[float]]:
    points = [[i.latitude_deg, i.longitude_deg] for i in plan.items
              if not (i.latitude_deg == 0.0 and i.longitude_deg == 0.0)]
    step = max(1, len(points) // PATH_POINTS_MAX)
    return points[::step]


def compile_split(
    settings: Settings, template_id: str, inputs: dict[str, Any], params: dict[str, Any]
) -> bytes:
    """In a worker: the area of ``inputs`` cut into the fewest strips that each fit one full
    battery minus the reserve (:func:`jinghang.missions.split.battery_sized_areas`), each
    strip compiled and checked on its own: its figures, path and the rules it still breaks."""
    from jinghang.missions.compile import normalize_inputs
    from jinghang.missions.errors import InputError
    from jinghang.missions.estimate import Airframe
    from jinghang.missions.split import MAX_PARTS, battery_sized_areas

    norm = normalize_inputs(inputs)
    area = norm.get("area")
    if not area or len(area) < 3:
        raise InputError(
            f"only area work can be split into sorties; template {template_id} was given none",
            field="inputs.area", value=None, limit="an area of 3 or more points",
            code="plan.split_needs_area",
        )
    limits = safety_limits(settings)
    airframe = Airframe()
    budget_s = airframe.endurance_s * (100.0 - limits.reserve_pct) / 100.0 - SPLIT_MARGIN_S

    whole = compile_template(template_id, norm, params)
    needed = math.ceil(whole.flight_time_s / budget_s)
    if needed > MAX_PARTS:  # each part flies its share plus its way there: it cannot fit
        raise InputError(
            f"the area takes {whole.flight_time_s / 60:.0f} min of flight, more than "
            f"{MAX_PARTS} sorties of {budget_s / 60:.0f} min each: draw a smaller area",
            field="inputs.area", value=needed, limit=MAX_PARTS, code="plan.split_too_many",
            parts_needed=needed, max_parts=MAX_PARTS,
        )

    def items_for(strip: list[list[float]]) -> list[Any]:
        return compile_template(template_id, {**norm, "area": strip}, params).items

    strips = battery_sized_areas(area, items_for, budget_s, airframe)
    parts: list[dict[str, Any]] = []
    for n, strip in enumerate(strips):
        plan = compile_template(template_id, {**norm, "area": strip.area}, params)
        violations = find_violations(plan, limits, no_fly_zones(settings))
        parts.append({
            "index": n,
            "area": strip.area,
            **plan.summary(),
            "path": _path_of(plan),
            "violations": [v.to_dict() for v in violations],
        })
    body = {
        "template_id": template_id.upper(),
        "part_count": len(parts),
        "fits": all(not p["violations"] for p in parts),
        "max_parts": MAX_PARTS,
        "budget_s": round(budget_s, 1),
        "reserve_pct": limits.reserve_pct,
        "parts": parts,
    }
    return json.dumps(body, ensure_ascii=False, allow_nan=False, default=str).encode("utf-8")


async def split(
    services: Services, template_id: str, inputs: dict[str, Any], params: dict[str, Any]
) -> Response:
    """A template's area split into battery-sized sorties, compiled in the worker pool."""
    settings = services.settings
    body = await run_cpu(
        compile_split, settings, template_id, inputs, params,
        timeout_s=settings.limits.cpu_timeout_s,
    )
    return Response(body, media_type="application/json")
