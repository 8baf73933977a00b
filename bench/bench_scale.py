"""The scale-out bench: the NATS bus, an API node fed from it, commands across it, failover.

    python bench/bench_scale.py                       # every part, 1,000 drones
    python bench/bench_scale.py --drones 1000 --seconds 10

It starts a real nats-server (Debian package ``nats-server``) and prints:

1. **bus throughput**: telemetry events published by one :class:`NatsBus` and received by
   another (in this process, one event loop: both ends' Python work on one core), as events
   per second and per CPU-second, and the nats-server's CPU per event;
2. **end-to-end telemetry lag** at ``--drones`` drones: ``bench/_fleet_load.py`` sends each
   drone's MAVLink over UDP to a link side in this process (the link worker's fleet and bus:
   :class:`~jinghang.flight.Fleet` identifying drones per UDP peer, publishing on a
   :class:`NatsBus`), NATS carries it to a real API node (``python3 -m jinghang serve --role
   api``), whose WebSocket ``/ws`` this process reads. The lag of a telemetry event is from
   the moment the generator sent the GLOBAL_POSITION_INT or ATTITUDE frame that triggered it
   to the moment the WebSocket client has it (one monotonic clock); p50/p95 and the CPU of the
   API node and of this process (link side plus WebSocket client);
3. **command round trip** across the bus: a pilot's ``POST /api/fleet/1/speed`` on the API
   node -> NATS -> a link worker process (``--role link``) -> the built-in simulator over TCP
   -> its acknowledgement back, p50/p95 of ``--commands``;
4. **link worker failover**: ``kill -9`` the worker holding the drone; the time until the other
   holds it, and until a command through it is accepted;
5. the **sizing for 10,000 drones**, computed from those figures (printed with its arithmetic).

The machine is shared: every figure is what this run saw, with the core's other load in it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx
import websockets

from bench._common import percentile, require, run
from jinghang.bus.nats_bus import NatsBus
from jinghang.events import Event, EventBus
from jinghang.flight import Fleet
from jinghang.flight.sanity import Limits
from jinghang.flight.trust import VehicleKey
from jinghang.simulator.server import SimulatorServer
from tests.bus.natsserver import NatsServer, nats_server_binary
from tests.roles.deployment import Deployment, Leases, signed_in

LOAD = Path(__file__).resolve().parent / "_fleet_load.py"
STAMP_PER_S = 100_000
_STAMPED = frozenset({"GLOBAL_POSITION_INT", "ATTITUDE"})
HOME = (37.5125, 122.1199, 10.0, 0.0)
CLK_TCK = os.sysconf("SC_CLK_TCK")


def _cpu_s(pid: int) -> float:
    """User+system CPU seconds of process ``pid`` so far (from /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


# ----------------------------------------------------------------------------- 1. throughput


async def bench_throughput(server: NatsServer, events: int) -> dict[str, float]:
    sender = NatsBus(server.url, node="bench-tx", consume=False)
    receiver = NatsBus(server.url, node="bench-rx")
    await sender.start()
    await receiver.start()
    got = 0
    done = asyncio.Event()
    try:
        async with receiver.subscribe("telemetry") as sub:
            async def count() -> None:
                nonlocal got
                async for _event in sub:
                    got += 1
                    if got >= events:
                        done.set()

            counter = asyncio.create_task(count())
            await asyncio.sleep(0.5)
            snapshot = {"drone_id": 1, "latitude_deg": 37.5, "longitude_deg": 122.1,
                        "relative_altitude_m": 50.0, "battery_pct": 80.0, "mode": "AUTO",
                        "armed": True, "heading_deg": 90.0, "ground_speed_m_s": 8.0}
            assert server.process is not None
            nats_cpu0, cpu0, wall0 = _cpu_s(server.process.pid), time.process_time(), \
                time.perf_counter()
            for i in range(events):
                sender.publish("telemetry", {**snapshot, "drone_id": i % 1000 + 1})
                if i % 500 == 0:
                    await asyncio.sleep(0)  # let the sender's task and the receiver run
            try:
                await asyncio.wait_for(done.wait(), 60)
            except TimeoutError:
                pass
            wall_s = time.perf_counter() - wall0
            cpu_s = time.process_time() - cpu0
            nats_cpu_s = _cpu_s(server.process.pid) - nats_cpu0
            counter.cancel()
    finally:
        await sender.close()
        await receiver.close()
    require(got, "no telemetry event crossed the bus")
    return {"events": events, "received": got, "per_s": got / wall_s,
            "per_cpu_s": got / cpu_s, "nats_us_per_event": 1e6 * nats_cpu_s / got,
            "dropped": events - got}


# ----------------------------------------------------------------------------- 2. lag


class _StampingBus(EventBus):
    """The link side's bus: holds each telemetry event until the fleet's ``on_update`` (called
    right after the vehicle published) names the drone (its per-peer id) and the frame that
    triggered it, then sends it on NATS with the frame's send time."""

    def __init__(self, bus: NatsBus) -> None:
        super().__init__()
        self.bus = bus
        self.pending: dict[str, Any] | None = None

    def publish(self, topic: str, data: dict[str, Any]) -> Event:
        if topic == "telemetry":
            self.pending = data
            return Event(topic, data)
        return self.bus.publish(topic, data)


async def bench_lag(deploy: Deployment, server: NatsServer, drones: int, seconds: float,
                    warmup_s: float) -> dict[str, Any]:
    bus = NatsBus(server.url, node="bench-link")
    await bus.start()
    stamping = _StampingBus(bus)
    assigned: dict[VehicleKey, int] = {}
    key_of: dict[int, int] = {}

    def identify(key: VehicleKey) -> int | None:
        vehicle_id = assigned.get(key)
        if vehicle_id is None and len(assigned) < drones:
            vehicle_id = assigned[key] = len(assigned) + 1
        return vehicle_id

    fleet = Fleet(stamping, identify=identify, max_udp_peers=drones, limits=Limits())
    epoch = time.monotonic()

    def on_update(vehicle: Any, message: Any) -> None:
        data, stamping.pending = stamping.pending, None
        if data is None:
            return
        key = key_of.get(id(vehicle))
        if key is None:
            key = next(k for k, v in fleet.vehicles.items() if v is vehicle)
            key_of[id(vehicle)] = key
        data["drone_id"] = key
        if message.get_type() in _STAMPED:
            data["bench_sent_mono_s"] = epoch + message.time_boot_ms / STAMP_PER_S
        bus.publish("telemetry", data)

    fleet.on_update = on_update
    api, url = deploy.api_node("bench-api", [])
    token = await signed_in(url)
    lags_s: list[float] = []
    seen: set[int] = set()
    window = False
    received = 0
    async with fleet:
        link = await fleet.connect("udpin:127.0.0.1:0")
        port = int(link.transport.port)  # type: ignore[attr-defined]
        ws_url = url.replace("http://", "ws://") + "/ws?topics=telemetry"
        async with websockets.connect(ws_url, max_size=None) as ws:
            await ws.send(json.dumps({"token": token}))

            async def read() -> None:
                nonlocal received
                async for raw in ws:
                    message = json.loads(raw)
                    if message.get("type") != "event":
                        continue
                    data = message["data"]
                    sent = data.get("bench_sent_mono_s")
                    if window:
                        received += 1
                        seen.add(data["drone_id"])
                        if sent is not None:
                            lags_s.append(time.monotonic() - sent)

            reader = asyncio.create_task(read())
            command = [sys.executable, str(LOAD), "--target", f"127.0.0.1:{port}",
                       "--vehicles", str(drones), "--seconds", str(warmup_s + seconds),
                       "--system-ids", "one", "--epoch", repr(epoch)]
            proc = await asyncio.create_subprocess_exec(*command,
                                                        stdout=asyncio.subprocess.PIPE)
            try:
                await asyncio.sleep(warmup_s)
                assert api.process is not None
                window = True
                api_cpu0, cpu0, wall0 = _cpu_s(api.process.pid), time.process_time(), \
                    time.perf_counter()
                await asyncio.sleep(seconds)
                window = False
                wall_s = time.perf_counter() - wall0
                cpu_s = time.process_time() - cpu0
                api_cpu_s = _cpu_s(api.process.pid) - api_cpu0
                await proc.communicate()
            finally:
                if proc.returncode is None:
                    proc.kill()
                    await proc.wait()
                reader.cancel()
    published = bus.published_core
    await bus.close()
    api.stop()
    require(lags_s, f"no stamped telemetry reached the WebSocket ({drones} drones)")
    return {"drones": drones, "linked": len(fleet.vehicles), "seen_on_ws": len(seen),
            "samples": len(lags_s), "p50_ms": 1000 * percentile(lags_s, 50),
            "p95_ms": 1000 * percentile(lags_s, 95), "ws_events_per_s": received / wall_s,
            "link_cpu_pct": 100 * cpu_s / wall_s, "api_cpu_pct": 100 * api_cpu_s / wall_s,
            "published": published}


# ----------------------------------------------------------------------------- 3, 4. commands


async def _command(client: httpx.AsyncClient, speed_m_s: float) -> float:
    started = time.perf_counter()
    answer = await client.post("/api/fleet/1/speed", json={"speed_m_s": speed_m_s})
    require(answer.status_code == 200, f"a command was not accepted: {answer.text[:300]}")
    return time.perf_counter() - started


async def bench_commands(deploy: Deployment, server: NatsServer,
                         commands: int) -> dict[str, Any]:
    async with SimulatorServer(home=HOME, speedup=1.0, tcp_port=0) as sim, \
            Leases(server.url) as leases:
        link = f"tcp:127.0.0.1:{sim.tcp_port}"
        api, url = deploy.api_node("bench-api-cmd", [{
            "drone_id": 1, "name": "bench-1", "base_latitude_deg": HOME[0],
            "base_longitude_deg": HOME[1]}])
        workers = {name: deploy.link_worker(name, [link]) for name in ("link-a", "link-b")}
        token = await signed_in(url)
        deadline = time.monotonic() + 60
        while await leases.holder(1) is None:
            require(time.monotonic() < deadline, "no link worker took the drone")
            await asyncio.sleep(0.1)
        async with httpx.AsyncClient(base_url=url, timeout=30,
                                     headers={"Authorization": f"Bearer {token}"}) as client:
            deadline = time.monotonic() + 60
            while 1 not in {v["drone_id"] for v in (await client.get("/api/fleet")).json()
                            if v["connected"]}:
                require(time.monotonic() < deadline, "the API node never saw the drone")
                await asyncio.sleep(0.2)
            await _command(client, 5.0)  # warm
            rtts_s = [await _command(client, 4.0 + (i % 5)) for i in range(commands)]
            holder = await leases.holder(1)
            require(holder in workers, f"the holder {holder!r} is not one of the workers")
            assert holder is not None
            workers[holder].kill9()
            killed = time.monotonic()
            while (now_holder := await leases.holder(1)) in (None, holder):
                require(time.monotonic() - killed < 30, "no worker took the drone over")
                await asyncio.sleep(0.05)
            taken_s = time.monotonic() - killed
            await _command(client, 5.0)
            commanded_s = time.monotonic() - killed
            executed = await leases.executed()
    api.stop()
    return {"commands": commands, "p50_ms": 1000 * percentile(rtts_s, 50),
            "p95_ms": 1000 * percentile(rtts_s, 95), "failover_s": taken_s,
            "failover_to_command_s": commanded_s, "from": holder, "to": now_holder,
            "executed": len(executed), "executed_unique": len(set(executed)),
            "sent": commands + 2}


# ----------------------------------------------------------------------------- sizing


def sizing(lag: dict[str, Any], through: dict[str, float], target: int = 10_000,
           headroom: float = 0.5) -> list[str]:
    """How many link workers and API nodes for ``target`` drones, each process kept at
    ``headroom`` of a core, from the measured CPU per drone."""
    link_pct_per_drone = lag["link_cpu_pct"] / lag["drones"]
    api_pct_per_drone = lag["api_cpu_pct"] / lag["drones"]
    per_link = math.floor(100 * headroom / link_pct_per_drone)
    per_api = math.floor(100 * headroom / api_pct_per_drone)
    events_per_s = lag["ws_events_per_s"] / lag["drones"] * target
    nats_pct = events_per_s * through["nats_us_per_event"] / 1e4
    return [
        f"link side: {lag['link_cpu_pct']:.1f}% of a core for {lag['drones']} drones = "
        f"{link_pct_per_drone:.4f}% per drone; at {100 * headroom:.0f}% of a core a worker "
        f"carries {per_link} drones -> {target} drones need ceil({target}/{per_link}) = "
        f"{math.ceil(target / per_link)} link workers (+1 spare for failover)",
        f"API node: {lag['api_cpu_pct']:.1f}% of a core for {lag['drones']} drones to one "
        f"WebSocket = {api_pct_per_drone:.4f}% per drone; at {100 * headroom:.0f}% a node "
        f"feeds {per_api} drones' telemetry -> ceil({target}/{per_api}) = "
        f"{math.ceil(target / per_api)} API nodes per full-fleet WebSocket viewer set "
        f"(every console showing the whole fleet costs this again)",
        f"NATS: {events_per_s:.0f} telemetry events/s x {through['nats_us_per_event']:.1f} us "
        f"= {nats_pct:.0f}% of a core per nats-server for the fleet's telemetry (each API "
        f"node subscribed adds one delivery per event)",
    ]


async def main_async(args: argparse.Namespace) -> None:
    binary = nats_server_binary()
    require(binary, "nats-server is not installed (Debian package nats-server)")
    assert binary is not None
    import tempfile

    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        directory = Path(tmp)
        server = NatsServer(binary, directory)
        server.start()
        deploy = Deployment(directory, server.url, f"sqlite:///{directory / 'jh.db'}")
        try:
            through = await bench_throughput(server, args.events)
            print(f"bus: {through['received']:.0f} of {through['events']:.0f} telemetry "
                  f"events crossed NATS, {through['per_s']:.0f}/s; "
                  f"{through['per_cpu_s']:.0f} per CPU-second of Python (publish + receive, "
                  f"one core); nats-server {through['nats_us_per_event']:.1f} us CPU per "
                  f"event", flush=True)
            lag = await bench_lag(deploy, server, args.drones, args.seconds, args.warmup)
            print(f"lag drone -> link -> NATS -> API node -> WebSocket at {lag['drones']} "
                  f"drones ({lag['linked']} linked, {lag['seen_on_ws']} seen on the "
                  f"WebSocket): p50 {lag['p50_ms']:.1f} ms, p95 {lag['p95_ms']:.1f} ms "
                  f"({lag['samples']} samples); {lag['ws_events_per_s']:.0f} events/s on the "
                  f"WebSocket; CPU: link side + client {lag['link_cpu_pct']:.0f}% of a core, "
                  f"API node {lag['api_cpu_pct']:.0f}%", flush=True)
            cmd = await bench_commands(deploy, server, args.commands)
            print(f"command round trip (API node -> NATS -> link worker -> simulator -> "
                  f"ack -> API): p50 {cmd['p50_ms']:.1f} ms, p95 {cmd['p95_ms']:.1f} ms "
                  f"({cmd['commands']} commands)", flush=True)
            print(f"link worker failover (kill -9 {cmd['from']}): {cmd['to']} held the drone "
                  f"after {cmd['failover_s']:.2f} s, a command through it was accepted after "
                  f"{cmd['failover_to_command_s']:.2f} s; executed {cmd['executed']} "
                  f"({cmd['executed_unique']} distinct) of {cmd['sent']} sent", flush=True)
            print("sizing for 10,000 drones:")
            for line in sizing(lag, through):
                print(f"  {line}")
        finally:
            deploy.stop()
            server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--drones", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=10.0, help="lag window")
    parser.add_argument("--warmup", type=float, default=6.0)
    parser.add_argument("--events", type=int, default=100_000, help="throughput events")
    parser.add_argument("--commands", type=int, default=30)
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    run(main)
