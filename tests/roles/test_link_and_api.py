"""Roles across processes: two link workers and an API node on a real nats-server, the
built-in simulator over TCP, every role a real ``python3 -m jinghang serve --role`` process.

- telemetry of the simulated drone reaches the API node's WebSocket (drone -> link worker ->
  NATS -> API node -> client) and its fleet view;
- a pilot's command through the API node reaches the simulator, is acknowledged, and is
  recorded once, attributed to the pilot;
- one request delivered three times is executed once;
- exactly one worker holds the drone; kill -9 it in flight and the other takes it within 5 s,
  the drone flies on and the next command works; no command was executed twice;
- with no worker left, a command is refused with 503 ``drone.link_unreachable``.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from jinghang.bus.nats_bus import NatsBus
from jinghang.bus.subjects import PREFIX, Envelope
from jinghang.events import EventBus
from jinghang.flight import Fleet
from jinghang.simulator.server import SimulatorServer
from tests.bus.natsserver import NatsServer
from tests.flight.simulated import ready_to_arm
from tests.roles.deployment import Deployment, Leases, signed_in, telemetry_on_ws, until

HOME = (37.5125, 122.1199, 10.0, 0.0)
DRONE = 1
FAILOVER_LIMIT_S = 5.0


async def test_link_workers_and_an_api_node_over_nats(tmp_path: Path,
                                                      nats_server: NatsServer) -> None:
    deployment = Deployment(tmp_path, nats_server.url, f"sqlite:///{tmp_path / 'jh.db'}")
    try:
        async with SimulatorServer(home=HOME, speedup=2.0, tcp_port=0) as sim, \
                Fleet(EventBus()) as test_gcs, Leases(nats_server.url) as leases:
            link = f"tcp:127.0.0.1:{sim.tcp_port}"
            # the test flies the drone itself (a second ground station): a flight in progress
            await test_gcs.connect(link)
            vehicle = await test_gcs.wait_vehicle(timeout_s=30)
            await vehicle.wait_until(ready_to_arm, timeout_s=60)

            _api, url = deployment.api_node("api-a", [{
                "drone_id": DRONE, "name": "Weihai-1", "base_latitude_deg": HOME[0],
                "base_longitude_deg": HOME[1]}])
            deployment.link_worker("link-a", [link])
            deployment.link_worker("link-b", [link])
            token = await signed_in(url)
            auth = {"Authorization": f"Bearer {token}"}

            first = await until(lambda: leases.holder(DRONE), 30, "a worker to hold drone 1")
            assert first in ("link-a", "link-b")
            seen = await telemetry_on_ws(url, token, 30)
            assert seen["latitude_deg"] == pytest.approx(HOME[0], abs=0.01)

            await vehicle.takeoff(20.0, actor="test")
            await vehicle.wait_until(lambda s: s.relative_altitude_m > 15, timeout_s=60)

            async with httpx.AsyncClient(base_url=url, headers=auth, timeout=30) as api:
                fleet = (await api.get("/api/fleet")).json()
                drone = next(v for v in fleet if v["drone_id"] == DRONE)
                assert drone["connected"] and drone["live"]["armed"] is True

                answer = await api.post(f"/api/fleet/{DRONE}/speed", json={"speed_m_s": 4.0})
                assert answer.status_code == 200, answer.text
                assert answer.json()["result"] == "accepted"
                control = await until(lambda: _last_command(api), 10, "the command's record")
                assert control["command"] == "set_speed"
                assert control["actor"] == "pilot.one"

                # one request delivered three times (a resend after an outage) runs once
                replies = await _send_thrice(nats_server.url)
                assert len(replies) == 1 and replies[0]["outcome"] == "accepted", replies

                # the holder dies in flight: the other worker takes the drone
                holder = next(r for r in deployment.roles if r.name == first)
                holder.kill9()
                killed_at = time.monotonic()
                other = await until(
                    lambda: _other_holder(leases, first), 10, "the other worker to take over")
                failover_s = time.monotonic() - killed_at
                assert failover_s < FAILOVER_LIMIT_S, failover_s
                print(f"link worker failover: {failover_s:.2f} s ({first} -> {other})")

                here = vehicle.state
                answer = await api.post(f"/api/fleet/{DRONE}/goto", json={
                    "latitude_deg": here.latitude_deg + 0.001,
                    "longitude_deg": here.longitude_deg, "relative_altitude_m": 25.0})
                assert answer.status_code == 200, answer.text
                await vehicle.wait_until(lambda s: s.mode == "GUIDED", timeout_s=10)
                assert vehicle.state.armed and vehicle.state.relative_altitude_m > 10
                answer = await api.post(f"/api/fleet/{DRONE}/speed", json={"speed_m_s": 6.0})
                assert answer.status_code == 200, answer.text

                executed = await leases.executed()
                assert len(executed) == len(set(executed)) == 4

                # no worker left: the command is refused clearly
                survivor = next(r for r in deployment.roles if r.name == other)
                survivor.kill9()
                await until(lambda: _no_holder(leases), 10, "the lease to lapse")
                answer = await api.post(f"/api/fleet/{DRONE}/speed", json={"speed_m_s": 5.0})
                assert answer.status_code == 503, answer.text
                assert answer.headers["content-type"].startswith("application/problem+json")
                assert answer.json()["code"] == "drone.link_unreachable"
    except BaseException:
        print(deployment.logs())
        raise
    finally:
        deployment.stop()


async def _last_command(api: httpx.AsyncClient) -> dict[str, Any] | None:
    last = (await api.get(f"/api/fleet/{DRONE}/control")).json()["last_command"]
    return dict(last) if last else None


async def _other_holder(leases: Leases, first: str) -> str | None:
    holder = await leases.holder(DRONE)
    return holder if holder not in (None, first) else None


async def _no_holder(leases: Leases) -> bool:
    return await leases.holder(DRONE) is None


async def _send_thrice(nats_url: str) -> list[dict[str, Any]]:
    """Publish one ``command.request`` three times under one request id, as a node resending
    it would; the replies that came back within 5 s."""
    bus = NatsBus(nats_url, node="test-resender", consume=False)
    await bus.start()
    replies: list[dict[str, Any]] = []

    async def on_reply(envelope: Envelope) -> None:
        if envelope.data.get("request_id") == "resent-0001":
            replies.append(envelope.data)

    try:
        await bus.listen(f"{PREFIX}.cmd.*.reply", on_reply)
        request = {"drone_id": DRONE, "command": "set_speed", "actor": "pilot.one",
                   "params": {"speed_m_s": 5.0}, "request_id": "resent-0001"}
        for _ in range(3):
            await bus.publish_acked("command.request", request)
        await asyncio.sleep(5.0)
    finally:
        await bus.close()
    return replies
