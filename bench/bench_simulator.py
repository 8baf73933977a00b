"""Benchmark of the built-in simulator: physics steps per second on one core, and how many
vehicles one core carries at speedup 1 and 10 while every vehicle streams its default
telemetry (the built-in simulator's own default rates; nobody asks for others) to a connected
client (drained by a separate process, so only the simulator's own cost is measured). Fails
(exit 1, one line on stderr) when no telemetry reached the client.

    python bench/bench_simulator.py            # prints the figures
    python bench/bench_simulator.py --quick    # fewer fleet sizes, shorter runs

A fleet "keeps up" when simulated time advances at >= 95 % of speedup x wall time and the
simulator process uses under 90 % of one core.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench._common import require, run
from jinghang.simulator import SimFleet
from jinghang.simulator.modes import Mode
from jinghang.simulator.vehicle import SimVehicle

HOME = (37.5125, 122.1199, 10.0, 0.0)

DRAIN = r"""
import selectors, socket, sys
ports = [int(p) for p in sys.argv[1].split(",")]
sel = selectors.DefaultSelector()
for p in ports:
    s = socket.create_connection(("127.0.0.1", p)); s.setblocking(False)
    sel.register(s, selectors.EVENT_READ)
sel.register(sys.stdin, selectors.EVENT_READ)
print("ready", flush=True)
total = 0
while True:
    for key, _ in sel.select(0.5):
        if key.fileobj is sys.stdin:
            if not sys.stdin.readline():
                sys.exit(0)
            print(total, flush=True)
            total = 0
            continue
        try:
            data = key.fileobj.recv(65536)
        except BlockingIOError:
            continue
        if not data:
            sys.exit(0)
        total += len(data)
"""


def bench_steps(seconds: float) -> float:
    """Steps per second of one vehicle flying circles (autopilot, guidance and physics)."""
    v = SimVehicle(HOME)
    for _ in range(60):
        v.step(0.05)
    v.set_mode(Mode.GUIDED)
    v.arm()
    v.takeoff(30)
    for _ in range(400):
        v.step(0.05)
    v.params.set("CIRCLE_RADIUS", 5000)
    v.set_mode(Mode.CIRCLE)
    steps = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        for _ in range(1000):
            v.step(0.05)
        steps += 1000
    require(v.armed and v.mode == Mode.CIRCLE,
            f"the vehicle stopped circling (armed {v.armed}, mode {v.mode})")
    return steps / (time.perf_counter() - start)


def _fly_circles(fleet: SimFleet) -> None:
    """Put every vehicle in the air, circling, so physics and autopilot do real work."""
    for server in fleet.servers:
        v = server.vehicle
        for _ in range(60):
            v.step(0.05)
        v.set_mode(Mode.GUIDED)
        v.arm()
        v.takeoff(30)
        for _ in range(400):
            v.step(0.05)
        v.params.set("CIRCLE_RADIUS", 5000)
        v.set_mode(Mode.CIRCLE)


def _start_drain(ports: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", DRAIN, ports],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


async def _fleet_run(count: int, speedup: float, seconds: float) -> tuple[float, float, int]:
    async with SimFleet(count, HOME, speedup, ephemeral_ports=True) as fleet:
        _fly_circles(fleet)
        ports = ",".join(str(s.tcp_port) for s in fleet.servers)
        drain = _start_drain(ports)
        assert drain.stdout is not None and drain.stdin is not None
        await asyncio.to_thread(drain.stdout.readline)
        await asyncio.sleep(1.0)
        drain.stdin.write("reset\n")
        drain.stdin.flush()
        require(await asyncio.to_thread(drain.stdout.readline),
                "the telemetry drain process exited (could not connect?)")
        sim0 = [s.vehicle.time_s for s in fleet.servers]
        wall0, cpu0 = time.monotonic(), time.process_time()
        await asyncio.sleep(seconds)
        wall = time.monotonic() - wall0
        cpu = time.process_time() - cpu0
        advanced = min(s.vehicle.time_s - t0 for s, t0 in zip(fleet.servers, sim0, strict=True))
        drain.stdin.write("total\n")
        drain.stdin.flush()
        total = await asyncio.to_thread(drain.stdout.readline)
        drain.stdin.close()
    drain.wait(timeout=10)
    require(total.strip(), "the telemetry drain process exited before reporting")
    received = int(total)
    require(received > 0, f"no telemetry byte reached the client from {count} vehicles")
    require(advanced > 0, f"simulated time did not advance for {count} vehicles")
    return advanced / (speedup * wall), cpu / wall, received


def bench_fleet(speedup: float, sizes: list[int], seconds: float) -> int:
    best = 0
    for count in sizes:
        pace, cpu_share, received = asyncio.run(_fleet_run(count, speedup, seconds))
        ok = pace >= 0.95 and cpu_share < 0.90
        print(
            f"  speedup {speedup:>4g}  vehicles {count:>4}  sim pace {pace:5.2f}  "
            f"cpu {cpu_share * 100:5.1f} %  per vehicle {cpu_share * 1000 / count:6.2f} ms/s  "
            f"wire {received / seconds / 1e3:8.1f} kB/s  {'keeps up' if ok else 'falls behind'}"
        )
        if ok:
            best = count
        else:
            break
    return best


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    seconds = 3.0 if args.quick else 5.0
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cpus")
    from jinghang.mavlink.channel import mavlink
    from jinghang.simulator.telemetry import DEFAULT_RATES_HZ

    names = {getattr(mavlink, n): n.removeprefix("MAVLINK_MSG_ID_") for n in dir(mavlink)
             if n.startswith("MAVLINK_MSG_ID_")}
    print("each vehicle streams the built-in simulator's own default rates to a passive client "
          "(nothing requested): " + ", ".join(f"{names[i]} {hz:g}" for i, hz in
                                              DEFAULT_RATES_HZ.items()) + " Hz")
    rate = bench_steps(1.0 if args.quick else 3.0)
    print(f"physics+autopilot steps per second (one vehicle, one core): {rate:,.0f}")
    sizes = [10, 25, 50, 100, 150, 200, 250] if not args.quick else [10, 50, 100]
    for speedup in (1.0, 10.0):
        best = bench_fleet(speedup, sizes, seconds)
        print(f"largest fleet one core keeps up with at speedup {speedup:g}: {best} vehicles")


if __name__ == "__main__":
    run(main)
