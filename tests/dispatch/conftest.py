"""A whole dispatch world on one event loop for the integration tests: built-in simulated
drones on free loopback ports, a Fleet connected to them, a SQLite store in a temporary
directory, the Dispatcher (and the patrol scheduler) running in a TaskGroup."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinghang.dispatch import Dispatcher, Limits, PatrolScheduler, TestClock
from jinghang.events import EventBus
from jinghang.flight import Fleet
from jinghang.missions.nofly import NoFlyZones
from jinghang.simulator import SimulatorServer
from jinghang.simulator.geo import offset_deg
from jinghang.store import (
    IncidentPublic,
    SortiePublic,
    Store,
    VehicleCreate,
    get_incident,
    open_store,
    register_vehicle,
)
from tests.store.conftest import postgres_store, postgres_url  # noqa: F401  (fixtures)

BASE = (37.5125, 122.1199)
SPEEDUP = 40.0
ALL_PAYLOADS = ["camera", "zoom", "thermal", "loudspeaker", "release"]


@dataclass
class World:
    store: Store
    bus: EventBus
    fleet: Fleet
    dispatcher: Dispatcher
    sims: list[SimulatorServer]
    clock: TestClock | None = None
    patrols: PatrolScheduler | None = None
    url: str = ""
    events: list[dict[str, Any]] = field(default_factory=list)

    def incident(self, incident_id: int) -> IncidentPublic:
        with self.store.read_session() as s:
            return get_incident(s, incident_id)

    async def until(self, check: Callable[[], bool], timeout_s: float = 60.0,
                    what: str = "condition") -> None:
        """Wait for ``check()`` (polling the world; a bound, not a timed assertion)."""
        async with asyncio.timeout(timeout_s):
            while not check():  # noqa: ASYNC110 - the store is polled, it has no event
                await asyncio.sleep(0.05)

    async def settle(self) -> None:
        """Let the event collector catch up with what has been published."""
        for _ in range(20):
            await asyncio.sleep(0)

    async def state_is(self, incident_id: int, *states: str, timeout_s: float = 60.0) -> str:
        """Wait for the case to be in one of ``states`` (open, closed, cancelled)."""
        await self.until(lambda: self.incident(incident_id).state in states, timeout_s)
        return self.incident(incident_id).state

    def sortie(self, incident_id: int, index: int = -1) -> SortiePublic:
        """The case's sortie ``index`` (the latest by default)."""
        return self.incident(incident_id).sorties[index]

    async def sortie_is(self, incident_id: int, *states: str, timeout_s: float = 60.0,
                        index: int = -1) -> str:
        """Wait for the case's sortie ``index`` to be in one of ``states``."""
        def check() -> bool:
            sorties = self.incident(incident_id).sorties
            return len(sorties) >= (index + 1 if index >= 0 else -index) and \
                sorties[index].state in states

        await self.until(check, timeout_s)
        return self.sortie(incident_id, index).state


def near(meters_north: float, meters_east: float = 0.0) -> tuple[float, float]:
    return offset_deg(BASE[0], BASE[1], meters_north, meters_east)


@asynccontextmanager
async def dispatch_world(
    tmp_path: Path,
    drones: int = 1,
    *,
    payloads: list[list[str]] | None = None,
    no_fly: NoFlyZones | None = None,
    clock: TestClock | None = None,
    with_patrols: bool = False,
    db_name: str = "dispatch.db",
    sims: list[SimulatorServer] | None = None,
    speedup: float = SPEEDUP,
    store: Store | None = None,
) -> AsyncIterator[World]:
    """Start (or reuse) ``drones`` simulators, the fleet, the store (a SQLite file unless
    one is given) and the dispatcher."""
    url = f"sqlite:///{tmp_path / db_name}"
    owns_store = store is None
    if store is None:
        store = open_store(url)
    else:
        url = store.url
    bus = EventBus()
    async with AsyncExitStack() as stack:
        if sims is None:
            sims = []
            for k in range(drones):
                lat, lon = offset_deg(BASE[0], BASE[1], 0.0, 30.0 * k)
                server = SimulatorServer(instance=k, home=(lat, lon, 10.0, 0.0),
                                         speedup=speedup, tcp_port=0)
                await stack.enter_async_context(server)
                sims.append(server)
        fleet = Fleet(bus, link_lost_after_s=3.0)
        await stack.enter_async_context(fleet)
        for server in sims:
            await fleet.connect(server.address)
        with store.transaction() as s:
            for k, server in enumerate(sims):
                try:
                    register_vehicle(s, VehicleCreate(
                        drone_id=server.system_id,  # identity-rename: keep
                        name=f"JH-{server.system_id}",  # identity-rename: keep
                        connection=server.address, base_latitude_deg=server.home[0],
                        base_longitude_deg=server.home[1], base_altitude_m=server.home[2],
                        payloads=(payloads[k] if payloads else ALL_PAYLOADS)))
                except Exception:  # already registered (a restarted world)
                    s.rollback()
        for server in sims:
            vehicle = await fleet.wait_vehicle(
                server.system_id, timeout_s=15)  # identity-rename: keep
            await vehicle.wait_until(
                lambda st: st.has_position and st.gps_fix_type >= 3
                and st.battery_pct is not None and st.home is not None and st.ekf_ok is True,
                timeout_s=30)
        dispatcher = Dispatcher(store, fleet, bus, no_fly=no_fly or NoFlyZones(),
                                limits=Limits(altitude_ceiling_m=120.0, reserve_pct=20.0),
                                clock=clock, poll_s=0.05, recovery_wait_s=10.0)
        world = World(store, bus, fleet, dispatcher, sims, clock=clock, url=url)
        async with asyncio.TaskGroup() as tasks:
            async def collect() -> None:
                async with bus.subscribe("incident", "sortie", "case", "alert",
                                         "mission.progress") as sub:
                    while True:
                        event = await sub.get()
                        world.events.append({"topic": event.topic, **event.data})

            collector = tasks.create_task(collect())
            runner = tasks.create_task(dispatcher.run())
            patrol_task = None
            if with_patrols:
                world.patrols = PatrolScheduler(dispatcher, clock=clock)
                patrol_task = tasks.create_task(world.patrols.run())
            await dispatcher.started.wait()
            try:
                yield world
            finally:
                for task in (collector, runner, patrol_task):
                    if task is not None:
                        task.cancel()
    if owns_store:
        store.close()


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)
