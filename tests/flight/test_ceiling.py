"""A drone above the altitude ceiling is alarmed whoever commanded it (here a takeoff past a
low ceiling on the built-in simulator)."""

from __future__ import annotations

import asyncio

from jinghang.events import EventBus
from jinghang.flight.alarms import ALARM_TOPIC
from jinghang.flight.sanity import Limits
from tests.flight.simulated import connected_vehicle


async def test_takeoff_above_the_ceiling_is_alarmed() -> None:
    bus = EventBus()
    async with bus.subscribe(ALARM_TOPIC) as alarms, connected_vehicle(
        "builtin", bus=bus, fleet_options={"limits": Limits(altitude_ceiling_m=8.0)}
    ) as (_, vehicle):
        await vehicle.takeoff(12.0, actor="test")
        async with asyncio.timeout(30):  # other alarms (a slow link under load) may come first
            while (alarm := (await alarms.get()).data)["code"] != "vehicle.above_ceiling":
                pass
        assert alarm["drone_id"] == 1
        assert alarm["params"]["ceiling_m"] == 8.0 and alarm["params"]["altitude_m"] > 8.0
        assert vehicle.state.above_ceiling
