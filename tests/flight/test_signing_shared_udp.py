"""One ``udpin:`` link carrying several drones, each with its own signing key: the
platform's heartbeats and broadcasts (target 0) go to each drone's UDP peer signed with that
drone's key, so every drone accepts them (the built-in simulator verifies signing as
ArduPilot does), and a command for one drone reaches that drone only."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

from pymavlink.dialects.v20 import ardupilotmega as mavlink

from jinghang.flight import Fleet
from jinghang.flight.transport import UdpInTransport
from jinghang.mavlink.keys import DroneKeys
from jinghang.simulator.server import SimulatorServer
from tests.flight.conftest import eventually
from tests.flight.simulated import HOME

MASTER = bytes(range(7, 39))


class _Datagrams(asyncio.DatagramProtocol):
    def __init__(self, bridge: UdpBridge) -> None:
        self.bridge = bridge

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self.bridge.from_platform(data)


class UdpBridge:
    """A simulator's TCP port carried over UDP to the platform's listening port, one MAVLink
    frame per datagram, from a UDP port of its own (as a drone on a radio or modem would);
    it keeps what the platform sent it."""

    def __init__(self, tcp_port: int, udp_port: int) -> None:
        self.tcp_port, self.udp_port = tcp_port, udp_port
        self.from_platform_frames: list[Any] = []
        self._parser = mavlink.MAVLink(None)
        self._parser.robust_parsing = True
        self._writer: asyncio.StreamWriter | None = None
        self._udp: asyncio.DatagramTransport | None = None
        self._pump: asyncio.Task[None] | None = None

    async def __aenter__(self) -> UdpBridge:
        loop = asyncio.get_running_loop()
        reader, self._writer = await asyncio.open_connection("127.0.0.1", self.tcp_port)
        self._udp, _ = await loop.create_datagram_endpoint(
            lambda: _Datagrams(self), local_addr=("127.0.0.1", 0),
            remote_addr=("127.0.0.1", self.udp_port), family=socket.AF_INET)
        self._pump = asyncio.create_task(self._from_drone(reader))
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._pump is not None:
            self._pump.cancel()
            await asyncio.gather(self._pump, return_exceptions=True)
        if self._udp is not None:
            self._udp.close()
        if self._writer is not None:
            self._writer.close()

    def from_platform(self, data: bytes) -> None:
        parser = mavlink.MAVLink(None)
        self.from_platform_frames.extend(
            m for m in parser.parse_buffer(data) or [] if m.get_type() != "BAD_DATA")
        if self._writer is not None:
            self._writer.write(data)

    async def _from_drone(self, reader: asyncio.StreamReader) -> None:
        while data := await reader.read(65536):
            for message in self._parser.parse_buffer(data) or []:
                if message.get_type() != "BAD_DATA" and self._udp is not None:
                    self._udp.sendto(bytes(message.get_msgbuf()))

    def targets(self) -> set[int]:
        """The target systems of the frames the platform sent here (0: broadcast)."""
        return {int(getattr(m, "target_system", 0) or 0) for m in self.from_platform_frames}


def _refused_by(sim: SimulatorServer) -> int:
    return sum(client.channel.counters.signing_rejected for client in sim.endpoint.clients)


async def test_two_drones_with_their_own_keys_share_one_udpin_link() -> None:
    keys = DroneKeys(MASTER)
    async with (
        SimulatorServer(home=HOME, system_id=1, tcp_port=0,
                        signing_key=keys.key_for(1)) as one,
        SimulatorServer(instance=1, home=HOME, system_id=2, tcp_port=0,
                        signing_key=keys.key_for(2)) as two,
        Fleet(request_streams=False, signing_keys=keys.key_for,
              heartbeat_interval_s=0.2) as fleet,
    ):
        link = await fleet.connect("udpin:127.0.0.1:0")
        assert isinstance(link.transport, UdpInTransport)
        async with (
            UdpBridge(one.tcp_port, link.transport.port) as bridge_one,
            UdpBridge(two.tcp_port, link.transport.port) as bridge_two,
        ):
            first = await fleet.wait_vehicle(1, timeout_s=10)
            second = await fleet.wait_vehicle(2, timeout_s=10)
            assert first.frames_signed and second.frames_signed
            # the platform's heartbeats, signed per drone: both drones take them
            await eventually(lambda: one.vehicle.gcs_seen and two.vehicle.gcs_seen)
            # a broadcast command (target 0) reaches both, each copy under its drone's key
            fleet.router.broadcast(mavlink.MAVLink_set_mode_message(
                0, mavlink.MAV_MODE_FLAG_CUSTOM_MODE_ENABLED, mavlink.COPTER_MODE_ALT_HOLD))
            await eventually(
                lambda: one.vehicle.mode_name == two.vehicle.mode_name == "ALT_HOLD")
            # a command for one drone reaches that drone only
            await second.set_mode("STABILIZE", actor="test")
            assert (one.vehicle.mode_name, two.vehicle.mode_name) == ("ALT_HOLD", "STABILIZE")
            await first.set_mode("STABILIZE", actor="test")
            await second.set_mode("ALT_HOLD", actor="test")
            assert (one.vehicle.mode_name, two.vehicle.mode_name) == ("STABILIZE", "ALT_HOLD")
            assert bridge_one.targets() <= {0, 1} and bridge_two.targets() <= {0, 2}
            assert 1 in bridge_one.targets() and 2 in bridge_two.targets()
            # nothing either drone got was signed with the other's key (or unsigned)
            assert _refused_by(one) == 0 and _refused_by(two) == 0
