"""A fleet of drones on one UDP listening link, over real sockets: a busy moment of the event
loop loses no telemetry, and with system ids per link hundreds of drones that are all system 1
are each tracked, and commanded, on their own port."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest
from pymavlink.dialects.v20 import ardupilotmega as mavlink

from jinghang.flight import Fleet
from jinghang.flight.transport import UDP_RECEIVE_BUFFER_BYTES
from jinghang.flight.trust import VehicleKey
from tests.flight.conftest import eventually

DRONES = 254
BURST_PER_DRONE = 4


def _rmem_max() -> int:
    try:
        return int(Path("/proc/sys/net/core/rmem_max").read_text())
    except (OSError, ValueError):
        return 0


class Drone:
    """One drone's socket (its own source port) and its frames."""

    def __init__(self, system_id: int, port: int, *, receive_buffer_bytes: int = 1024) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        # the platform's replies are unread unless a test asks for them
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer_bytes)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.setblocking(False)
        self._pending: list[bytes] = []
        self.target = ("127.0.0.1", port)
        self.mav = mavlink.MAVLink(None, srcSystem=system_id, srcComponent=1)
        self.lat_e7 = 365_000_000 + system_id * 1_000

    def send(self, *messages: object) -> None:
        data = b"".join(bytes(m.pack(self.mav)) for m in messages)  # type: ignore[attr-defined]
        self.sock.sendto(data, self.target)

    def pending(self) -> list[bytes]:
        """Datagrams the platform sent to this drone, read so far (and kept)."""
        while True:
            try:
                self._pending.append(self.sock.recv(65536))
            except BlockingIOError:
                return self._pending

    def received_commands(self) -> list[object]:
        """The COMMAND_LONGs among what the platform sent (and forget all of it)."""
        parser = mavlink.MAVLink(None)
        parser.robust_parsing = True
        messages = [m for data in self.pending() for m in parser.parse_buffer(data) or []]
        self._pending = []
        return [m for m in messages if m.get_type() == "COMMAND_LONG"]

    def heartbeat(self) -> object:
        return mavlink.MAVLink_heartbeat_message(2, 3, 89, 5, 4, 3)

    def position(self, step: int) -> object:
        return mavlink.MAVLink_global_position_int_message(
            step, self.lat_e7 + step, 1_221_800_000, 70_000, 50_000, 0, 0, 0, 9000)


@pytest.mark.skipif(_rmem_max() < UDP_RECEIVE_BUFFER_BYTES,
                    reason="the kernel caps UDP receive buffers below what the listener asks "
                    "(net.core.rmem_max)")
async def test_a_busy_moment_of_the_loop_loses_no_datagram_from_254_drones() -> None:
    registered = set(range(1, DRONES + 1))
    async with Fleet(request_streams=False, registered=registered.__contains__,
                     max_udp_peers=DRONES) as fleet:
        link = await fleet.connect("udpin:127.0.0.1:0")
        port = int(link.transport.port)  # type: ignore[attr-defined]
        drones = [Drone(system_id, port) for system_id in range(1, DRONES + 1)]
        try:
            for drone in drones:
                drone.send(drone.heartbeat())
            await eventually(lambda: len(fleet.vehicles) == DRONES)
            before = link.channel.counters.received
            # the loop is busy (a slow handler, a garbage collection) while every drone
            # sends: the kernel must hold it all until the loop reads again
            for step in range(1, BURST_PER_DRONE + 1):
                for drone in drones:
                    drone.send(drone.heartbeat(), drone.position(step))
            time.sleep(0.2)  # noqa: ASYNC251 - blocking the loop on purpose
            expected = before + DRONES * BURST_PER_DRONE * 2
            await eventually(lambda: link.channel.counters.received >= expected, timeout_s=10)
            assert link.channel.counters.received == expected
            for drone, system_id in zip(drones, range(1, DRONES + 1), strict=True):
                state = fleet.vehicles[system_id].state
                assert state.latitude_deg == pytest.approx(
                    (drone.lat_e7 + BURST_PER_DRONE) / 1e7)
        finally:
            for drone in drones:
                drone.sock.close()


