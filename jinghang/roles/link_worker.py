"""The link worker (``jinghang serve --role link``): the links of the drones it holds.

It opens every configured link and follows every drone that appears on them (so a standby
worker knows the flight the moment it takes over), and for each drone runs a
:class:`~jinghang.bus.leases.LeaseKeeper` on ``link.<drone_id>``. Only while it holds a
drone's lease does it:

- publish the drone's events (telemetry, status, mission progress, alarms) on the bus;
- execute the ``command.request`` events for the drone (:mod:`jinghang.roles.protocol`),
  each ``request_id`` at most once across every worker (a create-only key in the
  ``jh_commands`` bucket is written before the command is sent to the vehicle; a parameter
  read, which changes nothing, skips it), and answer with a ``command.reply`` naming itself.

Whatever it holds, it publishes its heartbeat (:mod:`jinghang.roles.health`) every second:
the drones it holds and the state of its links, for the API nodes' ``/api/health``.

A request older than :data:`~jinghang.roles.protocol.MAX_REQUEST_AGE_S` is not executed (its
sender has given up). The vehicle's own ``command`` events are not sent to the bus: the API
node that asked records the command once from the reply.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js.errors import KeyWrongLastSequenceError, NoStreamResponseError
from nats.js.kv import KeyValue

from jinghang.bus.leases import LeaseKeeper, lease_key, open_bucket
from jinghang.bus.nats_bus import NatsBus
from jinghang.bus.subjects import PREFIX, Envelope
from jinghang.events import Event, EventBus
from jinghang.flight import Fleet
from jinghang.roles import health, protocol

log = logging.getLogger(__name__)

WATCH_S = 0.2
#: Topics the worker keeps to itself (the API node records commands from the reply).
LOCAL_ONLY = frozenset({"command"})


class GatedBus(EventBus):
    """The fleet's bus in a link worker: events of a drone go to the bus only while this
    worker holds the drone (``held(drone_id)``); local subscribers get every event."""

    def __init__(self, bus: NatsBus, held: Any) -> None:
        super().__init__()
        self.bus = bus
        self.held = held
        self.gated = 0

    def publish(self, topic: str, data: dict[str, Any]) -> Event:
        drone_id = data.get("drone_id")
        if topic in LOCAL_ONLY or (isinstance(drone_id, int) and not self.held(drone_id)):
            self.gated += 1
            event = Event(topic, data)
            self.deliver(event)
            return event
        event = self.bus.publish(topic, data)
        self.deliver(event)
        return event


class LinkWorker:
    """One link worker: its fleet, its leases and the commands it executes."""

    def __init__(self, settings: Any, bus: NatsBus, *, name: str) -> None:
        self.settings = settings
        self.bus = bus
        self.name = name
        self.gate = GatedBus(bus, self.holds)
        self.fleet = Fleet.from_settings(settings, self.gate)
        self.leases: dict[int, LeaseKeeper] = {}
        self.executed = 0
        self._kv: KeyValue | None = None
        self._done: KeyValue | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._commands: set[asyncio.Task[None]] = set()

    def holds(self, drone_id: int) -> bool:
        keeper = self.leases.get(drone_id)
        return keeper is not None and keeper.held

    def held_drones(self) -> list[int]:
        return sorted(d for d in self.leases if self.holds(d))

    def describe(self) -> tuple[list[int], list[dict[str, Any]]]:
        """For the heartbeat: the drones held, and each link's name and state."""
        links = [{"name": str(link.name), "connected": bool(getattr(link, "connected", False)),
                  "last_error": getattr(link, "last_error", None)}
                 for link in list(getattr(self.fleet.router, "links", []) or [])]
        return self.held_drones(), links

    async def run(self) -> None:
        """Run until cancelled: links, leases, commands."""
        self._kv = await open_bucket(self.bus.js, replicas=self.bus.replicas)
        self._done = await self.bus.key_value(protocol.DONE_BUCKET, ttl_s=protocol.DONE_TTL_S)
        await self.bus.listen(f"{PREFIX}.cmd.*", self._on_request)
        self._tasks.append(asyncio.create_task(
            health.beat(self.bus, self.name, "link", self.describe), name="heartbeat"))
        async with self.fleet:
            for link in self.settings.links:
                await self.fleet.connect(link)
                log.info("link worker %s: link %s opened", self.name, link)
            try:
                while True:
                    self._watch()
                    await asyncio.sleep(WATCH_S)
            finally:
                for task in self._tasks:
                    task.cancel()
                await asyncio.gather(*self._tasks, return_exceptions=True)

    def _watch(self) -> None:
        """A lease keeper for every drone that appeared on the links."""
        assert self._kv is not None
        for drone_id in list(self.fleet.vehicles):
            if drone_id in self.leases:
                continue
            keeper = LeaseKeeper(self._kv, lease_key("link", drone_id), self.name,
                                 on_acquired=self._announce(drone_id, True),
                                 on_lost=self._announce(drone_id, False))
            self.leases[drone_id] = keeper
            self._tasks.append(asyncio.create_task(keeper.run(), name=f"lease-{drone_id}"))

    def _announce(self, drone_id: int, acquired: bool) -> Any:
        def note(reason: str) -> None:
            log.warning("link worker %s %s drone %d (%s)", self.name,
                        "holds" if acquired else "no longer holds", drone_id, reason)
        return note

    async def _on_request(self, envelope: Envelope) -> None:
        if envelope.topic != "command.request":
            return
        drone_id = envelope.data["drone_id"]
        if not self.holds(drone_id):
            return
        if time.time() - envelope.time_s > protocol.MAX_REQUEST_AGE_S:
            log.warning("link worker %s: request %s for drone %d is stale; not executed",
                        self.name, envelope.data["request_id"], drone_id)
            return
        deadline_s = envelope.time_s + protocol.MAX_REQUEST_AGE_S
        task = asyncio.create_task(self._execute(envelope.data, deadline_s))
        self._commands.add(task)
        task.add_done_callback(self._commands.discard)

    async def _claim(self, request_id: str, deadline_s: float) -> bool | None:
        """Record that this worker runs ``request_id`` (create-if-absent in the KV bucket):
        True when claimed, False when some worker ran it already, None when JetStream did not
        answer before ``deadline_s`` (wall clock). A stream without a leader yet (a cluster
        just formed, a node failing over) answers "no responders": that is retried, never
        taken as "not run" (which could run a command twice) nor dropped in silence."""
        assert self._done is not None
        delay_s = 0.1
        while True:
            try:
                await self._done.create(f"cmd.{request_id}", self.name.encode())
                return True
            except KeyWrongLastSequenceError:
                return False
            except (TimeoutError, NoStreamResponseError, NoRespondersError,
                    NatsTimeoutError) as exc:
                if time.time() + delay_s > deadline_s:
                    log.warning("link worker %s: request %s not claimed (%s); not executed",
                                self.name, request_id, type(exc).__name__)
                    return None
                await asyncio.sleep(delay_s)
                delay_s = min(delay_s * 2, 1.0)

    async def _execute(self, request: dict[str, Any], deadline_s: float) -> None:
        drone_id = int(request["drone_id"])
        request_id = str(request["request_id"])
        if request["command"] not in protocol.READS:  # a read may run twice
            claimed = await self._claim(request_id, deadline_s)
            if claimed is False:
                log.warning("link worker %s: request %s was executed already; not again",
                            self.name, request_id)
                return
            if claimed is None:
                self.bus.publish("command.reply", {
                    "drone_id": drone_id, "command": request["command"],
                    "actor": request["actor"], "params": request["params"],
                    "request_id": request_id, "worker": self.name, "outcome": "failed",
                    "error": "the command record (JetStream) did not answer; not executed"})
                return
        vehicle = self.fleet.vehicles.get(drone_id)
        if vehicle is None or not self.holds(drone_id):
            outcome: dict[str, Any] = {"outcome": "failed",
                                       "error": f"worker {self.name} lost drone {drone_id}"}
        else:
            outcome = await protocol.apply(vehicle, str(request["command"]),
                                           dict(request["params"]), str(request["actor"]))
        self.executed += 1
        reply = {"drone_id": drone_id, "command": request["command"],
                 "actor": request["actor"], "params": request["params"],
                 "request_id": request_id, "worker": self.name, **outcome}
        self.bus.publish("command.reply", reply)
