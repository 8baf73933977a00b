"""The FastAPI application factory: ``create_app(settings, services)``.

No import-time globals: everything the routes need lives on ``app.state.services`` and is
reached through the typed dependencies of :mod:`jinghang.api.deps`. The lifespan runs
:meth:`Services.running` (fleet links, dispatcher, patrols, video gateway in one TaskGroup).
The web console (``jinghang/console/``) is served at ``/`` when its ``index.html`` exists.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

from jinghang.api.audit_middleware import AuditMiddleware
from jinghang.api.openapi import document_problems
from jinghang.api.problems import install_problem_handlers
from jinghang.api.request_guard import RequestGuardMiddleware
from jinghang.api.routes import ROOT_ROUTERS, ROUTERS
from jinghang.api.security_headers import SecurityHeadersMiddleware
from jinghang.api.services import Services
from jinghang.api.workers import using_workers
from jinghang.config import Settings

CONSOLE_DIR = Path(__file__).resolve().parent.parent / "console"
API_PREFIX = "/api"


def create_app(settings: Settings, services: Services) -> FastAPI:
    """Build the app serving ``services``; refuses a placeholder secret outside the demo."""
    settings.check_for_serving()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with using_workers(settings.limits), services.running():
            yield

    app = FastAPI(
        title="Jinghang (警航) API",
        version="0.1.0",
        description=(
            "Drone police operations: incidents, the fleet with live state, missions, "
            "templates, playbooks, patrols, users and the audit trail. Log in at "
            "`/api/auth/token` (OAuth2 password flow) and send `Authorization: Bearer <token>`."
        ),
        lifespan=lifespan,
        docs_url="/api/docs",
        redoc_url="/api/redoc",
        openapi_url="/api/openapi.json",
    )
    app.state.services = services
    app.state.settings = settings
    install_problem_handlers(app)
    app.add_middleware(AuditMiddleware)
    app.add_middleware(RequestGuardMiddleware, limits=settings.limits)
    # added last, so outermost: the guard's own 413/422 answers carry the security headers too
    app.add_middleware(SecurityHeadersMiddleware, tile_url=settings.console_tile_url)
    for router in ROUTERS:
        app.include_router(router, prefix=API_PREFIX)
    for router in ROOT_ROUTERS:
        app.include_router(router)
    _mount_video(app, services)
    _mount_console(app)
    document_problems(app)
    return app


def _mount_video(app: FastAPI, services: Services) -> None:
    if services.video_gateway is None:
        return
    from jinghang.api.deps import require_reader
    from jinghang.video.api import router_for

    app.include_router(router_for(services.video_gateway, require_reader), prefix=API_PREFIX)


def _mount_console(app: FastAPI) -> None:
    if (CONSOLE_DIR / "index.html").is_file():
        app.mount("/", StaticFiles(directory=CONSOLE_DIR, html=True), name="console")
    else:

        @app.get("/", include_in_schema=False)
        async def no_console() -> RedirectResponse:
            return RedirectResponse("/api/docs")
