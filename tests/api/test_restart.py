"""The server killed mid-flight and restarted keeps its cases and sorties: a real ``jinghang
serve`` subprocess (configured by a JSON file) is killed with SIGKILL while its drone flies a
case's sortie and a second case waits unassigned, started again on the same database, follows
the flight to its end and then serves the waiting case; the simulated drone keeps flying in
the test process all along."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx

from jinghang.mavlink.keys import drone_key
from jinghang.simulator.server import SimulatorServer
from tests.api.harness import ALL_PAYLOADS, SECRET, eventually, near
from tests.conftest import free_tcp_port

ROOT = Path(__file__).resolve().parents[2]
#: the server signs by default: the drone has its key derived from this master key
SIGNING_MASTER = bytes(range(32))


def _write_config(tmp_path: Path, link: str, home: tuple[float, ...], port: int) -> Path:
    config = {
        "database_url": f"sqlite:///{tmp_path / 'server.db'}",
        "secret_key": SECRET,
        "audit_key_hex": "ab" * 32,
        "signing_master_key_hex": SIGNING_MASTER.hex(),
        "port": port,
        "links": [link],
        "users": [
            {"username": "duty.commander", "password": "duty-password-1", "role": "commander"}
        ],
        "vehicles": [
            {
                "drone_id": 1,
                "name": "harbour",
                "base_latitude_deg": home[0],
                "base_longitude_deg": home[1],
                "base_altitude_m": home[2],
                "payloads": ALL_PAYLOADS,
            }
        ],
    }
    path = tmp_path / "jinghang.json"
    path.write_text(json.dumps(config), encoding="utf-8")
    return path


@asynccontextmanager
async def _server(config: Path, log: Path) -> AsyncIterator[asyncio.subprocess.Process]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = log.open("ab")
    try:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "jinghang.cli",
            "serve",
            "--config",
            str(config),
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=config.parent,
        )
        try:
            yield proc
        finally:
            if proc.returncode is None:
                proc.kill()
            await proc.wait()
    finally:
        out.close()


async def _sign_in(client: httpx.AsyncClient, proc: asyncio.subprocess.Process) -> None:
    async def up() -> bool:
        assert proc.returncode is None, "the server exited; see server.log"
        try:
            health = await client.get("/api/health")
            return health.status_code == 200 and bool(health.json()["dispatcher"])
        except httpx.TransportError:
            return False

    await eventually(up, 60, "the server up")
    token = (
        await client.post(
            "/api/auth/token", data={"username": "duty.commander", "password": "duty-password-1"}
        )
    ).json()
    client.headers["Authorization"] = f"Bearer {token['access_token']}"


async def _incident(client: httpx.AsyncClient, incident_id: int) -> dict[str, Any]:
    return dict((await client.get(f"/api/incidents/{incident_id}")).json())


async def _sortie_state(client: httpx.AsyncClient, incident_id: int) -> str:
    sorties = (await _incident(client, incident_id))["sorties"]
    return str(sorties[-1]["state"]) if sorties else ""


async def test_server_killed_mid_flight_picks_the_flight_up(tmp_path: Path) -> None:
    lat, lon = near(0, 0)
    home = (lat, lon, 10.0, 0.0)
    async with SimulatorServer(home=home, speedup=20.0, system_id=1, tcp_port=0,
                               signing_key=drone_key(SIGNING_MASTER, 1)) as sim:
        port = free_tcp_port()
        config = _write_config(tmp_path, sim.address, home, port)
        log = tmp_path / "server.log"
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            async with _server(config, log) as first:
                await _sign_in(client, first)

                async def drone_linked() -> bool:
                    fleet = (await client.get("/api/fleet")).json()
                    return bool(fleet and fleet[0]["connected"])

                await eventually(drone_linked, 30, "the drone's link")
                target = near(400, 150)
                reported = await client.post(
                    "/api/incidents",
                    json={
                        "playbook_id": "P01",
                        "latitude_deg": target[0],
                        "longitude_deg": target[1],
                    },
                )
                assert reported.status_code == 201, reported.text
                incident_id = reported.json()["incident"]["id"]

                async def flying() -> bool:
                    state = await _sortie_state(client, incident_id)
                    return state in ("en_route", "on_scene") and sim.vehicle.relative_altitude_m > 5

                await eventually(flying, 60, "the drone in the air")
                waiting = await client.post(
                    "/api/incidents",
                    json={"playbook_id": "P05", "latitude_deg": target[0],
                          "longitude_deg": target[1], "title": "waits for the drone"},
                )
                waiting_id = waiting.json()["incident"]["id"]
                assert waiting.json()["incident"]["unassigned"][0]["code"] == "drone.busy"
                first.send_signal(signal.SIGKILL)
                await first.wait()
            assert sim.vehicle.armed, "the drone flies on while the server is down"

            async with _server(config, log) as second:
                await _sign_in(client, second)

                # both cases are there after the restart, the waiting one still waiting
                cases = {c["id"]: c for c in (await client.get("/api/incidents")).json()}
                assert set(cases) == {incident_id, waiting_id}
                assert all(c["state"] == "open" for c in cases.values())
                assert cases[waiting_id]["sorties"][0]["state"] == "planned"
                assert cases[waiting_id]["unassigned"]

                async def landed() -> bool:
                    return await _sortie_state(client, incident_id) == "landed"

                await eventually(landed, 120, "the sortie landed after the restart")
                record = (await client.get(f"/api/incidents/{incident_id}/record")).json()
                states = [e["to_state"] for e in record["events"] if e["kind"] == "sortie.state"]
                assert states[-1] == "landed" and "en_route" in states
                assert (await _incident(client, incident_id))["state"] == "open"
                # the flown track went on after the restart (the samples not yet written when
                # the server was killed are lost, at most a few seconds) and ends at home
                track = record["track"]
                assert track and {p["mission_id"] for p in track} == {record["missions"][0]["id"]}
                assert abs(track[-1]["latitude_deg"] - home[0]) < 3e-4
                assert abs(track[-1]["longitude_deg"] - home[1]) < 3e-4
                assert max(p["latitude_deg"] for p in track) > near(250, 0)[0]

                # the freed drone serves the case that waited through the restart
                async def served() -> bool:
                    return await _sortie_state(client, waiting_id) in ("en_route", "on_scene")

                await eventually(served, 60, "the waiting case served by the freed drone")
                recalled = await client.post(f"/api/incidents/{waiting_id}/recall")
                assert recalled.status_code == 200, recalled.text

                async def home_again() -> bool:
                    return await _sortie_state(client, waiting_id) == "landed"

                await eventually(home_again, 120, "the second sortie landed")
                assert not sim.vehicle.armed
                # and the register shows the drone free again
                async def available() -> bool:
                    status = (await client.get("/api/fleet/1")).json()["status"]
                    return bool(status == "available")

                await eventually(available, 10, "the drone available in the register")
                assert (await client.get("/api/audit/verify")).json()["ok"] is True
