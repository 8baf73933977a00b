"""What the API serves: the running parts of a Jinghang server, built once and handed to
:func:`jinghang.api.app.create_app`.

:class:`Services` holds the settings, the event bus, the store, the fleet and the optional
dispatcher, patrol scheduler and video gateway. :meth:`Services.running` is the app's lifespan:
it enters the fleet (and any extra async context such as the demo's simulators), connects the
configured links, enters the components that are async contexts (the video gateway) and runs
every other component's ``run()`` (the alert service, the dispatcher, the patrols, extra
runners such as the flight recording) under the :class:`~jinghang.supervisor.Supervisor`, which
restarts a failing one with backoff and raises a ``component.stopped`` alert, inside one
``asyncio.TaskGroup``; leaving it cancels them, commits what the store writer still holds and
closes everything in reverse order.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from jinghang.config import Settings
from jinghang.events import EventBus
from jinghang.supervisor import Supervisor

log = logging.getLogger(__name__)

STARTUP_TIMEOUT_S = 30.0
#: The parts without which the server cannot serve: health answers 503 while one is down.
VITAL = frozenset({"alerts", "dispatcher"})
#: A drone is low on battery this far above the reserve it must land with.
LOW_BATTERY_MARGIN_PCT = 5.0

Runner = Callable[[], Coroutine[Any, Any, Any]]


@dataclass
class Services:
    """The parts of a server; every one but the settings, bus and store may be absent."""

    settings: Settings
    bus: EventBus
    store: Any
    fleet: Any | None = None
    #: The register's (link, system id) -> drone id map the fleet identifies drones by
    #: (:class:`jinghang.api.identities.DroneIdentities`; ``jinghang serve`` has one).
    identities: Any | None = None
    dispatcher: Any | None = None
    patrols: Any | None = None
    video_gateway: Any | None = None
    #: The alert service (built at start when absent).
    alerts: Any | None = None
    #: The store writer the dispatcher and the alert rules write through (when there is one).
    writer: Any | None = None
    supervisor: Supervisor = field(default_factory=Supervisor)
    #: Names of the parts without which the server cannot serve (health: 503 while one is down).
    vital: frozenset[str] = VITAL
    #: Async contexts entered before the fleet (the demo's in-process simulators), in order.
    contexts: list[AbstractAsyncContextManager[Any]] = field(default_factory=list)
    #: Extra background work run beside the components (named for logs).
    runners: dict[str, Runner] = field(default_factory=dict)
    #: Users as recently read for authentication: username -> (read at, user or None).
    user_cache: dict[str, tuple[float, Any]] = field(default_factory=dict)
    #: Called once everything is up (the demo prints its banner here).
    on_ready: list[Callable[[], Awaitable[None] | None]] = field(default_factory=list)

    def _components(self) -> list[tuple[str, Any]]:
        return [
            (name, getattr(self, name))
            for name in ("video_gateway", "alerts", "dispatcher", "patrols")
            if getattr(self, name) is not None
        ]

    def _background(self) -> dict[str, Runner]:
        """``run()`` of every component that is not an async context manager, and runners."""
        work: dict[str, Runner] = {}
        for name, component in self._components():
            run = getattr(component, "run", None)
            if not hasattr(component, "__aenter__") and callable(run):
                work[name] = run
        work.update(self.runners)
        return work

    async def _wait_started(self) -> None:
        """Wait for components that say when they are up (``started``: an asyncio.Event)."""
        for name, component in self._components():
            started = getattr(component, "started", None)
            if isinstance(started, asyncio.Event):
                async with asyncio.timeout(STARTUP_TIMEOUT_S):
                    await started.wait()
                log.info("%s started", name)

    def _add_alerts(self) -> None:
        """The alert service, and every stop the supervisor sees raised as an alert."""
        if self.alerts is None:
            from jinghang.alerts import AlertService, Rules

            self.alerts = AlertService(self.store, self.bus, Rules(
                battery_low_pct=self.settings.battery_reserve_pct + LOW_BATTERY_MARGIN_PCT,
                altitude_ceiling_m=self.settings.altitude_ceiling_m), writer=self.writer)
        alerts = self.alerts

        def stopped(component: str, error: str) -> None:
            alerts.raise_code("component.stopped", {"component": component, "error": error})

        if not self.supervisor.on_stopped:  # once, however often the server starts
            self.supervisor.on_stopped.append(stopped)

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Start every part, yield while the server serves, stop everything cleanly."""
        self._add_alerts()
        async with AsyncExitStack() as stack:
            for context in self.contexts:
                await stack.enter_async_context(context)
            if self.fleet is not None:
                await stack.enter_async_context(self.fleet)
                for link in self.settings.links:
                    await self.fleet.connect(link)
                    log.info("fleet link %s opened", link)
            for _name, component in self._components():
                if hasattr(component, "__aenter__"):
                    if hasattr(component, "supervisor"):  # its own parts, supervised too
                        component.supervisor = self.supervisor
                    await stack.enter_async_context(component)
            async with asyncio.TaskGroup() as tasks:
                started: list[asyncio.Task[Any]] = [
                    tasks.create_task(
                        self.supervisor.supervise(name, run, vital=name in self.vital), name=name)
                    for name, run in self._background().items()
                ]
                await self._wait_started()
                for callback in self.on_ready:
                    result = callback()
                    if result is not None:
                        await result
                try:
                    yield
                finally:
                    for task in started:
                        task.cancel()
            if self.writer is not None:
                await asyncio.to_thread(self.writer.close)  # commit what is still queued
