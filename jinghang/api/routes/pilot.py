"""Flying a drone by hand (pilot or commander): take over (pause), goto, RTL, land, release;
and marking a drone that landed away from its base as recovered (carried home).

A drone flying a dispatched mission goes through the dispatcher's handover: ``pause`` takes it
over (it stops and waits), ``goto`` flies it by hand (checked against the ceiling and the
no-fly zones), ``release`` resumes the mission where it stopped, ``rtl`` recalls it. A drone
not on a dispatched mission is commanded directly (goto is checked the same way). Every
command is recorded with its acknowledgement by the dispatcher's command recorder and every
request in the audit trail."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, Field

from jinghang.api.deps import Flyer, ServicesDep, note_audit
from jinghang.api.dispatching import dispatcher_of
from jinghang.api.register import VehicleNotFound, VehicleView, vehicle_view
from jinghang.api.services import Services
from jinghang.dispatch.dispatcher import Dispatcher

router = APIRouter(prefix="/fleet", tags=["pilot"])

SystemId = Annotated[int, Path(ge=1, le=255, description="MAVLink system id")]


class Goto(BaseModel):
    latitude_deg: float = Field(ge=-90, le=90)
    longitude_deg: float = Field(ge=-180, le=180)
    relative_altitude_m: float = Field(default=50.0, gt=0, le=500)


def _dispatched(dispatcher: Dispatcher, system_id: int) -> bool:
    return system_id in dispatcher.flights


def _vehicle(services: Services, system_id: int):  # type: ignore[no-untyped-def]
    fleet = services.fleet
    vehicle = fleet.vehicles.get(system_id) if fleet is not None else None
    if vehicle is None:
        raise VehicleNotFound(
            f"vehicle {system_id} has no live link", field="system_id", value=system_id
        )
    return vehicle


@router.post("/{system_id}/pause", response_model=VehicleView, summary="Take over: stop here")
async def pause(
    request: Request, services: ServicesDep, who: Flyer, system_id: SystemId
) -> VehicleView:
    note_audit(request, "vehicle.pause", "vehicle", system_id)
    dispatcher = dispatcher_of(services)
    if _dispatched(dispatcher, system_id):
        await dispatcher.take_over(system_id, actor=who.username)
    else:
        await _vehicle(services, system_id).pause(actor=who.username)
    return vehicle_view(services, system_id)


@router.post("/{system_id}/goto", response_model=VehicleView, summary="Fly to a point by hand")
async def goto(
    request: Request, services: ServicesDep, who: Flyer, system_id: SystemId, to: Goto
) -> VehicleView:
    note_audit(request, "vehicle.goto", "vehicle", system_id, **to.model_dump())
    dispatcher = dispatcher_of(services)
    if _dispatched(dispatcher, system_id):
        await dispatcher.pilot_goto(
            system_id, to.latitude_deg, to.longitude_deg, to.relative_altitude_m, actor=who.username
        )
    else:
        vehicle = _vehicle(services, system_id)
        state = vehicle.state
        start = (state.latitude_deg, state.longitude_deg) if state.has_position else None
        dispatcher.check_point(
            to.latitude_deg, to.longitude_deg, to.relative_altitude_m, start=start
        )
        await vehicle.goto(
            to.latitude_deg, to.longitude_deg, to.relative_altitude_m, actor=who.username
        )
    return vehicle_view(services, system_id)


@router.post("/{system_id}/rtl", response_model=VehicleView, summary="Return to launch")
async def rtl(
    request: Request, services: ServicesDep, who: Flyer, system_id: SystemId
) -> VehicleView:
    note_audit(request, "vehicle.rtl", "vehicle", system_id)
    dispatcher = dispatcher_of(services)
    if _dispatched(dispatcher, system_id):
        await dispatcher.recall_drone(system_id, actor=who.username)
    else:
        await _vehicle(services, system_id).rtl(actor=who.username)
    return vehicle_view(services, system_id)


@router.post("/{system_id}/land", response_model=VehicleView, summary="Land where it is")
async def land(
    request: Request, services: ServicesDep, who: Flyer, system_id: SystemId
) -> VehicleView:
    note_audit(request, "vehicle.land", "vehicle", system_id)
    await _vehicle(services, system_id).land(actor=who.username)
    return vehicle_view(services, system_id)


@router.post(
    "/{system_id}/release",
    response_model=VehicleView,
    summary="Give the drone back: the mission resumes where it stopped",
)
async def release(
    request: Request, services: ServicesDep, who: Flyer, system_id: SystemId
) -> VehicleView:
    note_audit(request, "vehicle.release", "vehicle", system_id)
    await dispatcher_of(services).release(system_id, actor=who.username)
    return vehicle_view(services, system_id)


@router.post(
    "/{system_id}/recovered",
    response_model=VehicleView,
    summary="A drone that landed away from its base is back home: available again",
)
async def recovered(
    request: Request, services: ServicesDep, who: Flyer, system_id: SystemId
) -> VehicleView:
    note_audit(request, "vehicle.recovered.request", "vehicle", system_id)
    dispatcher_of(services).mark_recovered(system_id, actor=who.username)
    return vehicle_view(services, system_id)
