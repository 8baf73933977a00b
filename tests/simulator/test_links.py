"""The simulator's links: signing, garbage on the wire, reconnects, fleets, the CLI."""

from __future__ import annotations

import asyncio
import os
import random
import subprocess
import sys

from pymavlink.dialects.v20 import ardupilotmega as mavlink

from jinghang.simulator import SimFleet, SimulatorServer
from tests.simulator.client import connect_gcs
from tests.simulator.conftest import HOME

M = mavlink
KEY = bytes(range(32))


async def test_signed_link_accepts_signed_and_drops_unsigned_and_wrong_key() -> None:
    async with SimulatorServer(home=HOME, speedup=40, tcp_port=0, signing_key=KEY) as sim:
        async with connect_gcs(sim.tcp_port) as good:
            good.set_signing(KEY)
            hb = await good.wait("HEARTBEAT")
            assert hb.get_signed()
            await good.wait_armable()
            assert await good.set_mode(5) == 0
        async with connect_gcs(sim.tcp_port) as unsigned, connect_gcs(sim.tcp_port) as wrong:
            wrong.set_signing(bytes(32 * [9]))
            await unsigned.wait("HEARTBEAT")  # it reads signed packets, unchecked
            for client in (unsigned, wrong):
                client.send(M.MAVLink_command_long_message(1, 1, 176, 0, 1, 4, 0, 0, 0, 0, 0))
            await asyncio.sleep(0.3)
            assert "COMMAND_ACK" not in unsigned.latest and "COMMAND_ACK" not in wrong.latest
            dropped = [c.channel.counters.signing_rejected for c in sim.endpoint.clients]
            assert sorted(dropped)[-2:] != [0, 0] and all(d > 0 for d in dropped)
        assert sim.vehicle.mode_name == "LOITER"  # neither the unsigned nor the wrong one got in
        assert sim.endpoint.stats.messages_in > 0


async def test_setup_signing_turns_signing_on(sim: SimulatorServer) -> None:
    async with connect_gcs(sim.tcp_port) as gcs:
        await gcs.wait("HEARTBEAT")
        gcs.send(M.MAVLink_setup_signing_message(1, 1, list(KEY), 0))
        gcs.set_signing(KEY)
        signed = await gcs.wait("HEARTBEAT", lambda m: m.get_signed())
        assert signed.get_srcSystem() == 1
        assert await gcs.command(M.MAV_CMD_REQUEST_MESSAGE, M.MAVLINK_MSG_ID_HOME_POSITION) == 0
        # an all-zero key turns it off again
        gcs.send(M.MAVLink_setup_signing_message(1, 1, [0] * 32, 0))
        await asyncio.sleep(0.05)
        gcs.set_signing(None)
        await gcs.wait("HEARTBEAT", lambda m: not m.get_signed())
        assert await gcs.command(M.MAV_CMD_REQUEST_MESSAGE, M.MAVLINK_MSG_ID_HOME_POSITION) == 0


async def test_random_and_truncated_bytes_never_crash_it(sim: SimulatorServer) -> None:
    rng = random.Random(3)
    async with connect_gcs(sim.tcp_port) as gcs:
        await gcs.wait("HEARTBEAT")
        good = M.MAVLink_command_long_message(1, 1, 176, 0, 1, 5, 0, 0, 0, 0, 0).pack(gcs.mav)
        for _ in range(200):
            gcs.send_raw(rng.randbytes(rng.randint(1, 300)))
            gcs.send_raw(good[: rng.randint(1, len(good) - 1)])  # truncated packets
            gcs.send_raw(b"\xfd" + rng.randbytes(rng.randint(0, 40)))  # plausible headers
        gcs.send_raw(os.urandom(4096))
        await asyncio.sleep(0.1)
        # a packet cut short swallows what follows up to its announced length (at most 280
        # bytes), as on any MAVLink parser; then it resynchronises
        gcs.send_raw(bytes(300))
        # still alive and answering on the same connection
        await gcs.wait_armable()
        assert await gcs.set_mode(5) == 0
        assert await gcs.command(M.MAV_CMD_COMPONENT_ARM_DISARM, 1) == 0


async def test_link_cut_in_flight_then_reconnect_sees_the_flight_go_on(
    sim: SimulatorServer,
) -> None:
    async with connect_gcs(sim.tcp_port) as gcs:
        await gcs.arm_and_takeoff(15.0)
        gcs.send(
            M.MAVLink_set_position_target_global_int_message(
                0,
                1,
                1,
                M.MAV_FRAME_GLOBAL_RELATIVE_ALT_INT,
                0b110111111000,
                round(37.5145 * 1e7),
                round(122.1199 * 1e7),
                15,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
            )
        )
        await gcs.position(lambda m: m.vx > 200)
    assert len(sim.endpoint.clients) in (0, 1)  # the server notices the close
    async with connect_gcs(sim.tcp_port) as again:
        hb = await again.wait("HEARTBEAT")
        assert hb.base_mode & M.MAV_MODE_FLAG_SAFETY_ARMED and hb.custom_mode == 4
        await again.position(lambda m: abs(m.lat - 375145000) < 30)


async def test_fleet_of_20_on_one_loop_each_with_its_own_system_id() -> None:
    async with SimFleet(20, HOME, speedup=20, ephemeral_ports=True) as fleet:
        assert len(set(fleet.addresses)) == 20
        seen = set()
        for server in fleet.servers:
            async with connect_gcs(server.tcp_port, target_system=server.system_id) as gcs:
                hb = await gcs.wait("HEARTBEAT")
                seen.add(hb.get_srcSystem())
        assert seen == set(range(1, 21))
        # vehicles stand apart
        lons = {round(s.vehicle.longitude_deg, 7) for s in fleet.servers}
        assert len(lons) == 20


async def test_sitl_ports_by_instance_and_bad_arguments() -> None:
    from jinghang.errors import SimulatorError

    server = SimulatorServer(instance=3)
    assert server.requested_port == 5790 and server.system_id == 4
    for kwargs, field in (
        ({"speedup": 0}, "speedup"),
        ({"home": (91.0, 0.0, 0.0, 0.0)}, "home.lat"),
        ({"system_id": 300}, "system_id"),
        ({"signing_key": b"short"}, "signing_key"),
    ):
        try:
            SimulatorServer(**kwargs)  # type: ignore[arg-type]
        except SimulatorError as exc:
            assert exc.field == field
        else:
            raise AssertionError(f"{kwargs} accepted")


def test_jinghang_sim_prints_each_vehicle_address() -> None:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "jinghang.cli",
            "sim",
            "--count",
            "3",
            "--ephemeral-ports",
            "--home",
            "37.5,122.1,12,90",
            "--speedup",
            "5",
            "--duration",
            "0.5",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("vehicle")]
    assert len(lines) == 3
    assert all("tcp:127.0.0.1:" in ln for ln in lines)
    assert lines[0].startswith("vehicle 1:") and "37.5000000,122.1000000,12" in lines[0]
    bad = subprocess.run(
        [sys.executable, "-m", "jinghang.cli", "sim", "--home", "99,1,1,1", "--duration", "0.1"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 2 and "latitude" in bad.stdout