async def test_300_drones_all_system_1_are_each_tracked_and_commanded_on_their_own_port(
) -> None:
    drones_n = 300
    register: dict[int, int] = {}  # source port -> the register's vehicle id

    def identify(key: VehicleKey) -> int | None:
        port = key.peer[1] if key.peer is not None else None
        return register.get(port) if key.system_id == 1 and port is not None else None

    async with Fleet(request_streams=False, identify=identify, max_udp_peers=drones_n + 1) as fleet:
        link = await fleet.connect("udpin:127.0.0.1:0")
        port = int(link.transport.port)  # type: ignore[attr-defined]
        drones = [Drone(1, port, receive_buffer_bytes=65536) for _ in range(drones_n)]
        stranger = Drone(1, port, receive_buffer_bytes=65536)
        try:
            for vehicle_id, drone in enumerate(drones, start=1):
                register[drone.sock.getsockname()[1]] = vehicle_id
                drone.lat_e7 = 365_000_000 + vehicle_id * 1_000
            for drone in drones:
                drone.send(drone.heartbeat(), drone.position(1))
            stranger.send(stranger.heartbeat(), stranger.position(1))
            await eventually(lambda: len(fleet.vehicles) == drones_n)
            await eventually(lambda: all(v.state.has_position for v in fleet.vehicles.values()))
            for vehicle_id, drone in enumerate(drones, start=1):
                state = fleet.vehicles[vehicle_id].state
                assert state.system_id == 1
                assert state.latitude_deg == pytest.approx((drone.lat_e7 + 1) / 1e7)
            # the drone nobody registered is held, never a vehicle
            assert [q["system_id"] for q in fleet.quarantined()] == [1]
            assert fleet.quarantined()[0]["reason"] == "unregistered"
            for drone in [*drones, stranger]:
                drone.received_commands()  # what came before (GCS heartbeats)
            arm = mavlink.MAVLink_command_long_message(1, 1, 400, 0, 1, 0, 0, 0, 0, 0, 0)
            assert fleet.router.send_to(7, arm)
            await eventually(lambda: bool(drones[6].pending()))
            assert [m.command for m in drones[6].received_commands()] == [400]
            assert all(not d.received_commands() for i, d in enumerate(drones) if i != 6)
            assert not stranger.received_commands()
        finally:
            for drone in [*drones, stranger]:
                drone.sock.close()


async def test_with_per_link_ids_a_forward_sees_and_commands_only_its_own_drone() -> None:
    register: dict[int, int] = {}

    def identify(key: VehicleKey) -> int | None:
        return register.get(key.peer[1]) if key.peer is not None else None

    async with Fleet(request_streams=False, identify=identify) as fleet:
        link = await fleet.connect("udpin:127.0.0.1:0")
        port = int(link.transport.port)  # type: ignore[attr-defined]
        drones = [Drone(1, port, receive_buffer_bytes=65536) for _ in range(3)]
        pilot = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # a pilot's QGroundControl
        pilot.bind(("127.0.0.1", 0))
        pilot.setblocking(False)
        try:
            for vehicle_id, drone in enumerate(drones, start=1):
                register[drone.sock.getsockname()[1]] = vehicle_id
                drone.lat_e7 = 365_000_000 + vehicle_id * 1_000
                drone.send(drone.heartbeat(), drone.position(1))
            await eventually(lambda: len(fleet.vehicles) == 3)
            pilot_port = pilot.getsockname()[1]
            fleet.add_forward(f"udpout:127.0.0.1:{pilot_port}", system_id=2)
            await eventually(lambda: fleet.router.forwards[0].link.connected)
            for drone in drones:
                drone.send(drone.position(2))
            parser = mavlink.MAVLink(None)
            parser.robust_parsing = True
            seen: list[object] = []
            platform: list[tuple[str, int]] = []  # where the forward sends from

            def positions() -> list[object]:
                while True:
                    try:
                        data, address = pilot.recvfrom(65536)
                    except BlockingIOError:
                        break
                    platform[:] = [address]
                    seen.extend(m for m in parser.parse_buffer(data) or []
                                if m.get_type() == "GLOBAL_POSITION_INT")
                return seen

            await eventually(lambda: bool(positions()))
            assert {m.lat for m in positions()} == {drones[1].lat_e7 + 2}  # type: ignore[attr-defined]
            for drone in drones:
                drone.received_commands()
            pilot_mav = mavlink.MAVLink(None, srcSystem=255, srcComponent=190)
            arm = mavlink.MAVLink_command_long_message(1, 1, 400, 0, 1, 0, 0, 0, 0, 0, 0)
            pilot.sendto(bytes(arm.pack(pilot_mav)), platform[0])
            forward = fleet.router.forwards[0]
            await eventually(lambda: forward.messages_in >= 1)
            await eventually(lambda: bool(drones[1].pending()))
            assert [m.command for m in drones[1].received_commands()] == [400]  # type: ignore[attr-defined]
            assert not drones[0].received_commands() and not drones[2].received_commands()
        finally:
            pilot.close()
            for drone in drones:
                drone.sock.close()
