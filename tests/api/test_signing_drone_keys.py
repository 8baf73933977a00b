"""Signing keys are per drone id, not per MAVLink system id: through the real ``jinghang
serve`` services (``build_services``, signing on), two simulators that both speak system 1,
one on a TCP link and one behind a ``udpin:`` link, registered as drones 101 and 102, each
signed with its own drone's key (the built-in simulator verifies signing as ArduPilot does).
The platform flies each signed with that drone's key; a frame signed with drone 101's key is
refused on drone 102's link, in both directions."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from pymavlink.dialects.v20 import ardupilotmega as mavlink

from jinghang.api import register
from jinghang.api.app import create_app
from jinghang.api.register import VehicleCreate
from jinghang.api.runtime import build_services
from jinghang.api.security import Role, issue_token
from jinghang.api.serve_settings import ServeSettings, UserSeed
from jinghang.api.server import serving
from jinghang.api.services import Services
from jinghang.config import Settings
from jinghang.events import EventBus
from jinghang.flight.transport import UdpInTransport
from jinghang.mavlink.channel import Channel
from jinghang.mavlink.keys import drone_key
from jinghang.simulator import SimulatorServer
from jinghang.store.engine import open_store
from tests.api.harness import eventually, near
from tests.flight.test_link_trust import RawSender
from tests.flight.test_signing_shared_udp import UdpBridge

ROOT = Path(__file__).resolve().parents[2]
SECRET = "drone-keys-secret-0123456789abcdef0123"
MASTER = bytes(range(50, 82))
PAYLOADS = ["camera", "spotlight", "loudspeaker"]


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Served:
    client: httpx.AsyncClient
    pilot: dict[str, str]
    a: Any
    b: Any
    udp_link: str
    services: Any


@asynccontextmanager
async def serve(tmp_path: Path) -> AsyncIterator[Served]:
    async with AsyncExitStack() as stack:
        homes = [near(0, 0), near(0, 80)]
        a, b = [
            await stack.enter_async_context(SimulatorServer(
                instance=i, home=(*homes[i], 10.0, 0.0), speedup=20.0, system_id=1,
                tcp_port=0, signing_key=drone_key(MASTER, 101 + i)))
            for i in range(2)
        ]
        udp_link = f"udpin:127.0.0.1:{_free_udp_port()}"
        settings = ServeSettings(
            database_url=f"sqlite:///{tmp_path / 'jinghang.db'}",
            secret_key=SECRET,
            recordings_dir=tmp_path / "recordings",
            links=[a.address, udp_link],
            signing_master_key_hex=MASTER.hex(),
            users=[UserSeed(username="pilot", password="pilot-password", role=Role.PILOT)],
            vehicles=[
                VehicleCreate(drone_id=101 + i, name=f"drone-{i}", link=link,
                              mavlink_system_id=1, base_latitude_deg=homes[i][0],
                              base_longitude_deg=homes[i][1], payloads=PAYLOADS)
                for i, link in enumerate((a.address, udp_link))
            ],
        )
        services = build_services(settings)
        stack.callback(services.store.close)
        url = await stack.enter_async_context(serving(create_app(settings, services)))
        client = await stack.enter_async_context(httpx.AsyncClient(base_url=url, timeout=30))
        token = issue_token("pilot", Role.PILOT, secret_key=SECRET, lifetime_s=3600)
        await stack.enter_async_context(UdpBridge(b.tcp_port, int(udp_link.rsplit(":", 1)[1])))
        yield Served(client, {"Authorization": f"Bearer {token}"}, a, b, udp_link, services)


def _refused_by(sim: Any) -> int:
    return sum(client.channel.counters.signing_rejected for client in sim.endpoint.clients)


async def test_two_system_1_drones_fly_signed_each_with_its_own_drone_key(
    tmp_path: Path,
) -> None:
    async with serve(tmp_path) as api:
        fleet = api.services.fleet

        async def both_signed() -> bool:
            got = [fleet.vehicles.get(d) for d in (101, 102)]
            return all(v is not None and v.frames_signed and v.state.latitude_deg != 0.0
                       for v in got)

        await eventually(both_signed, what="drones 101 and 102 live and signed")
        assert api.a.endpoint.signing_key != api.b.endpoint.signing_key
        on = await api.client.post("/api/fleet/101/spotlight", json={"on": True},
                                   headers=api.pilot)
        assert on.status_code == 200, on.text
        assert api.a.vehicle.payload.spotlight_on and not api.b.vehicle.payload.spotlight_on
        said = await api.client.post("/api/fleet/102/loudspeaker", json={"clip_id": 7},
                                     headers=api.pilot)
        assert said.status_code == 200, said.text
        assert [p.clip_id for p in api.b.vehicle.payload.played] == [7]
        assert api.a.vehicle.payload.played == []
        # nothing either drone got from the platform was signed with the other's key
        assert _refused_by(api.a) == 0 and _refused_by(api.b) == 0


async def test_a_frame_signed_with_drone_101s_key_is_refused_on_drone_102s_link(
    tmp_path: Path,
) -> None:
    async with serve(tmp_path) as api:
        fleet = api.services.fleet
        async def live() -> bool:
            return 102 in fleet.vehicles and fleet.vehicles[102].frames_signed

        await eventually(live, what="drone 102 live and signed")
        drone_102 = fleet.vehicles[102]
        link = next(k for k in fleet.router.links if k.name == api.udp_link)
        assert isinstance(link.transport, UdpInTransport)
        # to the platform: system 1 on drone 102's link, signed with drone 101's key
        sender = RawSender(link.transport.port)
        posing = Channel(system_id=1, component_id=1, signing_key=drone_key(MASTER, 101))
        before = link.channel.counters.signing_rejected
        sender.raw(posing.encode(mavlink.MAVLink_heartbeat_message(2, 3, 1, 9, 3, 3)))
        sender.raw(posing.encode(mavlink.MAVLink_global_position_int_message(
            0, 100_000_000, 1_221_300_000, 10_000, 5_000, 0, 0, 0, 9000)))
        async def refused_here() -> bool:
            return link.channel.counters.signing_rejected >= before + 2

        await eventually(refused_here, what="both frames refused")
        assert abs(drone_102.state.latitude_deg - 10.0) > 1.0
        assert drone_102.state.custom_mode != 9
        assert sender.received() == []
        sender.close()
        # to the drone: a command for system 1 signed with drone 101's key, on drone 102's
        # simulator, is refused there (its mode does not change)
        mode = api.b.vehicle.mode_name
        refused = _refused_by(api.b)
        gcs = Channel(signing_key=drone_key(MASTER, 101))
        _reader, writer = await asyncio.open_connection("127.0.0.1", api.b.tcp_port)
        try:
            writer.write(gcs.encode(mavlink.MAVLink_set_mode_message(
                1, mavlink.MAV_MODE_FLAG_CUSTOM_MODE_ENABLED, mavlink.COPTER_MODE_ALT_HOLD)))
            await writer.drain()
            async def refused_there() -> bool:
                return _refused_by(api.b) > refused

            await eventually(refused_there, what="the drone refused it")
        finally:
            writer.close()
        assert api.b.vehicle.mode_name == mode != "ALT_HOLD"


def _provision(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "jinghang.cli", "signing", "provision", *args],
                          capture_output=True, text=True, env=env, timeout=120, check=False)


async def test_provisioning_gives_a_drone_its_drone_ids_key_at_the_system_id_it_speaks(
    tmp_path: Path,
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JINGHANG_")}
    env.update(PYTHONPATH=str(ROOT), JINGHANG_SIGNING_MASTER_KEY_HEX=MASTER.hex(),
               JINGHANG_DATABASE_URL=f"sqlite:///{tmp_path / 'jinghang.db'}",
               JINGHANG_AUDIT_KEY_HEX="ab" * 32)
    async with SimulatorServer(home=(*near(0, 0), 10.0, 0.0), system_id=1,
                               tcp_port=0) as sim:  # system 1, no key yet
        store = open_store(env["JINGHANG_DATABASE_URL"])
        try:
            services = Services(settings=Settings(), bus=EventBus(), store=store)
            register.ensure_vehicle(services, VehicleCreate(
                drone_id=300, name="far-1", link=sim.address, mavlink_system_id=1,
                base_latitude_deg=0.0, base_longitude_deg=0.0))
            register.ensure_vehicle(services, VehicleCreate(
                drone_id=301, name="far-2", mavlink_system_id=1,
                base_latitude_deg=0.0, base_longitude_deg=0.0))
        finally:
            store.close()
        no_link = await asyncio.to_thread(_provision, "--drone", "301", env=env)
        assert no_link.returncode == 2 and "no link in the register" in no_link.stderr
        done = await asyncio.to_thread(_provision, "--drone", "300", "--operator", "li.wei",
                                       env=env)  # the link from the register
        assert done.returncode == 0, done.stdout + done.stderr
        assert "now signs with its key" in done.stdout
        assert "(drone 300, system id 1)" in done.stdout
        assert sim.endpoint.signing_key == drone_key(MASTER, 300) != drone_key(MASTER, 1)
