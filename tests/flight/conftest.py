"""Helpers for the flight tests: a fleet wired to a scripted vehicle over an in-memory link."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from jinghang.events import EventBus
from jinghang.flight import Fleet, Vehicle
from jinghang.flight.transport import memory_pair
from tests.flight.peer import ScriptedVehicle


async def eventually(condition: Callable[[], bool], timeout_s: float = 10.0) -> None:
    """Poll ``condition`` until it holds (for state with no event to wait on)."""
    async with asyncio.timeout(timeout_s):
        while not condition():  # noqa: ASYNC110 - polling plain attributes
            await asyncio.sleep(0.01)


@asynccontextmanager
async def scripted_vehicle(
    *,
    loss: float = 0.0,
    bus: EventBus | None = None,
    fleet_options: dict[str, Any] | None = None,
    **peer_options: Any,
) -> AsyncIterator[tuple[Fleet, Vehicle, ScriptedVehicle]]:
    """A fleet with one scripted vehicle on a link that loses ``loss`` of its chunks."""
    ours, theirs = memory_pair(loss=loss)
    peer = ScriptedVehicle(theirs, **peer_options)
    options: dict[str, Any] = {"request_streams": False, "ack_timeout_s": 0.3}
    options.update(fleet_options or {})
    async with Fleet(bus, **options) as fleet, asyncio.TaskGroup() as tg:
        task = tg.create_task(peer.run())
        await fleet.connect(ours)
        vehicle = await fleet.wait_vehicle(peer.system_id, timeout_s=5)
        vehicle.mission.item_timeout_s = 0.2
        vehicle.params.timeout_s = 0.2
        try:
            yield fleet, vehicle, peer
        finally:
            task.cancel()
