"""Health of every role: each role process publishes a ``role.heartbeat``
(:class:`jinghang.bus.subjects.HeartbeatData`) every :data:`HEARTBEAT_S`; an API node's
:class:`RoleWatch` keeps the last one of every role it heard from, and ``/api/health`` lists
them as components ``role <name>``: ``running`` while heartbeats come, ``silent`` once none
came for :data:`SILENT_AFTER_S` (a role silent for :data:`FORGET_AFTER_S` is dropped).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

from jinghang import __version__
from jinghang.bus.nats_bus import NatsBus
from jinghang.bus.subjects import PREFIX, Envelope

log = logging.getLogger(__name__)

HEARTBEAT_S = 1.0
SILENT_AFTER_S = 4.0
FORGET_AFTER_S = 3600.0
TOPIC = "role.heartbeat"

#: What a role says about itself at each beat: its drones and its links.
Describe = Callable[[], tuple[list[int], list[dict[str, Any]]]]


def heartbeat(name: str, role: str, started_s: float, describe: Describe) -> dict[str, Any]:
    """One ``role.heartbeat`` payload."""
    drones, links = describe()
    return {"name": name, "role": role, "drones": drones, "links": links,
            "started_s": started_s, "version": __version__}


async def beat(bus: NatsBus, name: str, role: str, describe: Describe) -> None:
    """Publish this role's heartbeat every :data:`HEARTBEAT_S` until cancelled."""
    started_s = time.time()
    while True:
        try:
            bus.publish(TOPIC, heartbeat(name, role, started_s, describe))
        except Exception as exc:  # a beat that fails must not stop the role
            log.warning("role %s: heartbeat not sent: %s", name, exc)
        await asyncio.sleep(HEARTBEAT_S)


def no_drones() -> tuple[list[int], list[dict[str, Any]]]:
    return [], []


class RoleWatch:
    """The last heartbeat of every role this node heard from (by its monotonic arrival)."""

    def __init__(self, bus: NatsBus) -> None:
        self.bus = bus
        self.last: dict[str, tuple[float, dict[str, Any]]] = {}

    async def start(self) -> None:
        await self.bus.listen(f"{PREFIX}.role.*", self._on_beat)

    async def _on_beat(self, envelope: Envelope) -> None:
        if envelope.topic == TOPIC:
            self.last[str(envelope.data["name"])] = (time.monotonic(), dict(envelope.data))

    def components(self) -> list[dict[str, Any]]:
        """Every role heard from, as ``/api/health`` components (sorted by name)."""
        now = time.monotonic()
        out = []
        for name, (seen, data) in sorted(self.last.items()):
            age_s = now - seen
            if age_s > FORGET_AFTER_S:
                del self.last[name]
                continue
            silent = age_s > SILENT_AFTER_S
            links = [link for link in data.get("links", []) if isinstance(link, dict)]
            errors = [str(link.get("last_error")) for link in links
                      if not link.get("connected") and link.get("last_error")]
            out.append({
                "name": f"role {name}", "status": "silent" if silent else "running",
                "vital": False, "restarts": 0,
                "last_error": (f"no heartbeat for {age_s:.0f} s" if silent
                               else "; ".join(errors) or None),
                "role": data.get("role"), "age_s": round(age_s, 3),
                "drones": list(data.get("drones", [])), "links": links,
                "started_s": data.get("started_s"), "version": data.get("version"),
            })
        return out
