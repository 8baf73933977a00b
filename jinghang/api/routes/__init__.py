"""One router per resource; :data:`ROUTERS` are mounted under ``/api``, :data:`ROOT_ROUTERS`
at the root (the WebSocket stream ``/ws``, the shared case pages ``/share/...``)."""

from __future__ import annotations

from fastapi import APIRouter

from jinghang.api.routes import (
    alerts,
    audit,
    auth,
    console_settings,
    energy,
    fleet,
    health,
    incidents,
    missions,
    patrols,
    pilot,
    playbooks,
    recordings,
    shares,
    templates,
    users,
    ws,
    zones,
)

ROUTERS: tuple[APIRouter, ...] = (
    health.router,
    auth.router,
    users.router,
    fleet.router,
    energy.router,
    pilot.router,
    incidents.router,
    templates.router,
    playbooks.router,
    missions.router,
    patrols.router,
    recordings.router,
    console_settings.router,
    zones.router,
    audit.router,
    alerts.router,
    shares.router,
)
ROOT_ROUTERS: tuple[APIRouter, ...] = (ws.router, shares.root_router)
