"""The no-fly zones the server checks every plan against, as GeoJSON."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from jinghang.api.deps import Reader, ServicesDep
from jinghang.api.zones import zones_geojson

router = APIRouter(prefix="/no-fly-zones", tags=["templates"])


@router.get("", summary="No-fly zones (GeoJSON FeatureCollection)")
async def no_fly(services: ServicesDep, _: Reader) -> dict[str, Any]:
    return zones_geojson(services.settings)
