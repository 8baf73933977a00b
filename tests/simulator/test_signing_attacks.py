"""Attacks on the simulator's signing, as ArduPilot's GCS_Signing refuses them: SETUP_SIGNING
while armed, an unsigned SETUP_SIGNING once signing is on, a signed frame captured on one
connection and replayed on a new one; and a takeoff ArduCopter cannot hold."""

from __future__ import annotations

import asyncio

from pymavlink.dialects.v20 import ardupilotmega as mavlink

from jinghang.simulator import SimulatorServer
from tests.simulator.client import GcsClient, connect_gcs
from tests.simulator.conftest import HOME

M = mavlink
KEY = bytes(range(32))
ATTACKER_KEY = bytes(32 * [7])
LOITER, ALT_HOLD = 5, 2


async def test_setup_signing_is_refused_while_armed(sim: SimulatorServer, gcs: GcsClient) -> None:
    await gcs.arm_and_takeoff(5.0)
    gcs.send(M.MAVLink_setup_signing_message(1, 1, list(ATTACKER_KEY), 0))
    text = await gcs.wait("STATUSTEXT", lambda m: "signing" in m.text)
    assert "armed" in text.text
    assert sim.endpoint.signing_key is None
    assert await gcs.command(M.MAV_CMD_REQUEST_MESSAGE, M.MAVLINK_MSG_ID_HOME_POSITION) == 0


async def test_unsigned_setup_signing_is_ignored_once_signing_is_on() -> None:
    async with SimulatorServer(home=HOME, speedup=40, tcp_port=0, signing_key=KEY) as sim:
        async with connect_gcs(sim.tcp_port) as attacker:
            await attacker.wait("HEARTBEAT")
            attacker.send(M.MAVLink_setup_signing_message(1, 1, list(ATTACKER_KEY), 0))
            await asyncio.sleep(0.3)
        assert sim.endpoint.signing_key == KEY
        async with connect_gcs(sim.tcp_port) as owner:
            owner.set_signing(KEY)
            assert await owner.command(M.MAV_CMD_REQUEST_MESSAGE,
                                       M.MAVLINK_MSG_ID_HOME_POSITION) == 0


def signed_set_mode(gcs: GcsClient, mode: int) -> bytes:
    message = M.MAVLink_command_long_message(1, 1, M.MAV_CMD_DO_SET_MODE, 0, 1, mode,
                                             0, 0, 0, 0, 0)
    data = bytes(message.pack(gcs.mav))
    gcs.mav.seq = (gcs.mav.seq + 1) % 256
    return data


async def test_a_signed_command_replayed_on_a_new_connection_is_refused() -> None:
    async with SimulatorServer(home=HOME, speedup=40, tcp_port=0, signing_key=KEY) as sim:
        async with connect_gcs(sim.tcp_port) as pilot:
            pilot.set_signing(KEY)
            await pilot.wait_armable()
            captured = signed_set_mode(pilot, LOITER)
            pilot.send_raw(captured)
            await pilot.heartbeat_where(lambda m: m.custom_mode == LOITER, timeout_s=5)
            assert await pilot.set_mode(ALT_HOLD) == 0
        async with connect_gcs(sim.tcp_port, heartbeats=False) as attacker:
            await attacker.wait("HEARTBEAT")
            attacker.send_raw(captured)  # the same bytes, on a new connection
            await asyncio.sleep(0.5)
            assert "COMMAND_ACK" not in attacker.latest
        assert sim.vehicle.mode_name == "ALT_HOLD"


async def test_a_takeoff_an_ardupilot_location_cannot_hold_fails(gcs: GcsClient) -> None:
    await gcs.wait_armable()
    assert await gcs.set_mode(4) == M.MAV_RESULT_ACCEPTED
    assert await gcs.command(M.MAV_CMD_COMPONENT_ARM_DISARM, 1) == M.MAV_RESULT_ACCEPTED
    result = await gcs.command(M.MAV_CMD_NAV_TAKEOFF, 0, 0, 0, 0, 0, 0, 1e9)
    assert result == M.MAV_RESULT_FAILED
    assert await gcs.command(M.MAV_CMD_NAV_TAKEOFF, 0, 0, 0, 0, 0, 0, 10) == 0
