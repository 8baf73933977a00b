"""Missions: the plans flown (with their timeline of events and the commands sent), and a
plan preview for any template (compiled and safety-checked, nothing sent)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from jinghang.api.deps import Reader, ServicesDep
from jinghang.api.limits import DroneIdFilter, RowId, RowIdFilter
from jinghang.api.plans import preview
from jinghang.api.tracks import mission_track_geojson
from jinghang.store.commands import list_commands
from jinghang.store.missions import get_mission, list_events, list_missions
from jinghang.store.schemas import MissionPublic, PlanInputs, PlanParams

router = APIRouter(prefix="/missions", tags=["missions"])


class PlanRequest(BaseModel):
    template_id: str = Field(min_length=1, max_length=32, description="a catalog template id")
    inputs: PlanInputs
    params: PlanParams = Field(default_factory=dict)


@router.post("/plan", summary="Preview a template's plan (nothing is flown)")
async def plan_preview(services: ServicesDep, _: Reader, request: PlanRequest) -> Response:
    return await preview(
        services, request.template_id, request.inputs.as_dict(), request.params
    )


@router.get("", response_model=list[MissionPublic])
async def missions(
    services: ServicesDep,
    _: Reader,
    incident_id: RowIdFilter = None,
    drone_id: DroneIdFilter = None,
    active_only: bool = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[MissionPublic]:
    with services.store.read_session() as session:
        return list_missions(
            session,
            incident_id=incident_id,
            drone_id=drone_id,
            active_only=active_only,
            limit=limit,
        )


@router.get("/{mission_id}", summary="A mission with its timeline and commands")
async def mission(services: ServicesDep, _: Reader, mission_id: RowId) -> dict[str, Any]:
    with services.store.read_session() as session:
        found = get_mission(session, mission_id)
        events = list_events(session, mission_id=mission_id)
        commands = (
            [
                c
                for c in list_commands(session, drone_id=found.drone_id)
                if c.mission_id == mission_id
            ]
            if found.drone_id is not None
            else []
        )
    return {
        **found.model_dump(mode="json"),
        "events": [e.model_dump(mode="json") for e in events],
        "commands": [c.model_dump(mode="json") for c in commands],
    }


@router.get("/{mission_id}/track.geojson", summary="The track flown, as a GeoJSON LineString")
async def mission_track(services: ServicesDep, _: Reader, mission_id: RowId) -> JSONResponse:
    return JSONResponse(mission_track_geojson(services, mission_id),
                        media_type="application/geo+json")
