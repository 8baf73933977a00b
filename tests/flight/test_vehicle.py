"""Vehicle state and its events: telemetry, link lost and recovered, status texts, streams."""

from __future__ import annotations

import asyncio

from jinghang.events import EventBus
from jinghang.flight import Fleet
from jinghang.flight.transport import memory_pair
from tests.flight.conftest import eventually, scripted_vehicle
from tests.flight.peer import ScriptedVehicle


async def test_state_has_position_mode_and_armed_from_the_wire() -> None:
    async with scripted_vehicle() as (fleet, vehicle, peer):
        peer.custom_mode = 5
        state = await vehicle.wait_until(lambda s: s.mode == "LOITER", timeout_s=5)
        assert state.autopilot == "ardupilot"
        assert abs(state.latitude_deg - 31.1) < 1e-9
        assert state.relative_altitude_m == 0.0
        assert state.heading_deg == 90.0
        assert state.heartbeat_age_s is not None and state.heartbeat_age_s < 5
        assert list(fleet.vehicles) == [1]


async def test_link_lost_and_recovered_are_published() -> None:
    bus = EventBus()
    async with bus.subscribe("vehicle.status") as sub:
        async with scripted_vehicle(bus=bus, fleet_options={"link_lost_after_s": 0.3}) as (
            _, vehicle, peer):
            peer.silent = True
            await vehicle.wait_until(lambda s: s.link_lost, timeout_s=5)
            peer.silent = False
            await vehicle.wait_until(lambda s: not s.link_lost, timeout_s=5)
        events = []
        while not sub.queue.empty():
            events.append((await sub.get()).data["event"])
    assert events.index("link_lost") < events.index("link_recovered")


async def test_telemetry_is_throttled_per_vehicle() -> None:
    bus = EventBus()
    async with bus.subscribe("telemetry") as sub:
        async with scripted_vehicle(bus=bus, heartbeat_interval_s=0.005,
                                    fleet_options={"telemetry_rate_hz": 5.0}) as (_, vehicle, _p):
            start = vehicle.state.messages_received
            await asyncio.sleep(1.0)
            messages = vehicle.state.messages_received - start
        published = sub.queue.qsize()
    assert messages > 50  # the vehicle talks fast
    assert 2 <= published <= 8  # but the bus hears about 5 a second


async def test_streams_fall_back_to_request_data_stream() -> None:
    ours, theirs = memory_pair()
    peer = ScriptedVehicle(theirs, supports_message_interval=False)
    async with Fleet(ack_timeout_s=0.2) as fleet, asyncio.TaskGroup() as tg:
        task = tg.create_task(peer.run())
        await fleet.connect(ours)
        vehicle = await fleet.wait_vehicle(1, timeout_s=5)
        await eventually(lambda: vehicle.streams_method is not None)
        task.cancel()
    assert vehicle.streams_method == "data_stream"
    assert any(m.get_type() == "REQUEST_DATA_STREAM" for m in peer.heard)
    assert any(m.get_type() == "HEARTBEAT" and m.type == 6 for m in peer.heard)  # our GCS beat


async def test_px4_vehicle_gets_the_px4_mode_table() -> None:
    async with scripted_vehicle(autopilot=12, home_at_seq0=False) as (_, vehicle, peer):
        await vehicle.set_mode("POSCTL")
        assert peer.custom_mode == 3 << 16
        await vehicle.rtl()
        assert vehicle.state.mode == "AUTO.RTL"
        assert vehicle.mission.home_items == 0


async def test_mode_and_arming_changes_are_published() -> None:
    bus = EventBus()
    async with bus.subscribe("vehicle.status") as sub:
        async with scripted_vehicle(bus=bus) as (_, vehicle, _peer):
            await vehicle.set_mode("GUIDED")
            await vehicle.arm()
            await vehicle.disarm()
        events = []
        while not sub.queue.empty():
            events.append((await sub.get()).data)
    changes = [(e["event"], e.get("mode")) for e in events if e["event"] != "appeared"]
    assert changes == [("mode", "GUIDED"), ("armed", None), ("disarmed", None)]
    assert events[1]["previous"] == "STABILIZE"
