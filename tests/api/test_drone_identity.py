"""Drones are the register's, not their MAVLink system ids: through the real ``jinghang serve``
app (``build_services``), drones that all speak system id 1, each on its own link, are told
apart by the register's ``link``/``mavlink_system_id``; each appears under its drone id and
name in ``GET /api/fleet`` and on the WebSocket, and a command to one reaches its simulator and
not the others. A drone registered (or retired) while the server runs is taken (or dropped)
without a restart; a source the register does not name stays in quarantine."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import websockets

from jinghang.api.app import create_app
from jinghang.api.register import VehicleCreate
from jinghang.api.runtime import build_services
from jinghang.api.security import Role, issue_token
from jinghang.api.serve_settings import ServeSettings, UserSeed
from jinghang.api.server import serving
from jinghang.simulator import SimulatorServer
from tests.api.harness import eventually, near

SECRET = "drone-identity-secret-0123456789abcdef"
PAYLOADS = ["camera", "spotlight", "loudspeaker"]


@dataclass
class Served:
    url: str
    client: httpx.AsyncClient
    tokens: dict[str, str]
    sims: list[Any]
    services: Any

    def auth(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    async def fleet(self) -> dict[int, dict[str, Any]]:
        body = (await self.client.get("/api/fleet", headers=self.auth("observer"))).json()
        return {v["drone_id"]: v for v in body}


def _drone(drone_id: int, name: str, link: str, home: tuple[float, float]) -> VehicleCreate:
    return VehicleCreate(drone_id=drone_id, name=name, link=link, mavlink_system_id=1,
                         base_latitude_deg=home[0], base_longitude_deg=home[1],
                         payloads=PAYLOADS)


@asynccontextmanager
async def serve(tmp_path: Path, sims: int, registered: int) -> AsyncIterator[Served]:
    """``sims`` simulators, every one system id 1 on its own TCP link, the first
    ``registered`` of them in the register as drones 101, 102, ... (on their link)."""
    async with AsyncExitStack() as stack:
        homes = [near(0, 80 * i) for i in range(sims)]
        flock = [
            await stack.enter_async_context(SimulatorServer(
                instance=i, home=(*homes[i], 10.0, 0.0), speedup=20.0, system_id=1,
                tcp_port=0))
            for i in range(sims)
        ]
        settings = ServeSettings(
            database_url=f"sqlite:///{tmp_path / 'jinghang.db'}",
            secret_key=SECRET,
            recordings_dir=tmp_path / "recordings",
            links=[sim.address for sim in flock],
            signing="off",
            users=[UserSeed(username=str(r), password=f"{r}-password", role=r) for r in Role],
            vehicles=[_drone(101 + i, f"drone-{chr(ord('a') + i)}", flock[i].address, homes[i])
                      for i in range(registered)],
        )
        services = build_services(settings)
        stack.callback(services.store.close)
        app = create_app(settings, services)
        url = await stack.enter_async_context(serving(app))
        client = await stack.enter_async_context(httpx.AsyncClient(base_url=url, timeout=30))
        tokens = {str(r): issue_token(str(r), r, secret_key=SECRET, lifetime_s=3600)
                  for r in Role}
        yield Served(url, client, tokens, flock, services)


async def test_two_drones_both_system_1_are_two_drones_and_commands_reach_each(
    tmp_path: Path,
) -> None:
    async with serve(tmp_path, sims=2, registered=2) as api:
        a, b = api.sims

        async def both_live() -> bool:
            fleet = await api.fleet()
            return all(
                fleet.get(d, {}).get("connected") and (fleet[d]["live"] or {}).get("latitude_deg")
                for d in (101, 102)
            )

        await eventually(both_live, what="both drones live")
        fleet = await api.fleet()
        assert sorted(fleet) == [101, 102]  # two drones, not one "system 1"
        assert (fleet[101]["name"], fleet[102]["name"]) == ("drone-a", "drone-b")
        assert (fleet[101]["link"], fleet[102]["link"]) == (a.address, b.address)
        assert fleet[101]["mavlink_system_id"] == fleet[102]["mavlink_system_id"] == 1
        # each drone's position is its own simulator's, not whichever spoke last
        assert abs(fleet[101]["live"]["longitude_deg"] - a.vehicle.longitude_deg) < 1e-4
        assert abs(fleet[102]["live"]["longitude_deg"] - b.vehicle.longitude_deg) < 1e-4
        one = (await api.client.get("/api/fleet/102", headers=api.auth("observer"))).json()
        assert one["name"] == "drone-b" and one["connected"] is True

        url = api.url.replace("http://", "ws://") + "/ws?topics=telemetry"
        async with websockets.connect(url) as ws:
            await ws.send(json.dumps({"token": api.tokens["observer"]}))
            await ws.recv()  # hello
            snapshot = json.loads(await ws.recv())
            assert {"101", "102"} <= set(snapshot["vehicles"])
            seen: set[int] = set()
            async with asyncio.timeout(20):
                while seen != {101, 102}:
                    event = json.loads(await ws.recv())
                    if event.get("topic") == "telemetry":
                        seen.add(event["data"]["drone_id"])

        on = await api.client.post("/api/fleet/101/spotlight", json={"on": True},
                                   headers=api.auth("pilot"))
        assert on.status_code == 200, on.text
        assert a.vehicle.payload.spotlight_on is True
        assert b.vehicle.payload.spotlight_on is False  # the other system 1 was not told
        said = await api.client.post("/api/fleet/102/loudspeaker", json={"clip_id": 7},
                                     headers=api.auth("pilot"))
        assert said.status_code == 200, said.text
        assert [p.clip_id for p in b.vehicle.payload.played] == [7]
        assert a.vehicle.payload.played == []


async def test_a_drone_registered_while_serving_is_taken_and_a_retired_one_dropped(
    tmp_path: Path,
) -> None:
    async with serve(tmp_path, sims=2, registered=1) as api:
        a, b = api.sims

        async def trust() -> dict[str, Any]:
            got = await api.client.get("/api/fleet/link-trust", headers=api.auth("admin"))
            return got.json()  # type: ignore[no-any-return]

        async def stranger_held() -> bool:
            held = (await trust())["quarantined"]
            return any(q["system_id"] == 1 for q in held)  # identity-rename: keep

        await eventually(stranger_held, what="the unregistered system 1 in quarantine")
        fleet = await api.fleet()
        assert list(fleet) == [101]  # the stranger is not on the fleet

        new = _drone(202, "late", b.address, (b.vehicle.latitude_deg, b.vehicle.longitude_deg))
        made = await api.client.post("/api/fleet", json=new.model_dump(),
                                     headers=api.auth("admin"))
        assert made.status_code == 201, made.text

        async def late_live() -> bool:
            return bool((await api.fleet()).get(202, {}).get("connected"))

        await eventually(late_live, what="the drone registered while serving")
        said = await api.client.post("/api/fleet/202/loudspeaker", json={"clip_id": 3},
                                     headers=api.auth("pilot"))
        assert said.status_code == 200, said.text
        assert [p.clip_id for p in b.vehicle.payload.played] == [3]
        assert a.vehicle.payload.played == []

        twin = _drone(203, "twin", b.address, (0.0, 0.0))  # the same link and system id
        taken = await api.client.post("/api/fleet", json=twin.model_dump(),
                                      headers=api.auth("admin"))
        assert taken.status_code == 409
        assert taken.json()["code"] == "fleet.wire_identity_taken"

        big = _drone(70_000, "far", "", (0.0, 0.0)).model_copy(update={"mavlink_system_id": None})
        refused_id = await api.client.post("/api/fleet", json=big.model_dump(),
                                           headers=api.auth("admin"))
        assert refused_id.status_code == 422
        assert refused_id.json()["code"] == "fleet.no_system_id"
        assert refused_id.json()["field"] == "mavlink_system_id"

        retired = await api.client.patch("/api/fleet/202", json={"status": "retired"},
                                         headers=api.auth("admin"))
        assert retired.status_code == 200, retired.text
        assert [x["drone_id"] for x in (await trust())["bindings"]] == [101]
        refused = await api.client.post("/api/fleet/202/loudspeaker", json={"clip_id": 4},
                                        headers=api.auth("pilot"))
        assert refused.status_code >= 400
        assert [p.clip_id for p in b.vehicle.payload.played] == [3]
