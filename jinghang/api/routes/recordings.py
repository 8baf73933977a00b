"""Recorded video segments with their SHA-256 chain (read-only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from jinghang.api.deps import Reader, ServicesDep
from jinghang.api.limits import RowIdFilter, SystemIdFilter
from jinghang.store.recordings import list_recordings
from jinghang.store.schemas import RecordingPublic

router = APIRouter(prefix="/recordings", tags=["recordings"])


@router.get("", response_model=list[RecordingPublic])
async def recordings(
    services: ServicesDep,
    _: Reader,
    vehicle_system_id: SystemIdFilter = None,
    incident_id: RowIdFilter = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
) -> list[RecordingPublic]:
    with services.store.read_session() as session:
        return list_recordings(
            session, vehicle_system_id=vehicle_system_id, incident_id=incident_id, limit=limit
        )
