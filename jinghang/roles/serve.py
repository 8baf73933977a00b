"""``jinghang serve --role link|api``: what each role runs (``all`` is
:func:`jinghang.api.cli.run_serve`'s single process, unchanged).

- ``link``: a :class:`~jinghang.roles.link_worker.LinkWorker` on its configured links; no
  HTTP, no store.
- ``api``: the same app as ``all`` (:func:`jinghang.api.runtime.build_services`), with a
  :class:`~jinghang.bus.nats_bus.NatsBus` as its bus and a
  :class:`~jinghang.roles.remote_fleet.BusFleet` as its fleet; it opens no links.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from jinghang.bus.nats_bus import NatsBus
from jinghang.errors import ConfigError

log = logging.getLogger(__name__)

#: How long a role waits for its first connection to NATS before it gives up, saying so.
CONNECT_TIMEOUT_S = 10.0


def worker_name(settings: Any) -> str:
    """The configured ``worker_name``, else ``<role>-<host>-<pid>`` (unique per process)."""
    if settings.worker_name:
        return str(settings.worker_name)
    host = re.sub(r"[^A-Za-z0-9_-]", "-", socket.gethostname())[:24] or "host"
    return f"{settings.role}-{host}-{os.getpid()}"


def check_role(settings: Any) -> None:
    """Refuse settings a role cannot run with, naming the field."""
    if settings.role == "link" and not settings.links:
        raise ConfigError("role 'link' needs links (the MAVLink connections it serves)",
                          field="links", code="config.links_missing", role="link")
    if settings.role == "api" and settings.links:
        raise ConfigError("role 'api' opens no links: give them to a link worker",
                          field="links", value=settings.links, code="config.links_on_api")


@asynccontextmanager
async def started(bus: NatsBus) -> AsyncIterator[NatsBus]:
    """The bus connected for the duration of the block."""
    try:
        async with asyncio.timeout(CONNECT_TIMEOUT_S):
            await bus.start()
    except Exception as exc:
        reason = str(exc) or f"no answer within {CONNECT_TIMEOUT_S:g} s"
        raise ConfigError(f"cannot reach NATS at {', '.join(bus.servers)}: {reason}",
                          field="nats_urls", value=bus.servers,
                          code="config.nats_unreachable") from exc
    try:
        yield bus
    finally:
        await bus.close()


async def serve_link(settings: Any) -> None:
    """Run a link worker until cancelled."""
    from jinghang.roles.link_worker import LinkWorker

    name = worker_name(settings)
    async with started(NatsBus(settings.nats_urls, node=name, consume=False,
                               replicas=settings.nats_replicas)) as bus:
        log.warning("link worker %s on %s, links %s", name, ", ".join(settings.nats_urls),
                    ", ".join(settings.links))
        await LinkWorker(settings, bus, name=name).run()


async def serve_api(settings: Any) -> None:
    """Run an API node until cancelled."""
    from jinghang.api.app import create_app
    from jinghang.api.runtime import build_services
    from jinghang.api.server import serve_forever
    from jinghang.roles.remote_fleet import BusFleet

    name = worker_name(settings)
    bus = NatsBus(settings.nats_urls, node=name, replicas=settings.nats_replicas)
    services = build_services(settings, bus=bus, fleet=BusFleet(bus))
    services.contexts.insert(0, started(bus))
    try:
        app = create_app(settings, services)
        await serve_forever(app, host=settings.host, port=settings.port)
    finally:
        services.store.close()
