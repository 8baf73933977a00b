"""The flight core's receive path alone: CPU per frame with no sockets and no scheduler in it.

``bench/bench_fleet.py --receive-path`` runs this: the same ``Fleet`` (per-link system ids,
a bus with one draining subscriber) and the same pre-encoded frames as the fleet bench
(``bench/_fleet_load.py``), handed to the link by a transport that delivers datagrams as a
listening UDP transport does (with the peer each came from). It prints the best of
``rounds`` rounds of CPU time per frame: on a machine whose cores are shared, the socket
bench's CPU per frame moves with what else runs; this figure moves much less.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from bench import _fleet_load as load
from jinghang.events import EventBus
from jinghang.flight import Fleet
from jinghang.flight.sanity import Limits
from jinghang.flight.trust import VehicleKey


class FeedTransport:
    """A datagram transport fed by the bench: ``feed(data, peer)`` is one received datagram."""

    def __init__(self) -> None:
        self.name = "feed"
        self.current_peer: Any = None
        self._on_bytes: Callable[[bytes], None] | None = None
        self._running = asyncio.Event()

    @property
    def connected(self) -> bool:
        return True

    async def run(self, on_bytes: Callable[[bytes], None]) -> None:
        self._on_bytes = on_bytes
        self._running.set()
        await asyncio.Event().wait()

    async def started(self) -> None:
        await self._running.wait()

    def feed(self, data: bytes, peer: Any) -> None:
        assert self._on_bytes is not None
        self.current_peer = peer
        self._on_bytes(data)
        self.current_peer = None

    def admit(self, peer: Any) -> bool:
        return True

    def send(self, data: bytes) -> None:
        pass

    def send_to(self, data: bytes, peer: Any) -> None:
        pass


async def _measure(vehicles: int, profile: str, rounds: int) -> dict[str, Any]:
    bus = EventBus()
    assigned: dict[VehicleKey, int] = {}

    def identify(key: VehicleKey) -> int | None:
        vehicle_id = assigned.get(key)
        if vehicle_id is None:
            vehicle_id = assigned[key] = len(assigned) + 1
        return vehicle_id

    fleet = Fleet(bus, identify=identify, max_udp_peers=vehicles, limits=Limits())
    fleet.request_streams = False
    rates = load.PROFILES[profile]
    sims = [load.Sim(i, 1, list(rates)) for i in range(vehicles)]
    for sim in sims:
        sim.sock.close()  # the frames are fed, not sent
    cycle, slots = load.schedule(rates, vehicles, 0.02)

    async def drain() -> None:
        async with bus.subscribe() as subscription:
            async for _event in subscription:
                pass

    transport = FeedTransport()
    async with fleet, asyncio.TaskGroup() as tasks:
        drainer = tasks.create_task(drain())
        await fleet.connect(transport)
        await transport.started()
        peers = [("127.0.0.1", 20_000 + v) for v in range(vehicles)]
        for v, sim in enumerate(sims):
            transport.feed(sim.datagram(["HEARTBEAT"], 0), peers[v])
        datagrams = [(sims[v].datagram(names, k), peers[v])
                     for k in range(cycle) for v, names in slots[k]]
        frames = sum(len(names) for slot in slots for _v, names in slot)
        best_s = float("inf")
        for _ in range(rounds):
            cpu0 = time.process_time()
            for start in range(0, len(datagrams), 500):
                for data, peer in datagrams[start:start + 500]:
                    transport.feed(data, peer)
                await asyncio.sleep(0)  # the subscriber drains, as between socket reads
            best_s = min(best_s, time.process_time() - cpu0)
        tracked = len(fleet.vehicles)
        drainer.cancel()
    return {"vehicles": tracked, "frames": frames, "us_per_frame": 1e6 * best_s / frames}


def measure(vehicles: int, profile: str, rounds: int = 7) -> dict[str, Any]:
    """CPU microseconds per frame of the receive path (best of ``rounds``)."""
    return asyncio.run(_measure(vehicles, profile, rounds))
