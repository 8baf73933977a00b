"""Is the server up, and is each of its parts running: for load balancers and operators (no
sign-in, nothing confidential).

``components`` lists every supervised part (the alert service, the dispatcher, the patrols,
the flight recording, each video relay's task ``relay N``, each recorder that gave up), each
fleet link and each drone's video source (``video N``: is its camera stream open), with
``status`` (``running``, ``restarting``, ``stopped``, ``finished``) and its last error. The
answer is 503 with ``ok: false`` while a vital part (the dispatcher, the alert service) is down.

On an API node (``jinghang serve --role api``) the components also list every role heard from
(``role <name>``: ``running`` or ``silent``, with ``role``, ``age_s`` of its last heartbeat,
the ``drones`` it holds and its ``links``; :mod:`jinghang.roles.health`), and ``bus`` is the
node's NATS connection (:meth:`jinghang.bus.nats_bus.NatsBus.status`). ``all`` has neither.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from jinghang.api.deps import ServicesDep
from jinghang.api.live import live_vehicles
from jinghang.video.sources import describe

router = APIRouter(tags=["health"])


def _links(services: Any) -> list[dict[str, Any]]:
    router_ = getattr(services.fleet, "router", None)
    out = []
    for link in list(getattr(router_, "links", []) or []):
        connected = bool(getattr(link, "connected", False))
        out.append({"name": f"link {link.name}", "status": "running" if connected else "stopped",
                    "vital": False, "restarts": 0, "last_error": link.last_error})
    return out


def _relays(services: Any) -> list[dict[str, Any]]:
    gateway = services.video_gateway
    out = []
    for drone_id, relay in sorted((getattr(gateway, "relays", None) or {}).items()):
        source = getattr(relay, "source", None)
        if source is None:
            continue
        view = describe(source)
        status = ("running" if view["open"] else
                  "starting" if not view["open_failures"] else "stopped")
        out.append({"name": f"video {drone_id}", "status": status, "vital": False,
                    "restarts": view["open_failures"], "last_error": view["last_error"] or None})
    return out


@router.get("/health", summary="Liveness and the state of each part",
            responses={503: {"description": "a vital part is down"}})
async def health(services: ServicesDep) -> JSONResponse:
    supervisor = services.supervisor
    components = [c.to_dict() for c in supervisor.components()]
    components += _links(services) + _relays(services)
    roles = getattr(services.fleet, "roles", None)
    if roles is not None:
        components += roles.components()
    down = [c["name"] for c in components
            if c["status"] in ("restarting", "stopped", "silent")]
    vital_down = supervisor.vital_down
    dispatcher = services.dispatcher
    started = getattr(dispatcher, "started", None)
    live = live_vehicles(services)
    body = {
        "ok": not vital_down,
        "demo": services.settings.demo,
        "vehicles_live": sum(1 for v in live.values() if not v.state.link_lost),
        "dispatcher": bool(started is not None and started.is_set()
                           and "dispatcher" not in vital_down),
        "video": services.video_gateway is not None,
        "components": components,
        "down": down,
    }
    bus_status = getattr(services.bus, "status", None)
    if roles is not None and callable(bus_status):
        body["bus"] = bus_status()
    return JSONResponse(body, status_code=503 if vital_down else 200)
