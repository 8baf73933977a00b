"""The fleet over real UDP: vehicles appear on their first HEARTBEAT, each system id gets its
own Vehicle, and commands go back to the right one."""

from __future__ import annotations

import asyncio

import pytest

from jinghang.config import Settings
from jinghang.events import EventBus
from jinghang.flight import Fleet, LinkError
from jinghang.flight.transport import UdpInTransport, UdpOutTransport
from tests.flight.peer import ScriptedVehicle


async def test_two_vehicles_on_one_udp_port_appear_and_are_commanded_apart() -> None:
    bus = EventBus()
    async with bus.subscribe("vehicle.status") as status, Fleet(
        bus, request_streams=False, ack_timeout_s=0.3
    ) as fleet:
        link = await fleet.connect("udpin:127.0.0.1:0")
        assert isinstance(link.transport, UdpInTransport)
        port = link.transport.port
        peers = [ScriptedVehicle(UdpOutTransport("127.0.0.1", port), system_id=i) for i in (1, 2)]
        async with asyncio.TaskGroup() as tg:
            tasks = [tg.create_task(p.run()) for p in peers]
            one = await fleet.wait_vehicle(1, timeout_s=5)
            two = await fleet.wait_vehicle(2, timeout_s=5)
            await one.set_mode("LOITER", actor="ops")
            await two.set_mode("RTL", actor="ops")
            assert (peers[0].custom_mode, peers[1].custom_mode) == (5, 6)
            assert one.state.mode == "LOITER" and two.state.mode == "RTL"
            for task in tasks:
                task.cancel()
        appeared = [(await status.get()).data for _ in range(2)]
    assert sorted(e["system_id"] for e in appeared if e["event"] == "appeared") == [1, 2]


async def test_fleet_from_settings_and_bad_connection_strings() -> None:
    settings = Settings(signing_master_key_hex="aa" * 32, link_lost_after_s=2.5)
    fleet = Fleet.from_settings(settings)
    assert fleet.signing_keys is not None and fleet.link_lost_after_s == 2.5
    assert fleet.signing_keys(1) != fleet.signing_keys(2)
    async with Fleet() as running:
        with pytest.raises(LinkError) as caught:
            await running.connect("tcp:127.0.0.1")
        assert caught.value.field == "connection"


async def test_a_failing_link_is_reported_and_does_not_take_the_fleet_down() -> None:
    bus = EventBus()
    async with bus.subscribe("vehicle.status") as status, Fleet(bus) as fleet:
        link = await fleet.connect("serial:/dev/no-such-radio:57600")
        event = (await status.get()).data
        assert event["event"] == "link_error" and event["link"] == link.name
        assert "no-such-radio" in (link.last_error or "")
        taken = await fleet.connect("udpin:127.0.0.1:0")
        assert isinstance(taken.transport, UdpInTransport)
        with pytest.raises(LinkError) as caught:  # the port is in use: said at once
            await fleet.connect(f"udpin:127.0.0.1:{taken.transport.port}")
        assert caught.value.field == "connection"
