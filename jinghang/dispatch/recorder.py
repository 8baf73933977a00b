"""Every command sent to a vehicle, by anyone, goes to the store with its actor and the
vehicle's answer: the flight layer publishes each one on the ``command`` topic, and
:class:`CommandRecorder` hands it to the store writer for ``vehicle_commands`` and the audit
trail (tagged, when the command is seen, with the incident or patrol the drone is flying), so
that an acknowledgement never waits on the database. A drone whose case is still being
written is tagged with a :class:`PendingTag` that the case's write fills in: the same writer
runs that write before the command's, so the command row names the case."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlmodel import Session

from jinghang.events import EventBus
from jinghang.store import Store, append_audit, record_command
from jinghang.store.writer import StoreWriter

log = logging.getLogger(__name__)

Ids = tuple[int | None, int | None]


class PendingTag:
    """(incident id, mission id) of a case being written: ``ids`` is set by its write."""

    def __init__(self) -> None:
        self.ids: Ids = (None, None)


#: system id -> (incident id, mission id) of what the drone is flying, or None.
Tagger = Callable[[int], Ids | PendingTag]


def command_job(data: dict[str, Any], tag: Tagger) -> Callable[[Session], None]:
    """The write of one ``command`` event (tagged now), to run in a write transaction."""
    data = dict(data)
    drone_id = int(data.get("drone_id", 0))
    tagged = tag(drone_id)
    result = str(data.get("result", "unknown"))
    actor = str(data.get("actor", "system"))
    params = {k: v for k, v in dict(data.get("params") or {}).items()}

    def write(s: Session) -> None:
        incident_id, mission_id = tagged.ids if isinstance(tagged, PendingTag) else tagged
        row = record_command(
            s,
            drone_id=drone_id,
            command=str(data.get("command", "?")),
            actor=actor,
            params=params,
            result=result,
            incident_id=incident_id,
            mission_id=mission_id,
        )
        details: dict[str, Any] = {"command": row.command, "params": params, "result": result,
                                   "accepted": bool(data.get("accepted", False))}
        if data.get("error"):
            details["error"] = str(data["error"])
        if incident_id is not None:
            details["incident_id"] = incident_id
        append_audit(s, actor=actor, action="vehicle.command", target_type="vehicle",
                     target_id=drone_id, details=details)

    return write


class CommandRecorder:
    """Subscribes to ``command`` events and records each one through ``writer`` (its own
    when none is given); run it inside a TaskGroup. ``recorded`` counts those stored."""

    def __init__(self, store: Store, bus: EventBus, tag: Tagger,
                 writer: StoreWriter | None = None) -> None:
        self.store = store
        self.bus = bus
        self.tag = tag
        self.writer = writer or StoreWriter(store)
        self.recorded = 0

    async def run(self, ready: Callable[[], None] | None = None) -> None:
        async with self.bus.subscribe("command") as sub:
            if ready is not None:
                ready()
            while True:
                event = await sub.get()
                if event.topic != "command":
                    continue
                try:
                    job = command_job(event.data, self.tag)
                except Exception:  # a bad event must not stop the record of the next ones
                    log.exception("could not record command %r", event.data)
                    continue
                self.writer.post(job, what=f"command {event.data.get('command', '?')}",
                                 on_done=self._stored)

    def _stored(self, _result: object) -> None:
        self.recorded += 1
