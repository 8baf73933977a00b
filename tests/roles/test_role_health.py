"""Health of every role across processes: two link workers and an API node on a real
nats-server, two simulated drones over TCP on both workers' links.

- ``/api/health`` on the API node lists both workers (``role link-a``, ``role link-b``) as
  ``running``, with the drones each holds (as the leases say), its links connected, and the
  node's bus connection;
- kill -9 the worker holding drone 1: within a few seconds it is ``silent`` (and listed as
  down), and the other worker's entry holds every drone;
- the console served by the API node (chromium, zh) shows the silent worker as down.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from jinghang.simulator.server import SimulatorServer
from tests.bus.natsserver import NatsServer
from tests.console.browser import chromium_page, log_in
from tests.roles.deployment import PILOT, PILOT_PASSWORD, Deployment, Leases, signed_in, until

HOME = (37.5125, 122.1199, 10.0, 0.0)
DRONES = (1, 2)
SILENT_WITHIN_S = 8.0


async def _health(url: str) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=url, timeout=10) as client:
        return dict((await client.get("/api/health")).json())


def _roles(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["name"].removeprefix("role "): c for c in body["components"]
            if c["name"].startswith("role ")}


async def test_health_lists_every_role_and_a_dead_worker_goes_silent(
        tmp_path: Path, nats_server: NatsServer) -> None:
    deployment = Deployment(tmp_path, nats_server.url, f"sqlite:///{tmp_path / 'jh.db'}")
    try:
        async with SimulatorServer(home=HOME, speedup=2.0, tcp_port=0, system_id=1) as one, \
                SimulatorServer(instance=1, home=HOME, speedup=2.0, tcp_port=0,
                                system_id=2) as two, \
                Leases(nats_server.url) as leases:
            links = [f"tcp:127.0.0.1:{one.tcp_port}", f"tcp:127.0.0.1:{two.tcp_port}"]
            _api, url = deployment.api_node("api-a", [
                {"drone_id": d, "name": f"Weihai-{d}", "base_latitude_deg": HOME[0],
                 "base_longitude_deg": HOME[1]} for d in DRONES])
            deployment.link_worker("link-a", links)
            deployment.link_worker("link-b", links)
            await signed_in(url)

            async def all_held() -> dict[int, str] | None:
                holders = {d: await leases.holder(d) for d in DRONES}
                return holders if all(holders.values()) else None  # type: ignore[return-value]

            holders = await until(all_held, 30, "both drones held")

            async def both_reported() -> dict[str, dict[str, Any]] | None:
                roles = _roles(await _health(url))
                workers = {n: r for n, r in roles.items() if n.startswith("link-")}
                held = sorted(d for r in workers.values() for d in r["drones"])
                ok = (set(workers) == {"link-a", "link-b"} and held == list(DRONES)
                      and all(r["status"] == "running" for r in workers.values()))
                return roles if ok else None

            roles = await until(both_reported, 15, "both workers in /api/health")
            for drone_id, holder in holders.items():
                assert drone_id in roles[holder]["drones"]
            for name in ("link-a", "link-b"):
                worker = roles[name]
                assert worker["role"] == "link" and worker["age_s"] < 3
                assert [link["connected"] for link in worker["links"]] == [True, True]
                assert worker["version"] and worker["started_s"] > 0
            assert roles["api-a"]["role"] == "api" and roles["api-a"]["drones"] == []
            body = await _health(url)
            assert body["bus"]["connected"] is True and body["down"] == []

            dead = holders[1]
            alive = "link-b" if dead == "link-a" else "link-a"
            next(r for r in deployment.roles if r.name == dead).kill9()

            async def silent_and_taken_over() -> dict[str, Any] | None:
                body = await _health(url)
                roles = _roles(body)
                ok = (roles[dead]["status"] == "silent"
                      and roles[alive]["status"] == "running"
                      and roles[alive]["drones"] == list(DRONES))
                return body if ok else None

            body = await until(silent_and_taken_over, SILENT_WITHIN_S,
                               f"{dead} silent and {alive} holding every drone")
            assert f"role {dead}" in body["down"]
            assert {d: await leases.holder(d) for d in DRONES} == {d: alive for d in DRONES}

            async with chromium_page(tmp_path) as (page, log):
                await log_in(page, url, PILOT, PILOT_PASSWORD)
                box = page.locator("#health-state")
                await box.wait_for(state="visible", timeout=30_000)
                assert f"节点 {dead}" in await box.inner_text()
                assert alive not in await box.inner_text()
                assert "无心跳" in (await box.get_attribute("title") or "")
                assert not log.errors and not log.outside, (log.errors, log.outside)
    except BaseException:
        print(deployment.logs())
        raise
    finally:
        deployment.stop()
