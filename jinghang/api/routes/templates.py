"""The catalog of 33 templates: list, one template, the parameters an operator may change on
it (with their limits), a plan preview (compiled and safety-checked with the server's limits
and no-fly zones, nothing sent to a vehicle), the check of a plan against the fleet (which
drone could fly it now, at what share of its battery) and the split of an area too big for one
battery into battery-sized sorties."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel, Field

from jinghang.api.deps import Reader, ServicesDep
from jinghang.api.limits import CatalogId
from jinghang.api.plans import preview, split, template_params
from jinghang.missions.catalog import load_catalog
from jinghang.store.schemas import DroneIdField, PatrolScheduleCreate, PlanInputs, PlanParams

router = APIRouter(prefix="/templates", tags=["templates"])


class PlanRequest(BaseModel):
    inputs: PlanInputs
    params: PlanParams = Field(default_factory=dict)


@router.get("", summary="Every template of the catalog")
async def list_templates(_: Reader) -> list[dict[str, Any]]:
    return [t.to_dict() for t in load_catalog()]


@router.get("/{template_id}")
async def get_template(_: Reader, template_id: CatalogId) -> dict[str, Any]:
    return load_catalog().get(template_id).to_dict()


@router.post("/{template_id}/plan", summary="Preview a plan (nothing is flown)")
async def preview_plan(
    services: ServicesDep, _: Reader, template_id: CatalogId, request: PlanRequest
) -> Response:
    return await preview(services, template_id, request.inputs.as_dict(), request.params)


class CheckRequest(PlanRequest):
    drone_id: DroneIdField | None = Field(
        default=None, description="the drone to check; None: every drone of the fleet"
    )


@router.get("/{template_id}/params", summary="The parameters an operator may change, with limits")
async def parameters(
    services: ServicesDep, _: Reader, template_id: CatalogId
) -> list[dict[str, Any]]:
    return template_params(services.settings, template_id)


@router.post("/{template_id}/split", summary="Split an area into battery-sized sorties")
async def split_plan(
    services: ServicesDep, _: Reader, template_id: CatalogId, request: PlanRequest
) -> Response:
    return await split(services, template_id, request.inputs.as_dict(), request.params)


@router.post("/{template_id}/check", summary="Which drone could fly the plan now")
async def check_plan(
    services: ServicesDep, _: Reader, template_id: CatalogId, request: CheckRequest
) -> dict[str, Any]:
    """The plan against the fleet as a patrol's run would be checked: every drone (or the
    chosen one) with whether it could fly it now, the share of a full battery it takes and
    the drone's battery; ``can_fly`` false with a reason when none could."""
    load_catalog().get(template_id)  # 404 for an unknown template
    check = getattr(services.patrols, "check", None)
    if not callable(check):
        return {"can_fly": False, "reason": "no dispatcher runs",
                "reason_code": "plan.no_dispatcher", "drones": []}
    probe = PatrolScheduleCreate(
        name="check", template_id=template_id, inputs=request.inputs.as_dict(),
        params=request.params, cron="0 0 * * *", drone_id=request.drone_id,
    )
    result: dict[str, Any] = check(probe).to_dict()
    return result
