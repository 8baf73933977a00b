"""API throughput: requests per second of the fleet view (GET /api/fleet) with 50 vehicles live.

Starts 50 built-in simulators in one process (one event loop, each on its own TCP port on
127.0.0.1), a Jinghang server in this process with all 50 links and registered vehicles
(its fleet decodes every vehicle's telemetry while it serves), waits until every vehicle
reports, then a load generator in a third process signs in and keeps ``--concurrency``
requests in flight for ``--seconds``. Prints requests per second, latency percentiles and the
response size. ``--same-process`` runs the simulators on the server's own event loop instead
(a harsher figure: the server then also pays for the physics and the simulators' MAVLink).

    python3 bench/bench_api.py [--vehicles 50] [--seconds 10] [--concurrency 8]
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
from pathlib import Path

import httpx

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
ROOT = str(Path(__file__).resolve().parent.parent)


async def load(url: str, seconds: float, concurrency: int) -> dict[str, float]:
    """The load generator (runs in its own process)."""
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        token = (
            await client.post(
                "/api/auth/token", data={"username": "observer", "password": PASSWORD}
            )
        ).json()
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        first = await client.get("/api/fleet", headers=headers)
        first.raise_for_status()
        latencies: list[float] = []
        stop_at = time.perf_counter() + seconds

        async def worker() -> None:
            while time.perf_counter() < stop_at:
                t0 = time.perf_counter()
                response = await client.get("/api/fleet", headers=headers)
                response.raise_for_status()
                latencies.append(time.perf_counter() - t0)

        started = time.perf_counter()
        async with asyncio.TaskGroup() as tasks:
            for _ in range(concurrency):
                tasks.create_task(worker())
        elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "requests": len(latencies),
        "rps": len(latencies) / elapsed,
        "p50_ms": 1000 * statistics.median(latencies),
        "p95_ms": 1000 * latencies[int(0.95 * (len(latencies) - 1))],
        "bytes": len(first.content),
        "vehicles": len(first.json()),
    }


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
        print(json.dumps([[s.system_id, s.address, list(s.home)] for s in sims]), flush=True)
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
        return [(s.system_id, s.address, list(s.home)) for s in sims]
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
    return [(int(a), str(b), list(c)) for a, b, c in json.loads(line)]


async def main(args: argparse.Namespace) -> None:
    root = ROOT
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            database_url=f"sqlite:///{tmp}/bench.db",
            secret_key="bench-secret-0123456789-0123456789-abcdef",
        )
        async with AsyncExitStack() as stack:
            sims = await start_simulators(stack, args.vehicles, args.same_process, root)
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
            for system_id, _, home in sims:
                register.ensure_vehicle(
                    services,
                    VehicleCreate(
                        system_id=system_id,
                        name=f"drone-{system_id}",
                        base_latitude_deg=home[0],
                        base_longitude_deg=home[1],
                    ),
                )
            url = await stack.enter_async_context(serving(create_app(settings, services)))
            fleet = services.fleet
            for _ in range(600):
                if len(fleet.vehicles) >= args.vehicles:
                    break
                await asyncio.sleep(0.1)
            where = "the server's process" if args.same_process else "their own process"
            print(
                f"{len(fleet.vehicles)} simulated vehicles live (simulators in {where}); "
                f"loading {url}/api/fleet with {args.concurrency} concurrent requests "
                f"for {args.seconds} s"
            )
            proc = await asyncio.create_subprocess_exec(
                sys.executable,
                __file__,
                "--client",
                url,
                "--seconds",
                str(args.seconds),
                "--concurrency",
                str(args.concurrency),
                stdout=subprocess.PIPE,
                env={**os.environ, "PYTHONPATH": root},
            )
            idle_cpu_s = time.process_time()
            await asyncio.sleep(IDLE_SAMPLE_S)
            idle_share = (time.process_time() - idle_cpu_s) / IDLE_SAMPLE_S
            cpu_before_s = time.process_time()
            out, _ = await proc.communicate()
            cpu_s = time.process_time() - cpu_before_s
            result = json.loads(out)
            print(
                f"GET /api/fleet with {result['vehicles']} vehicles live "
                f"({result['bytes']} bytes): {result['rps']:.0f} requests/s, "
                f"p50 {result['p50_ms']:.1f} ms, p95 {result['p95_ms']:.1f} ms "
                f"({result['requests']} requests)"
            )
            busy_s = max(0.0, cpu_s - idle_share * args.seconds)
            print(
                f"server process CPU: {100 * idle_share:.0f}% of a core idle (the fleet's "
                f"telemetry), {1000 * busy_s / max(1, result['requests']):.2f} ms per request "
                "on top"
            )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vehicles", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument(
        "--same-process", action="store_true", help="run the simulators on the server's event loop"
    )
    parser.add_argument("--client", help=argparse.SUPPRESS)
    parser.add_argument("--simulators", type=int, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.simulators:
        asyncio.run(run_simulators(arguments.simulators))
    elif arguments.client:
        figures = asyncio.run(load(arguments.client, arguments.seconds, arguments.concurrency))
        print(json.dumps(figures))
    else:
        asyncio.run(main(arguments))
