"""A fleet of drones on one UDP listening link, over real sockets: a busy moment of the event
loop loses no telemetry, and every registered system id is tracked from its own port."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest
from pymavlink.dialects.v20 import ardupilotmega as mavlink

from jinghang.flight import Fleet
from jinghang.flight.transport import UDP_RECEIVE_BUFFER_BYTES
from tests.flight.conftest import eventually

DRONES = 254
BURST_PER_DRONE = 8


def _rmem_max() -> int:
    try:
        return int(Path("/proc/sys/net/core/rmem_max").read_text())
    except (OSError, ValueError):
        return 0


class Drone:
    """One drone's socket (its own source port) and its frames."""

    def __init__(self, system_id: int, port: int) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)  # replies unread
        self.target = ("127.0.0.1", port)
        self.mav = mavlink.MAVLink(None, srcSystem=system_id, srcComponent=1)
        self.lat_e7 = 365_000_000 + system_id * 1_000

    def send(self, *messages: object) -> None:
        data = b"".join(bytes(m.pack(self.mav)) for m in messages)  # type: ignore[attr-defined]
        self.sock.sendto(data, self.target)

    def heartbeat(self) -> object:
        return mavlink.MAVLink_heartbeat_message(2, 3, 89, 5, 4, 3)

    def position(self, step: int) -> object:
        return mavlink.MAVLink_global_position_int_message(
            step, self.lat_e7 + step, 1_221_800_000, 70_000, 50_000, 0, 0, 0, 9000)


@pytest.mark.skipif(_rmem_max() < UDP_RECEIVE_BUFFER_BYTES // 2,
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
