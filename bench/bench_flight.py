"""Benchmarks of the flight core; prints figures, and fails (exit 1, one line on stderr) when
nothing was measured.

    python bench/bench_flight.py decode           # messages/s the link layer decodes, one core
    python bench/bench_flight.py upload --items 100 --repeats 3
                                                  # mission upload + download at 0% and 10%
                                                  # loss, in memory and to the simulator
    python bench/bench_flight.py fleet --sizes 10,25,50,100 --seconds 10
                                                  # largest fleet tracked with lag < 100 ms
    python bench/bench_flight.py all

The fleet bench runs the simulated vehicles in a separate process (``jinghang sim``), so the
CPU figures are the platform's alone. ``--rates platform`` (the default) has the platform ask
each vehicle for its own stream rates (``jinghang.flight.streams.DEFAULT_RATES_HZ``, what a
deployed platform does; a real ArduCopter with its SR0_ defaults of 0 sends only HEARTBEAT
until asked); ``--rates simulator`` leaves the built-in simulator at its own defaults
(``jinghang.simulator.telemetry.DEFAULT_RATES_HZ``). Either way the bench also asks for
SYSTEM_TIME at 1 Hz, and prints the rates per vehicle it actually received. Telemetry lag is
the time from the vehicle stamping SYSTEM_TIME (wall clock) to the platform having folded it
into the state.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import NotMeasured, require, run
from jinghang.flight import Fleet
from jinghang.flight.state import VehicleState, apply_message
from jinghang.mavlink.channel import Channel, mavlink
from jinghang.missions.items import Cmd, MissionItem

HOME = (36.51, 122.18, 20.0, 0.0)
REPO = Path(__file__).resolve().parents[1]


def bench_decode(seconds: float = 3.0) -> None:
    sender = Channel(system_id=1, component_id=1)
    pattern = [
        mavlink.MAVLink_heartbeat_message(2, 3, 209, 4, 4, 3),
        mavlink.MAVLink_global_position_int_message(1, 365100000, 1221800000, 40000, 20000,
                                                    100, -50, 0, 9000),
        mavlink.MAVLink_attitude_message(1, 0.01, 0.02, 1.5, 0.0, 0.0, 0.0),
        mavlink.MAVLink_vfr_hud_message(0.0, 5.0, 90, 40, 0.1, 20.0),
        mavlink.MAVLink_global_position_int_message(2, 365100100, 1221800100, 40000, 20000,
                                                    100, -50, 0, 9000),
        mavlink.MAVLink_attitude_message(2, 0.01, 0.02, 1.5, 0.0, 0.0, 0.0),
        mavlink.MAVLink_sys_status_message(0, 0, 0, 500, 12300, 1000, 90, 0, 0, 0, 0, 0, 0),
        mavlink.MAVLink_gps_raw_int_message(1, 3, 365100000, 1221800000, 40000, 100, 100, 500,
                                            9000, 12),
    ]
    stream = b"".join(sender.encode(m) for m in pattern * 64)
    per_pass = len(pattern) * 64
    chunks = [stream[i:i + 4096] for i in range(0, len(stream), 4096)]
    for label, fold in (("channel.parse only", False), ("parse + vehicle state", True)):
        receiver = Channel()
        state = VehicleState(1)
        count = 0
        start_cpu, start = time.process_time(), time.perf_counter()
        while time.perf_counter() - start < seconds:
            for chunk in chunks:
                for message in receiver.parse(chunk):
                    if fold:
                        apply_message(state, message)
            count += per_pass
        cpu_s = time.process_time() - start_cpu
        print(f"decode  {label:24s} {count / cpu_s:10.0f} messages/s of CPU "
              f"({len(stream) * count / per_pass / cpu_s / 1e6:.1f} MB/s)")


def _plan(count: int) -> list[MissionItem]:
    return [MissionItem(Cmd.NAV_TAKEOFF, altitude_m=30.0)] + [
        MissionItem(Cmd.NAV_WAYPOINT, latitude_deg=HOME[0] + i * 1e-5,
                    longitude_deg=HOME[1] + (i % 10) * 1e-5, altitude_m=30.0)
        for i in range(1, count)
    ]


async def _transfers(vehicle: Any, items: list[MissionItem], repeats: int) -> tuple[
    list[float], list[float]
]:
    up, down = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        await vehicle.upload_mission(items)
        up.append(time.perf_counter() - start)
        start = time.perf_counter()
        got = await vehicle.download_mission()
        down.append(time.perf_counter() - start)
        if len(got) != len(items) or not all(
            a.same_as(b) for a, b in zip(got, items, strict=True)
        ):
            raise NotMeasured("the downloaded mission differs from the uploaded one")
    return up, down


def _report(where: str, loss: float, count: int, up: list[float], down: list[float]) -> None:
    print(f"mission {count:4d} items, {where:34s} {loss:4.0%} loss each way: upload median "
          f"{statistics.median(up):6.2f} s ({statistics.median(up) / count * 1000:5.2f} ms/item), "
          f"download median {statistics.median(down):6.2f} s "
          f"({statistics.median(down) / count * 1000:5.2f} ms/item), {len(up)} runs")


async def _upload_memory(count: int, repeats: int, loss: float) -> None:
    from jinghang.flight.transport import memory_pair
    from tests.flight.peer import ScriptedVehicle

    ours, theirs = memory_pair(loss=loss)
    peer = ScriptedVehicle(theirs, request_timeout_s=1.0)  # re-requests like ArduPilot
    async with Fleet(request_streams=False) as fleet, asyncio.TaskGroup() as tg:
        task = tg.create_task(peer.run())
        await fleet.connect(ours)
        vehicle = await fleet.wait_vehicle(1, timeout_s=10)
        up, down = await _transfers(vehicle, _plan(count), repeats)
        task.cancel()
    _report("in memory to the scripted vehicle,", loss, count, up, down)


async def _upload_simulator(count: int, repeats: int, loss: float) -> None:
    from jinghang.simulator import SimulatorServer
    from tests.flight.udp_lossy_proxy import LossyUdpProxy

    async with SimulatorServer(home=HOME, speedup=1.0, tcp_port=0) as server:
        async with LossyUdpProxy("127.0.0.1", server.tcp_port, loss=loss) as proxy, Fleet(
            request_streams=False
        ) as fleet:
            await fleet.connect(proxy.address)
            vehicle = await fleet.wait_vehicle(timeout_s=20)
            up, down = await _transfers(vehicle, _plan(count), repeats)
    _report("UDP (lossy proxy) to the simulator,", loss, count, up, down)


def bench_upload(counts: list[int], repeats: int) -> None:
    """Upload then download (checked equal) at 0% and 10% datagram loss each way, in memory
    and over real sockets to the built-in simulator (TCP behind a lossy UDP proxy)."""
    for count in counts:
        for loss in (0.0, 0.1):
            asyncio.run(_upload_memory(count, repeats, loss))
            asyncio.run(_upload_simulator(count, repeats, loss))


def _rates_line(label: str, rates: dict[str, float]) -> str:
    return f"{label}: " + ", ".join(f"{name} {hz:g}" for name, hz in rates.items()) + " (Hz)"


def print_rates() -> None:
    from jinghang.flight.streams import DEFAULT_RATES_HZ as PLATFORM
    from jinghang.simulator.telemetry import DEFAULT_RATES_HZ as SIMULATOR

    print(_rates_line("rates the platform requests (SET_MESSAGE_INTERVAL)", PLATFORM))
    names = {getattr(mavlink, n): n.removeprefix("MAVLINK_MSG_ID_") for n in dir(mavlink)
             if n.startswith("MAVLINK_MSG_ID_")}
    print(_rates_line("the built-in simulator's own defaults (before any request)",
                      {names[i]: hz for i, hz in SIMULATOR.items()}))


async def _fleet(size: int, seconds: float, platform_rates: bool) -> dict[str, Any]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "jinghang.cli", "sim", "--count", str(size), "--ephemeral-ports",
        "--home", ",".join(str(x) for x in HOME), "--duration", str(seconds + 60),
        stdout=asyncio.subprocess.PIPE, cwd=str(REPO),
    )
    assert proc.stdout is not None
    addresses: list[str] = []
    while len(addresses) < size:
        line = (await proc.stdout.readline()).decode()
        if not line:
            raise NotMeasured(f"the simulator process exited after {len(addresses)} of "
                              f"{size} vehicles")
        addresses.append(line.split()[2])
    lags_s: list[float] = []
    messages = 0
    by_type: dict[str, int] = {}
    try:
        async with Fleet(request_streams=platform_rates) as fleet:
            deliver = fleet.router._deliver

            def timed(link: Any, message: Any, verdict: Any, binding: Any = None) -> None:
                nonlocal messages
                messages += 1
                kind = message.get_type()
                by_type[kind] = by_type.get(kind, 0) + 1
                deliver(link, message, verdict, binding)
                if message.get_type() == "SYSTEM_TIME":
                    lags_s.append(time.time() - message.time_unix_usec / 1e6)

            fleet.router._deliver = timed
            for address in addresses:
                await fleet.connect(address)
            for system_id in range(1, size + 1):
                try:
                    vehicle = await fleet.wait_vehicle(system_id, timeout_s=60)
                except Exception as exc:
                    raise NotMeasured(f"no vehicle {system_id} heard within 60 s") from exc
                await vehicle.commands.long(511, mavlink.MAVLINK_MSG_ID_SYSTEM_TIME, 1e6)
            for _ in range(600):  # every vehicle has answered the platform's stream requests
                if not platform_rates or all(v.streams_method for v in fleet.vehicles.values()):
                    break
                await asyncio.sleep(0.1)
            await asyncio.sleep(2.0)
            lags_s.clear()
            by_type.clear()
            messages = 0
            cpu0, wall0 = time.process_time(), time.perf_counter()
            await asyncio.sleep(seconds)
            cpu_s, wall_s = time.process_time() - cpu0, time.perf_counter() - wall0
            lost = sum(v.state.link_lost for v in fleet.vehicles.values())
    finally:
        proc.terminate()
        await proc.wait()
    require(messages, f"no message arrived from the {size} vehicles in {seconds:g} s")
    require(lags_s, f"no SYSTEM_TIME arrived from the {size} vehicles in {seconds:g} s: "
            "no telemetry lag measured")
    lags_s.sort()
    return {
        "rates_hz": {k: n / wall_s / size for k, n in sorted(by_type.items())},
        "size": size,
        "messages_per_s": messages / wall_s,
        "cpu_pct_of_core": 100 * cpu_s / wall_s,
        "cpu_pct_per_vehicle": 100 * cpu_s / wall_s / size,
        "lag_p50_ms": 1000 * lags_s[len(lags_s) // 2] if lags_s else float("nan"),
        "lag_p95_ms": 1000 * lags_s[int(len(lags_s) * 0.95)] if lags_s else float("nan"),
        "lag_max_ms": 1000 * lags_s[-1] if lags_s else float("nan"),
        "link_lost": lost,
    }


def bench_fleet(sizes: list[int], seconds: float, platform_rates: bool) -> None:
    print(f"fleet: platform process on one loop, simulators in another process "
          f"({os.cpu_count()} CPUs here); {seconds:g} s per size; stream rates: "
          f"{'requested by the platform' if platform_rates else 'the simulator defaults'}")
    print_rates()
    best = 0
    for size in sizes:
        r = asyncio.run(_fleet(size, seconds, platform_rates))
        print(_rates_line(f"fleet {size:4d} vehicles: received per vehicle",
                          {k: round(v, 2) for k, v in r["rates_hz"].items()}))
        ok = r["lag_p95_ms"] < 100 and r["link_lost"] == 0
        best = size if ok else best
        print(f"fleet {size:4d} vehicles: {r['messages_per_s']:7.0f} msg/s, platform CPU "
              f"{r['cpu_pct_of_core']:5.1f}% of a core ({r['cpu_pct_per_vehicle']:.2f}% per "
              f"vehicle), telemetry lag p50 {r['lag_p50_ms']:.1f} ms p95 {r['lag_p95_ms']:.1f} "
              f"ms max {r['lag_max_ms']:.1f} ms, link lost {r['link_lost']}"
              f"{'' if ok else '  <- over 100 ms'}")
        if not ok:
            break
    print(f"largest fleet tracked with p95 telemetry lag < 100 ms: {best} vehicles")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("what", choices=["decode", "upload", "fleet", "all"])
    parser.add_argument("--sizes", default="10,25,50,100,150,200")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rates", choices=["platform", "simulator"], default="platform",
                        help="stream rates: the platform's requests (default) or the "
                        "simulator's own defaults")
    parser.add_argument("--items", default="100,500", help="upload: mission sizes")
    parser.add_argument("--repeats", type=int, default=3, help="upload: runs per case")
    args = parser.parse_args()
    if args.what in ("decode", "all"):
        bench_decode()
    if args.what in ("upload", "all"):
        bench_upload([int(n) for n in args.items.split(",")], args.repeats)
    if args.what in ("fleet", "all"):
        bench_fleet([int(s) for s in args.sizes.split(",")], args.seconds,
                    args.rates == "platform")


if __name__ == "__main__":
    run(main)
