"""Forwarding to a pilot's own ground station, tested with two real third-party clients:
MAVProxy (headless) and a dronekit script. Each sees the simulated vehicle through the
platform's forward and its command reaches the vehicle, while the platform stays connected."""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
from pathlib import Path

import pytest

from tests.conftest import free_udp_port
from tests.flight.conftest import eventually
from tests.flight.simulated import connected_vehicle

HERE = Path(__file__).parent


@pytest.mark.sitl
async def test_mavproxy_sees_the_vehicle_and_its_commands_reach_it(
    backend: str, tmp_path: Path
) -> None:
    mavproxy = shutil.which("mavproxy.py")
    if mavproxy is None:
        pytest.skip("MAVProxy is not installed (scripts/test installs it with --no-deps)")
    port = free_udp_port()
    async with connected_vehicle(backend, speedup=5.0) as (fleet, vehicle):
        forward = fleet.add_forward(f"udpout:127.0.0.1:{port}", system_id=1)
        out_path = tmp_path / "mavproxy.out"
        with out_path.open("wb") as out:
            proc = await asyncio.create_subprocess_exec(
                sys.executable, mavproxy, f"--master=udpin:127.0.0.1:{port}",
                "--default-modules=link,mode,arm", "--nowait",
                stdin=asyncio.subprocess.PIPE, stdout=out, stderr=asyncio.subprocess.STDOUT,
                cwd=tmp_path, env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
        assert proc.stdin is not None
        try:
            await eventually(lambda: b"online system 1" in out_path.read_bytes(), 30)
            proc.stdin.write(b"mode GUIDED\n")
            await proc.stdin.drain()
            await vehicle.wait_until(lambda s: s.mode == "GUIDED", timeout_s=20)
            proc.stdin.write(b"arm throttle\n")
            await proc.stdin.drain()
            await vehicle.wait_until(lambda s: s.armed, timeout_s=20)
            await eventually(lambda: b"ARMED" in out_path.read_bytes(), 20)
        finally:
            proc.stdin.close()
            try:
                async with asyncio.timeout(10):
                    await proc.wait()
            except TimeoutError:
                proc.kill()
                await proc.wait()
        assert forward.messages_in > 0 and forward.messages_out > 0
        # the platform still commands the vehicle beside the pilot's ground station
        await vehicle.disarm(actor="platform")
        await vehicle.set_mode("LOITER", actor="platform")
        assert vehicle.state.mode == "LOITER" and not vehicle.state.armed


@pytest.mark.sitl
async def test_dronekit_script_sees_the_vehicle_and_switches_its_mode(backend: str) -> None:
    port = free_udp_port()
    async with connected_vehicle(backend, speedup=5.0) as (fleet, vehicle):
        fleet.add_forward(f"udpout:127.0.0.1:{port}", system_id=1)
        proc = await asyncio.create_subprocess_exec(
            sys.executable, str(HERE / "dronekit_client.py"), f"udpin:127.0.0.1:{port}",
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )
        async with asyncio.timeout(60):
            output, _ = await proc.communicate()
        text = output.decode()
        assert proc.returncode == 0, text
        assert "SEEN mode=STABILIZE armed=False" in text
        assert "AFTER mode=GUIDED" in text
        assert vehicle.state.mode == "GUIDED"
