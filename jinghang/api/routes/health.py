"""Is the server up, and what is it running: for load balancers and operators (no sign-in,
nothing confidential)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from jinghang.api.deps import ServicesDep
from jinghang.api.live import live_vehicles

router = APIRouter(tags=["health"])


@router.get("/health", summary="Liveness and what is running")
async def health(services: ServicesDep) -> dict[str, Any]:
    dispatcher = services.dispatcher
    started = getattr(dispatcher, "started", None)
    live = live_vehicles(services)
    return {
        "ok": True,
        "demo": services.settings.demo,
        "vehicles_live": sum(1 for v in live.values() if not v.state.link_lost),
        "dispatcher": bool(started is not None and started.is_set()),
        "video": services.video_gateway is not None,
    }
