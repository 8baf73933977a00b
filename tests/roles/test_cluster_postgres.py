"""Two API nodes sharing one PostgreSQL, two link workers, a three-node NATS cluster: each
role connected to a different NATS node, every role a real process.

A pilot's commands through either API node reach the simulated drone and are audited and
recorded once each in the shared store (not once per node); the drone's telemetry reaches the
WebSocket of the node on the third NATS server; kill -9 of the holding worker hands the drone
to the other within 5 s and commands go on.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from itertools import count
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from jinghang.simulator.server import SimulatorServer
from jinghang.store.engine import normalise_url
from tests.roles.conftest import nats_binary
from tests.roles.deployment import Deployment, Leases, signed_in, telemetry_on_ws, until
from tests.roles.natscluster import start_cluster

pytestmark = pytest.mark.postgres

HOME = (37.5125, 122.1199, 10.0, 0.0)
DRONE = 1
_NAMES = count()


@pytest.fixture
def shared_database(postgres_url: str) -> Iterator[str]:
    """A fresh, empty database on the session's PostgreSQL (the first API node migrates it)."""
    name = f"jh_roles_{os.getpid()}_{next(_NAMES)}"
    admin = sa.create_engine(normalise_url(postgres_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield postgres_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn, contextlib.suppress(Exception):
            conn.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


def _count(database_url: str, sql: str) -> int:
    engine = sa.create_engine(normalise_url(database_url))
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.text(sql)).scalar_one())
    finally:
        engine.dispose()


async def test_two_api_nodes_on_postgresql_and_a_nats_cluster(
        tmp_path: Path, shared_database: str) -> None:
    nodes = await start_cluster(nats_binary(), tmp_path / "nats")
    deployment = Deployment(tmp_path, nodes[0].url, shared_database,
                            common={"nats_replicas": 3})
    vehicles = [{"drone_id": DRONE, "name": "Weihai-1", "base_latitude_deg": HOME[0],
                 "base_longitude_deg": HOME[1]}]
    try:
        async with SimulatorServer(home=HOME, speedup=2.0, tcp_port=0) as sim, \
                Leases(nodes[1].url) as leases:
            link = f"tcp:127.0.0.1:{sim.tcp_port}"
            _a, url_a = deployment.api_node("api-a", vehicles, nodes[0].url)
            token_a = await signed_in(url_a)  # api-a has migrated the database
            _b, url_b = deployment.api_node("api-b", vehicles, nodes[2].url)
            token_b = await signed_in(url_b)
            deployment.link_worker("link-a", [link], nodes[0].url)
            deployment.link_worker("link-b", [link], nodes[1].url)

            first = await until(lambda: leases.holder(DRONE), 30, "a worker to hold drone 1")
            seen = await telemetry_on_ws(url_b, token_b, 30)
            assert seen["latitude_deg"] == pytest.approx(HOME[0], abs=0.01)

            async with httpx.AsyncClient(base_url=url_a, timeout=30, headers={
                        "Authorization": f"Bearer {token_a}"}) as api_a, \
                    httpx.AsyncClient(base_url=url_b, timeout=30, headers={
                        "Authorization": f"Bearer {token_b}"}) as api_b:
                await until(lambda: _connected(api_b), 30, "api-b to see the drone")
                for api, speed in ((api_a, 4.0), (api_b, 5.0)):
                    answer = await api.post(f"/api/fleet/{DRONE}/speed",
                                            json={"speed_m_s": speed})
                    assert answer.status_code == 200, answer.text

                holder = next(r for r in deployment.roles if r.name == first)
                holder.kill9()
                killed_at = time.monotonic()
                await until(lambda: _other_holder(leases, first), 10, "the other worker")
                assert time.monotonic() - killed_at < 5.0
                answer = await api_b.post(f"/api/fleet/{DRONE}/speed", json={"speed_m_s": 6.0})
                assert answer.status_code == 200, answer.text

                # the NATS server api-b is connected to goes down: the cluster carries on
                assert nodes[2].process is not None
                nodes[2].process.kill()
                nodes[2].process.wait(10)
                answer = await until(lambda: _accepted(api_b, 7.0), 30, "a command via api-b")

            executed = await leases.executed()
            assert len(executed) == len(set(executed)) == 4
            audited = _count(shared_database, "SELECT count(*) FROM audit_entries "
                                              "WHERE action = 'vehicle.speed'")
            recorded = _count(shared_database, "SELECT count(*) FROM vehicle_commands "
                                               "WHERE command = 'set_speed'")
            # each accepted request once (a refusal while reconnecting may be folded into a
            # burst by the audit trail's throttle), each executed command recorded once
            assert 4 <= audited <= 4 + len(refused)
            assert recorded == 4
    except BaseException:
        print(deployment.logs())
        raise
    finally:
        deployment.stop()
        for node in nodes:
            node.stop()


refused: list[int] = []


async def _accepted(api: httpx.AsyncClient, speed_m_s: float) -> bool:
    """One command: True if accepted; a refusal while the node reconnects is a clean 503."""
    answer = await api.post(f"/api/fleet/{DRONE}/speed", json={"speed_m_s": speed_m_s})
    if answer.status_code == 200:
        return True
    assert answer.status_code == 503, answer.text
    assert answer.json()["code"] == "drone.link_unreachable"
    refused.append(answer.status_code)
    return False


async def _connected(api: httpx.AsyncClient) -> bool:
    fleet = (await api.get("/api/fleet")).json()
    return any(v["drone_id"] == DRONE and v["connected"] for v in fleet)


async def _other_holder(leases: Leases, first: str) -> str | None:
    holder = await leases.holder(DRONE)
    return holder if holder not in (None, first) else None
