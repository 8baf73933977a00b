"""The payload and flight controls over real TCP to the built-in simulator: each command
reaches the simulated drone (which records what it was told) and comes back accepted, is
published with its actor, and a command the drone never answers ends as a timeout."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from jinghang.errors import FlightError
from jinghang.events import EventBus
from jinghang.flight import CommandTimeout, Fleet, Vehicle
from jinghang.simulator import SimulatorServer
from jinghang.simulator.payload import Played
from tests.flight.simulated import HOME, ready_to_arm


@asynccontextmanager
async def flying(bus: EventBus) -> AsyncIterator[tuple[Vehicle, Any]]:
    """A fleet linked to the built-in simulator; the simulated drone's payload record."""
    async with SimulatorServer(home=HOME, speedup=20.0, tcp_port=0) as sim:
        async with Fleet(bus, ack_timeout_s=0.4) as fleet:
            await fleet.connect(sim.address)
            vehicle = await fleet.wait_vehicle(timeout_s=30)
            await vehicle.wait_until(ready_to_arm, timeout_s=60)
            yield vehicle, sim.vehicle


def published(queue: Any) -> list[dict[str, Any]]:
    out = []
    while not queue.empty():
        out.append(queue.get_nowait().data)
    return out


async def test_each_payload_command_reaches_the_simulator_and_is_accepted() -> None:
    bus = EventBus()
    async with bus.subscribe("command") as commands, flying(bus) as (vehicle, sim):
        await vehicle.play_clip(7, actor="pilot:wang")
        await vehicle.speak("请立即离开此区域 Please leave the area", actor="pilot:wang")
        await vehicle.set_spotlight(True, relay=0, actor="pilot:wang")
        await vehicle.set_spotlight(False, relay=0, actor="pilot:wang")
        await vehicle.release_payload(actor="pilot:wang")
        await vehicle.point_gimbal(-45.0, 30.0, actor="pilot:wang")
        await vehicle.set_zoom(60.0, actor="pilot:wang")
        await vehicle.set_camera_source("ir", actor="pilot:wang")
        payload = sim.payload
        assert payload.played == [
            Played(clip_id=7), Played(text="请立即离开此区域 Please leave the area")
        ]
        assert payload.spotlight_changes == [True, False] and not payload.spotlight_on
        assert payload.releases == 1
        assert payload.gimbal == [(-45.0, 30.0)]
        assert sim.gimbal_pitch_deg == -45.0
        assert payload.zoom_percent == 60.0
        assert payload.camera_source == 2
        events = published(commands.queue)
    assert [e["command"] for e in events] == [
        "loudspeaker", "loudspeaker", "spotlight", "spotlight", "release_payload", "gimbal",
        "zoom", "camera_source",
    ]
    assert all(e["actor"] == "pilot:wang" and e["result"] == "ACCEPTED" for e in events)


async def test_altitude_speed_and_orbit_fly_the_drone() -> None:
    bus = EventBus()
    async with bus.subscribe("command") as commands, flying(bus) as (vehicle, sim):
        await vehicle.takeoff(20.0, actor="pilot:wang")
        await vehicle.wait_until(lambda s: s.relative_altitude_m > 18.0, timeout_s=60)
        await vehicle.set_altitude(40.0, actor="pilot:wang")
        await vehicle.wait_until(lambda s: s.relative_altitude_m > 38.0, timeout_s=60)
        assert vehicle.state.mode == "GUIDED"
        await vehicle.set_speed(6.0, actor="pilot:wang")
        centre = (HOME[0] + 0.001, HOME[1])
        await vehicle.orbit(*centre, 50.0, actor="pilot:wang")
        (orbit,) = sim.payload.orbits
        assert (orbit.latitude_deg, orbit.longitude_deg, orbit.radius_m) == pytest.approx(
            (*centre, 50.0)
        )
        assert orbit.relative_altitude_m == pytest.approx(vehicle.state.relative_altitude_m, abs=3)
        # above the ceiling is refused before anything is sent
        with pytest.raises(FlightError) as caught:
            await vehicle.set_altitude(vehicle.limits.altitude_ceiling_m + 10, actor="pilot:wang")
        assert caught.value.field == "relative_altitude_m"
        names = [e["command"] for e in published(commands.queue)]
    assert names == ["takeoff", "set_altitude", "set_speed", "orbit"]


async def test_a_loudspeaker_that_never_answers_times_out_and_is_published() -> None:
    bus = EventBus()
    async with bus.subscribe("command") as commands, flying(bus) as (vehicle, sim):
        sim.payload.loudspeaker_silent = True
        with pytest.raises(CommandTimeout):
            await vehicle.play_clip(3, actor="pilot:wang")
        (event,) = published(commands.queue)
    assert event["command"] == "loudspeaker" and event["accepted"] is False
    assert event["actor"] == "pilot:wang"


async def test_text_too_long_for_the_payload_is_refused_naming_the_limit() -> None:
    bus = EventBus()
    async with flying(bus) as (vehicle, sim):
        with pytest.raises(FlightError) as caught:
            await vehicle.speak("很" * 60, actor="pilot:wang")
        assert caught.value.field == "text" and caught.value.limit == 127
        assert sim.payload.played == []
        assert not math.isnan(vehicle.state.latitude_deg)
