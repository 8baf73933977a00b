"""``jinghang demo`` (the README's first command) as a user runs it: it prints the URL and
the demo users with their passwords, the three Weihai drones come up live, the console is
served at /, and Ctrl-C stops everything cleanly."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from pathlib import Path

import httpx

from tests.api.harness import eventually
from tests.conftest import free_tcp_port

ROOT = Path(__file__).resolve().parents[2]


async def test_demo_starts_prints_users_and_flies_three_drones(tmp_path: Path) -> None:
    port = free_tcp_port()
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "jinghang.cli",
        "demo",
        "--port",
        str(port),
        "--dir",
        str(tmp_path / "demo"),
        "--no-video",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.stdout is not None
    try:
        banner = ""
        async with asyncio.timeout(60):
            while "Ctrl-C" not in banner:
                line = await proc.stdout.readline()
                assert line, f"the demo exited: {banner}"
                banner += line.decode()
        assert f"http://127.0.0.1:{port}/" in banner
        passwords = dict(re.findall(r"^\s+\w+\s+(\w+)\s+password: (\S+)$", banner, re.M))
        assert set(passwords) == {"admin", "commander", "pilot", "observer"}
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            token = (
                await client.post(
                    "/api/auth/token",
                    data={"username": "commander", "password": passwords["commander"]},
                )
            ).json()
            headers = {"Authorization": f"Bearer {token['access_token']}"}

            async def three_live() -> bool:
                fleet = (await client.get("/api/fleet", headers=headers)).json()
                return len(fleet) == 3 and all(d["connected"] for d in fleet)

            await eventually(three_live, 30, "three live drones")
            fleet = (await client.get("/api/fleet", headers=headers)).json()
            for drone in fleet:
                assert 37.4 < drone["live"]["latitude_deg"] < 37.6  # Weihai
                assert 122.0 < drone["live"]["longitude_deg"] < 122.2
            page = await client.get("/")
            assert page.status_code == 200 and "<html" in page.text.lower()
            zones = (await client.get("/api/no-fly-zones", headers=headers)).json()
            assert zones["features"]
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGINT)
            async with asyncio.timeout(30):
                await proc.wait()
    assert proc.returncode in (0, 130)
