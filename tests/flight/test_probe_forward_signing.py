"""Probe finding: a forward endpoint (the UDP port a pilot's QGroundControl talks to, open
to whoever reaches it, unsigned) could send SETUP_SIGNING to a drone: the router re-signed
it with the drone's own key and the drone took the new key (or an all-zero one, which
switches its signing off), locking the platform out of a drone it can no longer verify.
Key management never passes through a forward; other commands still do."""

from __future__ import annotations

import asyncio
import os

from pymavlink.dialects.v20 import ardupilotmega as mavlink

from jinghang.flight import Fleet
from jinghang.flight.transport import UdpInTransport
from jinghang.mavlink.keys import DroneKeys
from jinghang.simulator.server import SimulatorServer
from tests.flight.conftest import eventually
from tests.flight.simulated import HOME
from tests.flight.test_link_trust import RawSender

MASTER = bytes(range(40, 72))


async def test_setup_signing_from_a_forward_never_reaches_the_drone() -> None:
    keys = DroneKeys(MASTER)
    async with (
        SimulatorServer(home=HOME, tcp_port=0, signing_key=keys.key_for(1)) as sim,
        Fleet(request_streams=False, signing_keys=keys.key_for) as fleet,
    ):
        await fleet.connect(sim.address)
        vehicle = await fleet.wait_vehicle(1, timeout_s=10)
        forward = fleet.add_forward("udpin:127.0.0.1:0")
        assert isinstance(forward.link.transport, UdpInTransport)
        await eventually(lambda: forward.link.transport.port != 0)
        gcs = RawSender(forward.link.transport.port)
        for key in (os.urandom(32), bytes(32)):
            gcs.frame(mavlink.MAVLink_setup_signing_message(1, 1, key, 0), 255)
        # an ordinary command from the same ground station still reaches the drone
        gcs.frame(mavlink.MAVLink_set_mode_message(1, 1, 2), 255)  # ALT_HOLD
        await eventually(lambda: sim.vehicle.mode_name == "ALT_HOLD", timeout_s=10)
        await asyncio.sleep(0.5)
        assert sim.endpoint.signing_key == keys.key_for(1)
        assert forward.refused == 2
        # the platform still reads the drone: its signed heartbeats show the new mode
        await eventually(lambda: vehicle.state.custom_mode == 2, timeout_s=10)
        gcs.close()
