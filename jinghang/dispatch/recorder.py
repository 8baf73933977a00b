"""Every command sent to a vehicle, by anyone, goes to the store with its actor and the
vehicle's answer: the flight layer publishes each one on the ``command`` topic, and
:class:`CommandRecorder` writes it to ``vehicle_commands`` and the audit trail (tagged with the
incident or patrol the drone is flying, when the dispatcher knows it)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from jinghang.events import EventBus
from jinghang.store import Store, append_audit, record_command

log = logging.getLogger(__name__)

#: system id -> (incident id, mission id) of what the drone is flying, or None.
Tagger = Callable[[int], tuple[int | None, int | None]]


def write_command(store: Store, data: dict[str, Any], tag: Tagger) -> None:
    system_id = int(data.get("system_id", 0))
    incident_id, mission_id = tag(system_id)
    result = str(data.get("result", "unknown"))
    actor = str(data.get("actor", "system"))
    params = {k: v for k, v in dict(data.get("params") or {}).items()}
    with store.transaction() as s:
        row = record_command(
            s,
            vehicle_system_id=system_id,
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
                     target_id=system_id, details=details)


class CommandRecorder:
    """Subscribes to ``command`` events and records each one; run it inside a TaskGroup."""

    def __init__(self, store: Store, bus: EventBus, tag: Tagger) -> None:
        self.store = store
        self.bus = bus
        self.tag = tag
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
                    write_command(self.store, event.data, self.tag)
                    self.recorded += 1
                except Exception:  # a bad row must not stop the record of the next ones
                    log.exception("could not record command %r", event.data)
