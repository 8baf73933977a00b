"""The catalog of 33 templates: list, one template, and a plan preview (compiled and
safety-checked with the server's limits and no-fly zones, nothing sent to a vehicle)."""

from __future__ import annotations

import dataclasses
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from jinghang.api.deps import Reader, ServicesDep
from jinghang.api.zones import no_fly_zones, safety_limits
from jinghang.missions.catalog import load_catalog
from jinghang.missions.compile import compile_template
from jinghang.missions.safety import find_violations

router = APIRouter(prefix="/templates", tags=["templates"])


class PlanRequest(BaseModel):
    inputs: dict[str, Any] = Field(
        description="area / route / points as [[lat, lon], ...], point as [lat, lon], "
        "home as [lat, lon, alt_amsl_m]"
    )
    params: dict[str, Any] = Field(default_factory=dict)


class PlanPreview(BaseModel):
    summary: dict[str, Any]
    items: list[dict[str, Any]]
    violations: list[dict[str, Any]]


def item_dict(item: Any) -> dict[str, Any]:
    out = dataclasses.asdict(item)
    return {k: (int(v) if k in ("command", "frame", "mission_type") else v) for k, v in out.items()}


@router.get("", summary="Every template of the catalog")
async def list_templates(_: Reader) -> list[dict[str, Any]]:
    return [t.to_dict() for t in load_catalog()]


@router.get("/{template_id}")
async def get_template(_: Reader, template_id: str) -> dict[str, Any]:
    return load_catalog().get(template_id).to_dict()


@router.post("/{template_id}/plan", response_model=PlanPreview, summary="Preview a plan")
async def preview_plan(
    services: ServicesDep, _: Reader, template_id: str, request: PlanRequest
) -> PlanPreview:
    plan = compile_template(template_id, request.inputs, request.params)
    violations = find_violations(
        plan, safety_limits(services.settings), no_fly_zones(services.settings)
    )
    return PlanPreview(
        summary=plan.summary(),
        items=[item_dict(i) for i in plan.items],
        violations=[v.to_dict() for v in violations],
    )
