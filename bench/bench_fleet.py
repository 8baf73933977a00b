"""The fleet bench: how many vehicles one core of the flight core keeps up with, and at what lag.

    python bench/bench_fleet.py                       # 250, 500, 1000, 2000 vehicles, 10 s each
    python bench/bench_fleet.py --system-ids one      # every drone system 1, ids per link
    python bench/bench_fleet.py --sizes 1000 --seconds 20 --profile mavproxy
    python bench/bench_fleet.py --receive-path        # CPU per frame, in-process, no sockets

The platform side is the flight core as ``jinghang serve`` builds it (``Fleet`` with an event
bus, a register of system ids, the ``udp_max_peers`` setting raised to the fleet's size and a
``udpin:`` link), without the API: one bus subscriber drains every event as the API's
WebSocket hub would. With ``--system-ids distinct`` (the default) vehicle i speaks system id
``i % 254 + 1`` and the register holds ids 1-254: past 254 drones the rest repeat ids already
bound elsewhere and are refused as spoofed (the system id space). With ``--system-ids one``
every drone is system 1 and the fleet identifies drones per link (``Fleet(identify=...)``):
the register names each by the UDP port it sends from. Signing is off (the generator does not
sign). This process is pinned to one core (``--cpu``, ``os.sched_setaffinity``); the load
comes from ``bench/_fleet_load.py`` in its own process pinned to another core: one UDP socket
per vehicle, pre-encoded MAVLink 2 at ArduCopter's stream rates once the platform has asked for
them (see that module).

Per size it prints: vehicles tracked (a vehicle whose state was updated during the window),
telemetry lag p50/p95/max (from the generator stamping GLOBAL_POSITION_INT or ATTITUDE as it
sends to the platform's state holding it), the platform's CPU (per cent of its core, ms of CPU
per second per vehicle, and microseconds per frame parsed: the figure that does not depend on
how much of the core the machine gave it), frames dropped (sent but never parsed: kernel
socket drops and bad frames), frames refused by link trust (parsed, never used), and the load
generator's own CPU and achieved rate. It also prints how much of the window the flight core
waited on the run queue for its core while other processes had it (/proc/self/schedstat):
on a shared machine that wait, not the flight core's own work, is most of the lag. It fails
(exit 1, one line on stderr) when nothing was measured.

With ``--receive-path`` it measures instead the receive path alone per size (``bench/
_receive_path.py``: the same fleet and frames, fed to the link without sockets, best of 7
rounds): the CPU per frame that another process on the core changes least.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import percentile, require, run
from jinghang.events import EventBus
from jinghang.flight import Fleet
from jinghang.flight.sanity import Limits
from jinghang.flight.trust import VehicleKey

LOAD = Path(__file__).resolve().parent / "_fleet_load.py"
STAMP_PER_S = 100_000
_STAMPED = frozenset({"GLOBAL_POSITION_INT", "ATTITUDE"})


def _udp_drops(port: int) -> int:
    """The kernel's drop count for the UDP socket bound to ``port`` (0 if not found)."""
    try:
        lines = Path("/proc/net/udp").read_text().splitlines()[1:]
    except OSError:
        return 0
    for line in lines:
        fields = line.split()
        if int(fields[1].split(":")[1], 16) == port:
            return int(fields[-1])
    return 0


