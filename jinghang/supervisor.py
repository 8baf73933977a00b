"""Supervision of the server's long-running parts: each runs under :meth:`Supervisor.supervise`,
which restarts it with backoff when it fails and reports the failure (the alert service turns
it into a ``component.stopped`` alert), so that one failing part never stops the others.

Parts supervised elsewhere (the fleet's links, which the flight core retries itself; a flight
recorder that gave up on a full disk) report their state with :meth:`Supervisor.report`.
:meth:`Supervisor.components` is what ``/api/health`` shows.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

Runner = Callable[[], Coroutine[Any, Any, Any]]
OnStopped = Callable[[str, str], None]


class ComponentState(enum.StrEnum):
    """``running``; ``restarting`` (failed, waiting for its next try); ``stopped`` (gave up,
    or reported down); ``finished`` (its work ended normally)."""

    STARTING = "starting"
    RUNNING = "running"
    RESTARTING = "restarting"
    STOPPED = "stopped"
    FINISHED = "finished"


DOWN = frozenset({ComponentState.RESTARTING, ComponentState.STOPPED})


@dataclass
class ComponentStatus:
    """What health shows of one part."""

    name: str
    vital: bool
    state: ComponentState = ComponentState.STARTING
    restarts: int = 0
    last_error: str | None = None
    since_s: float = 0.0

    @property
    def down(self) -> bool:
        return self.state in DOWN

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "status": self.state.value, "vital": self.vital,
                "restarts": self.restarts, "last_error": self.last_error,
                "since_s": round(self.since_s, 3)}


class Supervisor:
    """Runs parts with restart and backoff (``initial_backoff_s`` doubling to
    ``max_backoff_s``; back to the start after ``stable_s`` of running)."""

    def __init__(self, *, initial_backoff_s: float = 0.5, max_backoff_s: float = 30.0,
                 stable_s: float = 60.0) -> None:
        self.initial_backoff_s = initial_backoff_s
        self.max_backoff_s = max_backoff_s
        self.stable_s = stable_s
        self.status: dict[str, ComponentStatus] = {}
        #: Called with (component, error) each time a part stops with an error.
        self.on_stopped: list[OnStopped] = []

    def _set(self, name: str, state: ComponentState, *, vital: bool | None = None,
             error: str | None = None) -> ComponentStatus:
        status = self.status.get(name)
        if status is None:
            status = self.status[name] = ComponentStatus(name, bool(vital))
        if vital is not None:
            status.vital = vital
        if status.state != state:
            status.since_s = time.time()
        status.state = state
        if error is not None:
            status.last_error = error
        return status

    def report(self, name: str, state: ComponentState, *, error: str | None = None,
               vital: bool = False, announce: bool = True) -> None:
        """Record the state of a part supervised elsewhere; a part that goes down with an
        error is reported to ``on_stopped`` once per fall (unless ``announce`` is false:
        the caller raises its own, more precise alert)."""
        was_down = name in self.status and self.status[name].down
        self._set(name, state, vital=vital, error=error)
        if announce and state in DOWN and not was_down and error is not None:
            self._stopped(name, error)

    def _stopped(self, name: str, error: str) -> None:
        for callback in self.on_stopped:
            try:
                callback(name, error)
            except Exception:  # reporting must never take supervision down
                log.exception("reporting the stop of %s failed", name)

    async def supervise(self, name: str, run: Runner, *, vital: bool = False) -> None:
        """Run ``run()`` until it returns; restart it with backoff each time it raises."""
        delay_s = self.initial_backoff_s
        while True:
            started_s = time.monotonic()
            status = self._set(name, ComponentState.RUNNING, vital=vital)
            try:
                await run()
            except Exception as error:  # CancelledError is not an Exception: it goes through
                text = f"{type(error).__name__}: {error}"
                log.exception("%s stopped; restarting in %.1f s", name, delay_s)
                self._set(name, ComponentState.RESTARTING, error=text)
                status.restarts += 1
                self._stopped(name, text)
            else:
                self._set(name, ComponentState.FINISHED)
                return
            if time.monotonic() - started_s >= self.stable_s:
                delay_s = self.initial_backoff_s
            await asyncio.sleep(delay_s)
            delay_s = min(self.max_backoff_s, delay_s * 2)

    def components(self) -> list[ComponentStatus]:
        return [self.status[name] for name in sorted(self.status)]

    @property
    def vital_down(self) -> list[str]:
        return [s.name for s in self.components() if s.vital and s.down]
