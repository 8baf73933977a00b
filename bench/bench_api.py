"""API throughput and server CPU of the fleet view (GET /api/fleet) with 50 vehicles live,
side by side with a minimal FastAPI app returning the same body.

Starts 50 built-in simulators in their own process (one event loop, each on its own TCP port
on 127.0.0.1), a Jinghang server in this process with all 50 links and registered vehicles
(its fleet decodes every vehicle's telemetry while it serves) and waits until every vehicle
reports. Then, in the same process and through the same server function
(:func:`jinghang.api.server.serving`), a minimal FastAPI app whose one route returns the body
of a real fleet response with ``JSONResponse`` (same JSON, same size, no auth, no database).

Each app is measured the same way: a load generator in its own process signs in (Jinghang)
and makes one request, then waits; the server process's idle CPU (the fleet's telemetry) is
sampled for ``IDLE_SAMPLE_S`` while nothing loads it; then the load generator keeps
``--concurrency`` requests in flight for ``--seconds``. Server CPU per request is the process
CPU during the load minus the idle share over the same wall time, divided by the requests.
Prints requests/s, p50/p95 latency and CPU per request for each app, and their ratio.

Exits non-zero with a line saying why when a request failed, when no request was made, or
when not every vehicle was live (in the fleet and in the response).
``--same-process`` runs the simulators on the server's own event loop instead (a harsher
figure: the server then also pays for the physics and the simulators' MAVLink).

    python3 bench/bench_api.py [--vehicles 50] [--seconds 10] [--concurrency 8] [--rounds 1]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.responses import JSONResponse

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from jinghang.api import accounts, register
from jinghang.api.accounts import UserCreate
from jinghang.api.app import create_app
from jinghang.api.register import VehicleCreate
from jinghang.api.security import Role
from jinghang.api.server import serving
from jinghang.api.services import Services
from jinghang.config import Settings
from jinghang.events import EventBus
from jinghang.flight import Fleet
from jinghang.simulator.server import SimulatorServer
from jinghang.store.engine import open_store

PASSWORD = "bench-password-1"
IDLE_SAMPLE_S = 3.0
LIVE_WAIT_S = 60.0
ROOT = str(Path(__file__).resolve().parent.parent)


class BenchFailed(Exception):
    """What the benchmark was to measure did not happen."""


# -- the load generator (its own process) -------------------------------------------------------


async def load(url: str, token: str, seconds: float, concurrency: int) -> dict[str, Any]:
    """Make one request, say "ready", wait for "go" on stdin, then load ``url/api/fleet``."""
    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as client:
        first = await client.get("/api/fleet", headers=headers)
        if first.status_code != 200:
            return {"error": f"first request answered {first.status_code}: {first.text[:200]}"}
        body = first.json()
        print("ready", flush=True)
        await asyncio.to_thread(sys.stdin.readline)
        latencies: list[float] = []
        failures: list[str] = []
        stop_at = time.perf_counter() + seconds

        async def worker() -> None:
            while time.perf_counter() < stop_at:
                t0 = time.perf_counter()
                try:
                    response = await client.get("/api/fleet", headers=headers)
                except httpx.HTTPError as exc:
                    failures.append(f"{type(exc).__name__}: {exc}")
                    continue
                if response.status_code != 200:
                    failures.append(f"status {response.status_code}")
                    continue
                latencies.append(time.perf_counter() - t0)

        started = time.perf_counter()
        async with asyncio.TaskGroup() as tasks:
            for _ in range(concurrency):
                tasks.create_task(worker())
        elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "requests": len(latencies),
        "failed": len(failures),
        "first_failure": failures[0] if failures else "",
        "rps": len(latencies) / elapsed,
        "p50_ms": 1000 * statistics.median(latencies) if latencies else 0.0,
        "p95_ms": 1000 * latencies[int(0.95 * (len(latencies) - 1))] if latencies else 0.0,
        "bytes": len(first.content),
        "vehicles": len(body),
        "connected": sum(1 for v in body if v.get("connected") and v.get("live")),
    }


# -- the simulators (their own process unless --same-process) -----------------------------------


async def run_simulators(count: int) -> None:
    """The simulator process: start ``count`` simulators, print their addresses, run until
    stdin closes."""
    async with AsyncExitStack() as stack:
        sims = [
            await stack.enter_async_context(
                SimulatorServer(instance=i, home=home_of(i), system_id=i + 1, tcp_port=0)
            )
            for i in range(count)
        ]
        print(json.dumps([[s.system_id, s.address, list(s.home)]  # identity-rename: keep
                          for s in sims]), flush=True)
        await asyncio.to_thread(sys.stdin.read)


def home_of(i: int) -> tuple[float, float, float, float]:
    return (37.45 + 0.002 * (i // 10), 122.05 + 0.003 * (i % 10), 5.0, 0.0)


async def start_simulators(
    stack: AsyncExitStack, count: int, same_process: bool, root: str
) -> list[tuple[int, str, list[float]]]:
    if same_process:
        sims = [
            await stack.enter_async_context(
                SimulatorServer(instance=i, home=home_of(i), system_id=i + 1, tcp_port=0)
            )
            for i in range(count)
        ]
        return [(s.system_id, s.address, list(s.home))  # identity-rename: keep
                for s in sims]
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        __file__,
        "--simulators",
        str(count),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": root},
    )
    assert proc.stdout is not None and proc.stdin is not None
    stdin = proc.stdin

    async def stop() -> None:
        stdin.close()
        await proc.wait()

    stack.push_async_callback(stop)
    line = await proc.stdout.readline()
    if not line:
        raise BenchFailed("the simulator process exited before printing its addresses")
    return [(int(a), str(b), list(c)) for a, b, c in json.loads(line)]


# -- measuring one app --------------------------------------------------------------------------


@dataclass
class Figures:
    name: str
    requests: int
    rps: float
    p50_ms: float
    p95_ms: float
    idle_share: float
    cpu_ms_per_request: float
    size_bytes: int

    def line(self) -> str:
        return (
            f"{self.name:<14} {self.rps:7.0f} requests/s  p50 {self.p50_ms:6.1f} ms  "
            f"p95 {self.p95_ms:6.1f} ms  server CPU {self.cpu_ms_per_request:5.2f} ms/request  "
            f"(idle {100 * self.idle_share:3.0f}% of a core, {self.requests} requests, "
            f"{self.size_bytes} bytes)"
        )


async def measure(
    name: str, url: str, token: str, args: argparse.Namespace, vehicles: int
) -> Figures:
    """Load ``url`` from a load-generator process; the idle sample is taken before the load."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        __file__,
        "--client",
        url,
        "--token",
        token,
        "--seconds",
        str(args.seconds),
        "--concurrency",
        str(args.concurrency),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": ROOT},
    )
    assert proc.stdout is not None and proc.stdin is not None
    ready = await proc.stdout.readline()
    if ready.strip() != b"ready":
        out, _ = await proc.communicate()
        raise BenchFailed(f"{name}: the load generator did not start: {(ready + out)[:300]!r}")
    idle_cpu_s, idle_wall_s = time.process_time(), time.perf_counter()
    await asyncio.sleep(IDLE_SAMPLE_S)
    idle_share = (time.process_time() - idle_cpu_s) / (time.perf_counter() - idle_wall_s)
    cpu_before_s, wall_before_s = time.process_time(), time.perf_counter()
    out, _ = await proc.communicate(b"go\n")
    cpu_s, wall_s = time.process_time() - cpu_before_s, time.perf_counter() - wall_before_s
    result = json.loads(out)
    if "error" in result:
        raise BenchFailed(f"{name}: {result['error']}")
    if result["failed"]:
        raise BenchFailed(
            f"{name}: {result['failed']} of {result['failed'] + result['requests']} requests "
            f"failed (first: {result['first_failure']})"
        )
    if not result["requests"]:
        raise BenchFailed(f"{name}: no request completed in {args.seconds} s")
    if result["connected"] < vehicles:
        raise BenchFailed(
            f"{name}: the response shows {result['connected']} of {vehicles} vehicles live"
        )
    busy_s = cpu_s - idle_share * wall_s
    return Figures(
        name=name,
        requests=int(result["requests"]),
        rps=float(result["rps"]),
        p50_ms=float(result["p50_ms"]),
        p95_ms=float(result["p95_ms"]),
        idle_share=idle_share,
        cpu_ms_per_request=1000 * busy_s / result["requests"],
        size_bytes=int(result["bytes"]),
    )