def _run_queue_wait_s() -> float:
    """Seconds this process's main thread has waited on a run queue for its core (another
    process had it), from /proc/self/schedstat; 0 where it cannot be read."""
    try:
        return int(Path("/proc/self/schedstat").read_text().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0


async def _drain(bus: EventBus) -> None:
    async with bus.subscribe() as subscription:
        async for _event in subscription:
            pass


async def _one(size: int, args: argparse.Namespace) -> dict[str, Any]:
    bus = EventBus()
    if args.system_ids == "one":
        # per-link system ids: the register names each drone by the port it sends from
        # (as if provisioned with it); every one of them is system 1
        assigned: dict[VehicleKey, int] = {}

        def identify(key: VehicleKey) -> int | None:
            vehicle_id = assigned.get(key)
            if vehicle_id is None and len(assigned) < size:
                vehicle_id = assigned[key] = len(assigned) + 1
            return vehicle_id

        fleet = Fleet(bus, identify=identify, max_udp_peers=size, limits=Limits())
    else:
        register = set(range(1, 255))
        fleet = Fleet(bus, registered=register.__contains__, max_udp_peers=size,
                      limits=Limits())
    epoch = time.monotonic()
    lags_s: list[float] = []
    updated: set[int] = set()
    trusted = 0
    window = False

    def on_update(vehicle: Any, message: Any) -> None:
        nonlocal trusted
        trusted += 1
        if not window:
            return
        updated.add(id(vehicle))
        if message.get_type() in _STAMPED:
            now = int((time.monotonic() - epoch) * STAMP_PER_S)
            lags_s.append(((now - message.time_boot_ms) & 0xFFFFFFFF) / STAMP_PER_S)

    fleet.on_update = on_update
    async with fleet, asyncio.TaskGroup() as tasks:
        drain = tasks.create_task(_drain(bus))
        link = await fleet.connect("udpin:127.0.0.1:0")
        port = int(link.transport.port)  # type: ignore[attr-defined]
        drops0 = _udp_drops(port)
        total_s = args.warmup + args.seconds
        command = [sys.executable, str(LOAD), "--target", f"127.0.0.1:{port}",
                   "--vehicles", str(size), "--seconds", str(total_s), "--profile",
                   args.profile, "--system-ids", args.system_ids, "--epoch", repr(epoch)]
        if args.load_cpu is not None:
            command += ["--cpu", str(args.load_cpu)]
        proc = await asyncio.create_subprocess_exec(*command, stdout=asyncio.subprocess.PIPE)
        try:
            await asyncio.sleep(args.warmup)
            window = True
            cpu0, wall0, wait0 = time.process_time(), time.perf_counter(), _run_queue_wait_s()
            parsed0 = link.channel.counters.received
            await asyncio.sleep(args.seconds)
            cpu_s, wall_s = time.process_time() - cpu0, time.perf_counter() - wall0
            wait_s = _run_queue_wait_s() - wait0
            parsed = link.channel.counters.received - parsed0
            window = False
            lost = sum(v.state.link_lost for v in fleet.vehicles.values())
            out, _ = await proc.communicate()
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
        await asyncio.sleep(0.5)  # what is still queued on the socket
        counters = link.channel.counters
        drops = _udp_drops(port) - drops0
        drain.cancel()
    lines = out.decode().strip().splitlines()
    require(lines, f"the load generator for {size} vehicles printed nothing")
    load = json.loads(lines[-1])
    require(load["frames"], f"the load generator sent no frame for {size} vehicles")
    require(counters.received, f"the platform parsed no frame from {size} vehicles")
    require(updated, f"no vehicle's state was updated in {args.seconds:g} s ({size} vehicles)")
    require(lags_s, f"no stamped frame reached a vehicle's state ({size} vehicles)")
    return {
        "size": size,
        "tracked": len(updated),
        "link_lost": lost,
        "lag_p50_ms": 1000 * percentile(lags_s, 50),
        "lag_p95_ms": 1000 * percentile(lags_s, 95),
        "lag_max_ms": 1000 * max(lags_s),
        "samples": len(lags_s),
        "cpu_pct": 100 * cpu_s / wall_s,
        "cpu_ms_per_s_per_vehicle": 1000 * cpu_s / wall_s / size,
        "run_queue_wait_pct": 100 * wait_s / wall_s,
        "parsed_per_s": parsed / wall_s,
        "cpu_us_per_frame": 1e6 * cpu_s / parsed if parsed else float("nan"),
        "received": counters.received,
        "dropped": load["frames"] - counters.received,
        "kernel_drops": drops,
        "bad": counters.bad,
        "refused": counters.received - trusted,
        "load": load,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="250,500,1000,2000")
    parser.add_argument("--seconds", type=float, default=10.0, help="measured window per size")
    parser.add_argument("--warmup", type=float, default=5.0,
                        help="seconds before the window (vehicles appear, streams requested)")
    parser.add_argument("--profile", choices=["platform", "mavproxy"], default="platform")
    parser.add_argument("--system-ids", choices=["distinct", "one"], default="distinct")
    cores = sorted(os.sched_getaffinity(0))
    parser.add_argument("--cpu", type=int, default=cores[-1], help="the platform's core")
    parser.add_argument("--load-cpu", type=int,
                        default=cores[0] if len(cores) > 1 else None,
                        help="the load generator's core")
    parser.add_argument("--receive-path", action="store_true",
                        help="CPU per frame of the receive path alone, in-process, no sockets")
    args = parser.parse_args()
    os.sched_setaffinity(0, {args.cpu})
    if args.receive_path:
        from bench import _receive_path

        for size in (int(s) for s in args.sizes.split(",")):
            r = _receive_path.measure(size, args.profile)
            require(r["vehicles"] == size, f"{r['vehicles']} of {size} vehicles appeared")
            print(f"receive path {size:5d} vehicles, profile {args.profile}: "
                  f"{r['us_per_frame']:.2f} us of CPU per frame (best of 7 rounds of "
                  f"{r['frames']} frames, CPU {args.cpu})")
        return
    print(f"fleet bench: flight core pinned to CPU {args.cpu}, load generator on CPU "
          f"{args.load_cpu}; UDP, one source port per vehicle; profile {args.profile}; "
          f"system ids {args.system_ids}; {args.seconds:g} s window after {args.warmup:g} s")
    target_met = None
    for size in (int(s) for s in args.sizes.split(",")):
        r = asyncio.run(_one(size, args))
        load = r["load"]
        print(
            f"fleet {size:5d}: tracked {r['tracked']:5d}, lag p50 {r['lag_p50_ms']:6.1f} ms "
            f"p95 {r['lag_p95_ms']:6.1f} ms max {r['lag_max_ms']:7.1f} ms "
            f"({r['samples']} samples), CPU {r['cpu_pct']:5.1f}% of a core = "
            f"{r['cpu_ms_per_s_per_vehicle']:.3f} ms/s per vehicle = "
            f"{r['cpu_us_per_frame']:.1f} us per frame ({r['parsed_per_s']:.0f} frames/s "
            f"parsed), dropped {r['dropped']} "
            f"(kernel {r['kernel_drops']}, bad {r['bad']}), refused {r['refused']}, "
            f"link lost {r['link_lost']}; waited for its core {r['run_queue_wait_pct']:.0f}% "
            f"of the window"
        )
        print(
            f"      load: {load['frames_per_s']:.0f} frames/s of {load['nominal_frames_per_s']:.0f}"
            f" asked in {load['datagrams']} datagrams, {load['cpu_pct']:.1f}% of a core, "
            f"{load['late_ticks']} late ticks (worst {load['worst_late_ms']} ms), "
            f"{load['send_errors']} send errors"
        )
        if size == 1000:
            target_met = r["lag_p95_ms"] < 100 and r["tracked"] == 1000
    if target_met is not None:
        print(f"target (1,000 vehicles tracked, lag p95 < 100 ms on one core): "
              f"{'met' if target_met else 'NOT met'}")


if __name__ == "__main__":
    run(main)
