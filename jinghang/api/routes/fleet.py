"""The fleet: every drone with its register entry and live state; an admin registers them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from jinghang.api import register
from jinghang.api.deps import Admin, Reader, ServicesDep, note_audit
from jinghang.api.fleet_listing import FleetListing, fleet_listing
from jinghang.api.json_response import JSONBytesResponse
from jinghang.api.limits import DroneId
from jinghang.api.register import VehicleCreate, VehicleUpdate, VehicleView
from jinghang.video.source_address import check_network_camera

router = APIRouter(prefix="/fleet", tags=["fleet"])

Listing = Annotated[FleetListing, Depends(fleet_listing)]


@router.get("", response_model=list[VehicleView], summary="The fleet with live state")
async def fleet(listing: Listing, _: Reader) -> JSONBytesResponse:
    """Every drone with its live state, at most one telemetry tick (0.2 s) old."""
    return JSONBytesResponse(listing.body())


@router.get("/link-trust", summary="Link trust: bound sources, refused traffic, quarantine")
async def link_trust(services: ServicesDep, _: Admin) -> dict[str, Any]:
    """For an admin: each drone's bound link and the traffic for its system id refused from
    elsewhere, and the system ids heard but not trusted (unregistered or spoofing: never on
    the fleet map, never commanded; they expire after silence)."""
    if services.fleet is None:
        return {"bindings": [], "quarantined": []}
    return {"bindings": services.fleet.link_trust(), "quarantined": services.fleet.quarantined()}


@router.get("/{drone_id}", response_model=VehicleView)
async def vehicle(services: ServicesDep, _: Reader, drone_id: DroneId) -> VehicleView:
    return register.vehicle_view(services, drone_id)


@router.post("", response_model=VehicleView, status_code=201, summary="Register a drone")
async def register_vehicle(
    request: Request, services: ServicesDep, _: Admin, new: VehicleCreate
) -> VehicleView:
    check_network_camera(new.video_source_url)
    note_audit(request, "vehicle.register", "vehicle", new.drone_id, name=new.name)
    return register.register_vehicle(services, new)


@router.patch("/{drone_id}", response_model=VehicleView)
async def update_vehicle(
    request: Request, services: ServicesDep, _: Admin, drone_id: DroneId, change: VehicleUpdate
) -> VehicleView:
    if change.video_source_url is not None:
        check_network_camera(change.video_source_url)
    note_audit(
        request,
        "vehicle.update",
        "vehicle",
        drone_id,
        **change.model_dump(mode="json", exclude_none=True),
    )
    return register.update_vehicle(services, drone_id, change)
