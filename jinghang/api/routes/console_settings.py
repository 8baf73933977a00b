"""What the web console needs to draw itself: the map's area and tiles, the time zone."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from jinghang.api.deps import ServicesDep

router = APIRouter(prefix="/settings", tags=["console"])

#: Weihai's urban coast: south-west and north-east corners (lat, lon).
WEIHAI_BOUNDS = [[37.40, 121.95], [37.60, 122.30]]


@router.get("/console", summary="Map and display settings for the console (no sign-in)")
async def console_settings(services: ServicesDep) -> dict[str, Any]:
    return {
        "bounds": WEIHAI_BOUNDS,
        "tile_url": services.settings.console_tile_url,
        "tile_attribution": services.settings.console_tile_attribution,
        "time_zone": services.settings.time_zone,
        "demo": services.settings.demo,
    }
