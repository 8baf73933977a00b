"""The catalog of 33 templates: list, one template, and a plan preview (compiled and
safety-checked with the server's limits and no-fly zones, nothing sent to a vehicle)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel, Field

from jinghang.api.deps import Reader, ServicesDep
from jinghang.api.limits import CatalogId
from jinghang.api.plans import preview
from jinghang.missions.catalog import load_catalog
from jinghang.store.schemas import PlanInputs, PlanParams

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
