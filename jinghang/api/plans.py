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