def minimal_app(body: Any) -> FastAPI:
    """The baseline: FastAPI returning ``body`` from one route, with nothing else."""
    app = FastAPI()

    @app.get("/api/fleet")
    async def fleet() -> JSONResponse:
        return JSONResponse(body)

    return app


async def wait_live(services: Services, vehicles: int) -> None:
    fleet = services.fleet
    assert fleet is not None
    deadline = time.monotonic() + LIVE_WAIT_S
    while len(fleet.vehicles) < vehicles and time.monotonic() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.1)
    if len(fleet.vehicles) < vehicles:
        raise BenchFailed(
            f"only {len(fleet.vehicles)} of {vehicles} vehicles were live after {LIVE_WAIT_S:.0f} s"
        )


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            database_url=f"sqlite:///{tmp}/bench.db",
            secret_key="bench-secret-0123456789-0123456789-abcdef",
        )
        async with AsyncExitStack() as stack:
            sims = await start_simulators(stack, args.vehicles, args.same_process, ROOT)
            settings.links = [address for _, address, _ in sims]
            bus = EventBus()
            services = Services(
                settings=settings,
                bus=bus,
                store=open_store(settings.database_url),
                fleet=Fleet(bus),
            )
            accounts.ensure_user(
                services, UserCreate(username="observer", password=PASSWORD, role=Role.OBSERVER)
            )
            for drone_id, _, home in sims:
                register.ensure_vehicle(
                    services,
                    VehicleCreate(
                        drone_id=drone_id,
                        name=f"drone-{drone_id}",
                        base_latitude_deg=home[0],
                        base_longitude_deg=home[1],
                    ),
                )
            url = await stack.enter_async_context(serving(create_app(settings, services)))
            await wait_live(services, args.vehicles)
            async with httpx.AsyncClient(base_url=url, timeout=30) as client:
                signed_in = await client.post(
                    "/api/auth/token", data={"username": "observer", "password": PASSWORD}
                )
                signed_in.raise_for_status()
                token = str(signed_in.json()["access_token"])
                first = await client.get(
                    "/api/fleet", headers={"Authorization": f"Bearer {token}"}
                )
                first.raise_for_status()
            body = first.json()
            baseline_url = await stack.enter_async_context(serving(minimal_app(body)))
            where = "the server's process" if args.same_process else "their own process"
            print(
                f"{len(services.fleet.vehicles) if services.fleet else 0} simulated vehicles "
                f"live (simulators in {where}); GET /api/fleet ({len(first.content)} bytes), "
                f"{args.concurrency} concurrent requests for {args.seconds} s per run, "
                f"idle CPU sampled for {IDLE_SAMPLE_S:.0f} s before each run",
                flush=True,
            )
            ours: list[Figures] = []
            baseline: list[Figures] = []
            for _ in range(args.rounds):
                ours.append(await measure("jinghang", url, token, args, args.vehicles))
                print(ours[-1].line(), flush=True)
                baseline.append(
                    await measure("minimal app", baseline_url, token, args, args.vehicles)
                )
                print(baseline[-1].line(), flush=True)
            ours_cpu = statistics.median(f.cpu_ms_per_request for f in ours)
            base_cpu = statistics.median(f.cpu_ms_per_request for f in baseline)
            ours_rps = statistics.median(f.rps for f in ours)
            base_rps = statistics.median(f.rps for f in baseline)
            ratio = ours_cpu / base_cpu if base_cpu > 0 else float("inf")
            print(
                f"ratio jinghang / minimal app: server CPU per request {ratio:.2f}x "
                f"({ours_cpu:.2f} / {base_cpu:.2f} ms), requests/s {ours_rps / base_rps:.2f}x "
                f"({ours_rps:.0f} / {base_rps:.0f})"
            )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vehicles", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=1, help="runs of each app, alternating")
    parser.add_argument(
        "--same-process", action="store_true", help="run the simulators on the server's event loop"
    )
    parser.add_argument("--client", help=argparse.SUPPRESS)
    parser.add_argument("--token", help=argparse.SUPPRESS)
    parser.add_argument("--simulators", type=int, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if not arguments.client and not arguments.simulators and arguments.vehicles < 1:
        parser.error("--vehicles must be at least 1: the benchmark measures a live fleet")
    if arguments.simulators:
        asyncio.run(run_simulators(arguments.simulators))
    elif arguments.client:
        figures = asyncio.run(
            load(arguments.client, arguments.token, arguments.seconds, arguments.concurrency)
        )
        print(json.dumps(figures), flush=True)
    else:
        failed = False
        try:
            asyncio.run(main(arguments))
        except* BenchFailed as failures:
            failed = True
            for failure in failures.exceptions:
                print(f"bench_api FAILED: {failure}", file=sys.stderr)
        if failed:
            sys.exit(1)
