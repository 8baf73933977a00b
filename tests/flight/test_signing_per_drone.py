"""Signing on by default, over real sockets and the built-in simulator: every drone signs
with its own key derived from one master key, a frame signed with another drone's key or not
signed at all is refused, ``jinghang signing provision`` gives a drone its key (and the
fleet then commands it signed), and the demo's simulators and fleet agree on their keys."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from pymavlink.dialects.v20 import ardupilotmega as mavlink

from jinghang.api import demo, register
from jinghang.api.services import Services
from jinghang.config import Settings
from jinghang.events import EventBus
from jinghang.flight import Fleet
from jinghang.flight.transport import UdpInTransport
from jinghang.mavlink.channel import Channel
from jinghang.mavlink.keys import DroneKeys, drone_key
from jinghang.simulator.server import SimulatorServer
from jinghang.store.audit import list_audit
from jinghang.store.engine import open_store
from jinghang.store.schemas import VehicleCreate
from tests.flight.conftest import eventually
from tests.flight.simulated import HOME, take_off
from tests.flight.test_link_trust import RawSender

ROOT = Path(__file__).resolve().parents[2]
MASTER = bytes(range(100, 132))


def heartbeat(custom_mode: int = 4) -> object:
    return mavlink.MAVLink_heartbeat_message(2, 3, 1, custom_mode, 3, 3)


def position(lat_deg: float) -> object:
    return mavlink.MAVLink_global_position_int_message(
        0, int(lat_deg * 1e7), 1_221_300_000, 10_000, 5_000, 0, 0, 0, 9000)


def test_the_derivation_is_the_documented_hmac() -> None:
    expected = hmac.new(MASTER, b"jinghang/mavlink-signing/v1/7", hashlib.sha256).digest()
    assert drone_key(MASTER, 7) == expected
    keys = DroneKeys(MASTER)
    assert keys.key_for(1) != keys.key_for(2) and keys.key_for(0) is None
    # keys go by drone id: 255 is a drone id (speaking another system id on its link); the
    # system ids no drone may speak (0, 255) get no key from a link (Fleet's lookup)
    assert keys.key_for(255) == drone_key(MASTER, 255)


async def test_a_frame_signed_with_drone_1s_key_is_refused_on_drone_2s_link() -> None:
    keys = DroneKeys(MASTER)
    async with Fleet(request_streams=False, signing_keys=keys.key_for) as fleet:
        link = await fleet.connect("udpin:127.0.0.1:0")
        assert isinstance(link.transport, UdpInTransport)
        sender = RawSender(link.transport.port)
        drone_2 = Channel(system_id=2, component_id=1, signing_key=drone_key(MASTER, 2))
        sender.raw(drone_2.encode(heartbeat(4)))
        sender.raw(drone_2.encode(position(37.5)))
        vehicle = await fleet.wait_vehicle(2, timeout_s=5)
        await eventually(lambda: abs(vehicle.state.latitude_deg - 37.5) < 1e-6)
        # system 2's frames signed with drone 1's key: refused, nothing moves
        posing = Channel(system_id=2, component_id=1, signing_key=drone_key(MASTER, 1))
        sender.raw(posing.encode(heartbeat(9)))
        sender.raw(posing.encode(position(10.0)))
        await eventually(lambda: link.channel.counters.signing_rejected == 2, timeout_s=5)
        assert vehicle.state.custom_mode == 4 and abs(vehicle.state.latitude_deg - 37.5) < 1e-6
        sender.close()


async def test_two_simulated_drones_fly_signed_with_different_keys() -> None:
    keys = DroneKeys(MASTER)
    async with (
        SimulatorServer(home=HOME, system_id=1, tcp_port=0,
                        signing_key=keys.key_for(1)) as one,
        SimulatorServer(instance=1, home=HOME, system_id=2, tcp_port=0,
                        signing_key=keys.key_for(2)) as two,
        Fleet(request_streams=False, signing_keys=keys.key_for) as fleet,
    ):
        await fleet.connect(one.address)
        await fleet.connect(two.address)
        first = await fleet.wait_vehicle(1, timeout_s=10)
        second = await fleet.wait_vehicle(2, timeout_s=10)
        assert first.frames_signed and second.frames_signed
        await second.set_mode("ALT_HOLD", actor="test")
        assert (one.vehicle.mode_name, two.vehicle.mode_name) == ("STABILIZE", "ALT_HOLD")
        await first.set_mode("ALT_HOLD", actor="test")
        assert one.vehicle.mode_name == "ALT_HOLD"
        assert one.endpoint.signing_key != two.endpoint.signing_key


async def test_an_unsigned_or_wrongly_keyed_spoofer_is_refused() -> None:
    keys = DroneKeys(MASTER)
    async with (
        SimulatorServer(home=HOME, tcp_port=0, signing_key=keys.key_for(1)) as sim,
        Fleet(request_streams=False, signing_keys=keys.key_for) as fleet,
    ):
        await fleet.connect(sim.address)
        vehicle = await fleet.wait_vehicle(1, timeout_s=10)
        await eventually(lambda: vehicle.state.latitude_deg != 0.0, timeout_s=10)
        spoof_link = await fleet.connect("udpin:127.0.0.1:0")
        assert isinstance(spoof_link.transport, UdpInTransport)
        spoofer = RawSender(spoof_link.transport.port)
        wrong = Channel(system_id=1, component_id=1, signing_key=os.urandom(32))
        for _ in range(3):
            spoofer.heartbeat(1)  # unsigned
            spoofer.frame(position(10.0), 1)
            spoofer.raw(wrong.encode(heartbeat(9)))
            spoofer.raw(wrong.encode(position(10.0)))
        await eventually(lambda: spoof_link.channel.counters.signing_rejected == 12)
        await asyncio.sleep(0.3)
        assert abs(vehicle.state.latitude_deg - HOME[0]) < 0.01
        assert spoofer.received() == []  # a peer with no valid frame gets nothing
        assert fleet.quarantined() == []
        assert fleet.link_trust()[0]["source"] == fleet.router.links[0].name
        spoofer.close()


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "jinghang.cli", "signing", *args],
                          capture_output=True, text=True, env=env, timeout=120, check=False)


async def test_a_drone_provisioned_with_the_cli_is_then_flown_signed(tmp_path: Path) -> None:
    key_file = tmp_path / "signing.key"
    env = {k: v for k, v in os.environ.items() if not k.startswith("JINGHANG_")}
    env.update(PYTHONPATH=str(ROOT), JINGHANG_SIGNING_MASTER_KEY_FILE=str(key_file),
               JINGHANG_DATABASE_URL=f"sqlite:///{tmp_path / 'jinghang.db'}",
               JINGHANG_AUDIT_KEY_HEX="ab" * 32)
    made = await asyncio.to_thread(_cli, "new-key", str(key_file), env=env)
    assert made.returncode == 0 and stat.S_IMODE(key_file.stat().st_mode) == 0o600
    master = bytes.fromhex(key_file.read_text())
    assert (await asyncio.to_thread(_cli, "new-key", str(key_file), env=env)).returncode == 2
    settings = Settings(database_url=env["JINGHANG_DATABASE_URL"])
    store = open_store(settings.database_url)
    try:
        services = Services(settings=settings, bus=EventBus(), store=store)
        register.ensure_vehicle(services, VehicleCreate(
            drone_id=1, name="威海-1", base_latitude_deg=HOME[0], base_longitude_deg=HOME[1]))
    finally:
        store.close()
    async with SimulatorServer(home=HOME, speedup=5.0, tcp_port=0) as sim:  # no key yet
        unregistered = await asyncio.to_thread(
            _cli, "provision", "--drone", "2", "--link", sim.address, env=env)
        assert unregistered.returncode == 2 and "not in the register" in unregistered.stderr
        done = await asyncio.to_thread(
            _cli, "provision", "--drone", "1", "--link", sim.address, "--operator", "li.wei",
            env=env)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "provisioned: drone 1 now signs with its key" in done.stdout
        key = drone_key(master, 1)
        assert key.hex() not in done.stdout + done.stderr
        assert sim.endpoint.signing_key == key
        async with Fleet(signing_keys=DroneKeys(master).key_for) as fleet:
            await fleet.connect(sim.address)
            vehicle = await fleet.wait_vehicle(1, timeout_s=10)
            assert vehicle.frames_signed
            await vehicle.set_mode("GUIDED", actor="test-pilot")
            await take_off(vehicle, 10.0)
            assert sim.vehicle.armed and sim.vehicle.relative_altitude_m > 8.0
            await vehicle.land(actor="test-pilot")
    store = open_store(env["JINGHANG_DATABASE_URL"])
    try:
        with store.read_session() as session:
            rows = list_audit(session, action="signing.provision")
    finally:
        store.close()
    assert [(r.actor, r.target_id, r.details["ok"], r.details["code"]) for r in rows] == [
        ("cli:li.wei", "1", True, "signing.provisioned")]


async def test_provisioning_a_drone_with_another_key_says_so(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JINGHANG_")}
    env.update(PYTHONPATH=str(ROOT), JINGHANG_SIGNING_MASTER_KEY_HEX=MASTER.hex(),
               JINGHANG_DATABASE_URL=f"sqlite:///{tmp_path / 'jinghang.db'}",
               JINGHANG_AUDIT_KEY_HEX="ab" * 32)
    store = open_store(env["JINGHANG_DATABASE_URL"])
    try:
        services = Services(settings=Settings(), bus=EventBus(), store=store)
        register.ensure_vehicle(services, VehicleCreate(
            drone_id=1, name="d1", base_latitude_deg=HOME[0], base_longitude_deg=HOME[1]))
    finally:
        store.close()
    async with SimulatorServer(home=HOME, tcp_port=0, signing_key=bytes(32 * [7])) as sim:
        done = await asyncio.to_thread(
            _cli, "provision", "--drone", "1", "--link", sim.address, "--timeout", "5", env=env)
        assert done.returncode == 1, done.stdout + done.stderr
        assert "NOT provisioned" in done.stdout and "another key" in done.stdout
        assert sim.endpoint.signing_key == bytes(32 * [7])


async def test_the_demo_flies_signed_its_simulators_and_fleet_agree(tmp_path: Path) -> None:
    ports = [demo.free_port() for _ in demo.DEMO_DRONES]
    settings = demo.demo_settings(tmp_path, host="127.0.0.1", port=0, sim_ports=ports,
                                  speedup=1.0)
    assert stat.S_IMODE((tmp_path / "signing.key").stat().st_mode) == 0o600
    master = settings.signing_master_key()
    assert master is not None
    sims = demo.simulators(ports, 1.0, master)
    async with Fleet.from_settings(settings) as fleet:
        for sim in sims:
            await sim.__aenter__()
        try:
            for link in settings.links:
                await fleet.connect(link)
            for drone, sim in zip(demo.DEMO_DRONES, sims, strict=True):
                assert sim.endpoint.signing_key == drone_key(master, drone.drone_id)
                vehicle = await fleet.wait_vehicle(drone.drone_id, timeout_s=15)
                assert vehicle.frames_signed
            assert len({sim.endpoint.signing_key for sim in sims}) == 3
            await fleet.vehicles[2].set_mode("ALT_HOLD", actor="test")
            assert sims[1].vehicle.mode_name == "ALT_HOLD"
        finally:
            for sim in sims:
                await sim.__aexit__(None, None, None)


async def test_jinghang_sim_signs_each_vehicle_with_its_derived_key(tmp_path: Path) -> None:
    key_file = tmp_path / "signing.key"
    key_file.write_text(MASTER.hex() + "\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "jinghang.cli", "sim", "--count", "2", "--ephemeral-ports",
        "--signing-master-key-file", str(key_file), "--duration", "60",
        stdout=asyncio.subprocess.PIPE, env=env)
    assert proc.stdout is not None
    try:
        addresses = []
        async with asyncio.timeout(30):
            while len(addresses) < 2:
                line = (await proc.stdout.readline()).decode()
                assert line, "jinghang sim exited"
                addresses.append(line.split()[2])
        async with Fleet(request_streams=False, signing_keys=DroneKeys(MASTER).key_for) as fleet:
            for address in addresses:
                await fleet.connect(address)
            for system_id in (1, 2):
                vehicle = await fleet.wait_vehicle(system_id, timeout_s=10)
                assert vehicle.frames_signed
    finally:
        proc.terminate()
        await proc.wait()


async def test_a_drone_without_its_key_is_named_in_the_log(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="jinghang.flight.fleet")
    async with (
        SimulatorServer(home=HOME, tcp_port=0) as sim,  # never provisioned: unsigned
        Fleet(request_streams=False, signing_keys=DroneKeys(MASTER).key_for) as fleet,
    ):
        link = await fleet.connect(sim.address)
        await eventually(lambda: "jinghang signing provision" in caplog.text, timeout_s=10)
        assert link.name in caplog.text and fleet.vehicles == {}
