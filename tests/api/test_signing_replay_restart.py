"""``jinghang serve`` keeps the last signing timestamp of every stream in its database: a
signed frame captured from a drone before a restart is refused (and counted) when replayed
after it, and the platform's own signing timestamp carries on from where it stopped, even
when the drone's clock (and so the platform's) ran ahead of the wall clock."""

from __future__ import annotations

import asyncio
import socket
import struct
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from pymavlink.dialects.v20 import ardupilotmega as mavlink

from jinghang.api.app import create_app
from jinghang.api.runtime import build_services
from jinghang.api.serve_settings import ServeSettings
from jinghang.api.server import serving
from jinghang.api.services import Services
from jinghang.mavlink.channel import Channel
from jinghang.mavlink.keys import drone_key
from jinghang.mavlink.signing import signing_timestamp_now
from tests.api.harness import SECRET
from tests.conftest import free_udp_port
from tests.flight.conftest import eventually

MASTER = bytes(range(40, 72))
#: the drone's clock runs an hour ahead of ours (10 µs units)
AHEAD = 3600 * 100_000


@asynccontextmanager
async def serve(settings: ServeSettings) -> AsyncIterator[Services]:
    """What ``jinghang serve`` runs, in this process: build the services, serve the app."""
    services = build_services(settings)
    try:
        async with serving(create_app(settings, services)):
            yield services
    finally:
        services.store.close()


class Drone:
    """A UDP socket that sends pre-signed frames and collects what the platform sends it."""

    def __init__(self, port: int) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setblocking(False)
        self.port = port

    def send(self, data: bytes) -> None:
        self.sock.sendto(data, ("127.0.0.1", self.port))

    def signing_timestamps(self) -> list[int]:
        """The signing timestamps of the signed frames received so far."""
        out = []
        while True:
            try:
                data = self.sock.recv(65536)
            except BlockingIOError:
                return out
            if data[:1] == b"\xfd" and data[2] & mavlink.MAVLINK_IFLAG_SIGNED:
                low, high = struct.unpack("<IH", data[-12:-6])
                out.append(low + (high << 32))

    def close(self) -> None:
        self.sock.close()


def heartbeat(custom_mode: int) -> object:
    return mavlink.MAVLink_heartbeat_message(2, 3, 1, custom_mode, 3, 3)


async def test_a_frame_captured_before_a_restart_is_refused_after_it(tmp_path: Path) -> None:
    port = free_udp_port()
    settings = ServeSettings(
        database_url=f"sqlite:///{tmp_path / 'jinghang.db'}",
        secret_key=SECRET,
        recordings_dir=tmp_path / "recordings",
        signing_master_key_hex=MASTER.hex(),
        links=[f"udpin:127.0.0.1:{port}"],
        vehicles=[{"drone_id": 1, "name": "Drone 1", "base_latitude_deg": 31.2,
                   "base_longitude_deg": 121.4}],
    )
    drone = Channel(system_id=1, component_id=1, signing_key=drone_key(MASTER, 1))
    drone.advance_signing_timestamp(signing_timestamp_now() + AHEAD)
    captured = drone.encode(heartbeat(4))

    async with serve(settings) as services:
        fleet = services.fleet
        assert fleet is not None
        first = Drone(port)
        first.send(captured)
        vehicle = await fleet.wait_vehicle(1, timeout_s=10)
        assert vehicle.state.custom_mode == 4
        sent_before: list[int] = []
        # the platform's heartbeats, signed for the drone: a few, so that its timestamp moved
        await eventually(lambda: len(sent_before.extend(first.signing_timestamps())
                                     or sent_before) >= 3, timeout_s=15)
        first.send(captured)  # the same frame again, on the same run: refused already
        await eventually(
            lambda: fleet.link_counters()[settings.links[0]]["signing_rejected"] == 1)
        sent_before.extend(first.signing_timestamps())
        first.close()
    assert min(sent_before) > signing_timestamp_now() + AHEAD // 2  # it followed the drone

    async with serve(settings) as services:
        fleet = services.fleet
        assert fleet is not None
        replay = Drone(port)
        replay.send(captured)  # captured before the restart
        await eventually(
            lambda: fleet.link_counters()[settings.links[0]]["signing_rejected"] == 1,
            timeout_s=10)
        await asyncio.sleep(0.3)
        assert fleet.vehicles == {}
        # the drone itself carries on with newer timestamps (ArduPilot keeps its own):
        # accepted, and the platform's own frames to it start after the last one it signed
        # before the restart, not from the drone's timestamp nor from the wall clock
        replay.send(drone.encode(heartbeat(5)))
        vehicle = await fleet.wait_vehicle(1, timeout_s=10)
        assert vehicle.state.custom_mode == 5
        sent_after: list[int] = []
        await eventually(lambda: bool(sent_after.extend(replay.signing_timestamps())
                                      or sent_after), timeout_s=10)
        assert min(sent_after) > max(sent_before)
        replay.close()
