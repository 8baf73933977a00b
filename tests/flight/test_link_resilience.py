"""Links that misbehave: a TCP cut in flight, garbage on the wire, signing, a fleet of 20."""

from __future__ import annotations

import asyncio

import pytest

from jinghang.events import EventBus
from jinghang.flight import CommandTimeout, Fleet, VehicleTimeout
from jinghang.flight.transport import TcpClientTransport, parse_address
from jinghang.simulator import SimFleet, SimulatorServer, start_vehicle
from tests.flight.simulated import HOME, SPEEDUP, take_off
from tests.flight.tcp_proxy import TcpProxy


@pytest.mark.sitl
async def test_tcp_link_cut_in_flight_reconnects_and_state_resumes(backend: str) -> None:
    bus = EventBus()
    async with start_vehicle(backend, home=HOME, speedup=SPEEDUP) as address:
        upstream = parse_address(address)
        async with TcpProxy(upstream.host, upstream.port) as proxy, bus.subscribe(
            "vehicle.status"
        ) as status, Fleet(bus, link_lost_after_s=0.5) as fleet:
            link = await fleet.connect(proxy.address)
            vehicle = await fleet.wait_vehicle(timeout_s=30)
            await vehicle.wait_until(lambda s: bool(s.ekf_ok) and s.home is not None, 60)
            await take_off(vehicle, 15.0)
            await vehicle.goto(HOME[0] + 0.002, HOME[1], 15.0)
            await vehicle.wait_until(lambda s: s.ground_speed_m_s > 1.0, timeout_s=30)
            proxy.refusing = True
            proxy.cut()
            await vehicle.wait_until(lambda s: s.link_lost, timeout_s=30)
            position_when_lost = vehicle.state.latitude_deg
            proxy.refusing = False
            await vehicle.wait_until(lambda s: not s.link_lost, timeout_s=30)
            # the vehicle kept flying while we were away, and we see it again
            await vehicle.wait_until(
                lambda s: s.latitude_deg > position_when_lost + 1e-5, timeout_s=30
            )
            assert isinstance(link.transport, TcpClientTransport)
            assert link.transport.reconnects >= 1
            assert vehicle.state.armed and vehicle.state.relative_altitude_m > 10
            await vehicle.land(actor="pilot")  # and it still takes commands
            await vehicle.wait_until(lambda s: not s.armed, timeout_s=120)
            events = []
            while not status.queue.empty():
                events.append((await status.get()).data["event"])
    assert events.index("link_lost") < events.index("link_recovered")


async def test_random_and_truncated_bytes_on_the_link_never_crash_it() -> None:
    async with SimulatorServer(home=HOME, speedup=SPEEDUP, tcp_port=0) as server:
        async with TcpProxy("127.0.0.1", server.tcp_port) as proxy, Fleet() as fleet:
            proxy.garbage_probability = 0.3
            proxy.truncate_frames = True
            link = await fleet.connect(proxy.address)
            vehicle = await fleet.wait_vehicle(timeout_s=30)
            await vehicle.wait_until(lambda s: bool(s.ekf_ok) and s.home is not None, 60)
            await take_off(vehicle, 10.0)  # commands and acks still get through
            assert proxy.injected_chunks > 10
            assert link.channel.counters.bad > 0
            assert link.channel.counters.received > 100


async def test_signed_link_accepted_unsigned_and_wrong_key_dropped_and_counted() -> None:
    key, wrong_key = bytes(range(1, 33)), bytes(range(2, 34))
    async with SimulatorServer(home=HOME, speedup=SPEEDUP, tcp_port=0, signing_key=key) as server:
        # the right key: the vehicle appears and obeys
        async with Fleet(signing_key=key) as fleet:
            await fleet.connect(server.address)
            vehicle = await fleet.wait_vehicle(timeout_s=30)
            await vehicle.set_mode("ALT_HOLD", actor="pilot")
            assert vehicle.state.mode == "ALT_HOLD"
        # a wrong key: we drop the vehicle's packets, it drops ours
        async with Fleet(signing_key=wrong_key) as fleet:
            link = await fleet.connect(server.address)
            with pytest.raises(VehicleTimeout):
                await fleet.wait_vehicle(timeout_s=1.5)
            assert link.channel.counters.signing_rejected > 0
            await asyncio.sleep(1.2)  # our GCS heartbeat goes out once a second
            assert sum(c.channel.counters.signing_rejected for c in server.endpoint.clients) > 0
        # no key: we can read the signed traffic, but our unsigned commands are dropped
        async with Fleet(ack_timeout_s=0.3) as fleet:
            await fleet.connect(server.address)
            vehicle = await fleet.wait_vehicle(timeout_s=30)
            with pytest.raises(CommandTimeout):
                await vehicle.set_mode("STABILIZE", actor="intruder")
            assert vehicle.state.mode == "ALT_HOLD"
            assert sum(c.channel.counters.signing_rejected for c in server.endpoint.clients) >= 4


async def test_a_fleet_of_20_vehicles_on_one_loop() -> None:
    async with SimFleet(20, HOME, speedup=SPEEDUP, ephemeral_ports=True) as sims, Fleet() as fleet:
        for address in sims.addresses:
            await fleet.connect(address)
        for system_id in range(1, 21):
            vehicle = await fleet.wait_vehicle(system_id, timeout_s=60)
            await vehicle.wait_until(lambda s: bool(s.ekf_ok) and s.home is not None, 60)
        assert sorted(fleet.vehicles) == list(range(1, 21))
        async with asyncio.TaskGroup() as tg:
            for vehicle in fleet.vehicles.values():
                tg.create_task(take_off(vehicle, 10.0))
        assert all(v.state.relative_altitude_m > 9 for v in fleet.vehicles.values())
        assert all(not v.state.link_lost for v in fleet.vehicles.values())


@pytest.mark.sitl
async def test_signing_provisioned_with_setup_signing(backend: str) -> None:
    key, wrong_key = bytes(range(40, 72)), bytes(range(41, 73))
    async with start_vehicle(backend, home=HOME, speedup=SPEEDUP) as address:
        async with Fleet() as fleet:
            link = await fleet.connect(address)
            vehicle = await fleet.wait_vehicle(timeout_s=30)
            await vehicle.setup_signing(key, actor="security-officer")
            assert link.channel.signed
            received = link.channel.counters.received
            await vehicle.set_mode("ALT_HOLD", actor="pilot")  # signed both ways now
            assert vehicle.state.mode == "ALT_HOLD"
            assert link.channel.counters.received > received
        async with Fleet(signing_key=wrong_key) as fleet:
            link = await fleet.connect(address)
            with pytest.raises(VehicleTimeout):
                await fleet.wait_vehicle(timeout_s=2)
            assert link.channel.counters.signing_rejected > 0
        async with Fleet(signing_key=key) as fleet:
            await fleet.connect(address)
            vehicle = await fleet.wait_vehicle(timeout_s=30)
            await vehicle.set_mode("STABILIZE", actor="pilot")
