"""Incident-to-takeoff-command latency of the dispatcher, flight time excluded.

Runs the whole chain on one event loop: built-in simulated drones on loopback TCP, the Fleet,
a SQLite store (WAL) in a temporary directory, and the Dispatcher. Incidents are reported in
rounds of one per drone; for each, the time from ``report_incident`` to the takeoff command
(``start_mission``: arm and AUTO, after the mission upload) is taken, and to its acceptance.
Each drone is then recalled and lands (and gets a fresh battery) before the next round, so
flight time is not counted.

    python bench/bench_dispatch.py --incidents 100 --drones 5
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from jinghang.store import IncidentCreate
from tests.dispatch.conftest import dispatch_world, near


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


async def bench(incidents: int, drones: int, speedup: float) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        async with dispatch_world(Path(tmp), drones=drones, speedup=speedup) as w:
            reported = 0
            started = time.perf_counter()
            while reported < incidents:
                batch = []
                for k in range(min(drones, incidents - reported)):
                    at = near(200 + 10 * k, 50 * (reported % 7))
                    report = await w.dispatcher.report_incident(
                        IncidentCreate(playbook_id="P01", latitude_deg=at[0],
                                       longitude_deg=at[1]), actor="bench")
                    batch.append(report.incident.id)
                    reported += 1
                try:
                    for incident_id in batch:
                        await w.state_is(incident_id, "en_route", "on_scene", timeout_s=60)
                    for incident_id in batch:
                        await w.dispatcher.recall(incident_id, actor="bench")
                    for incident_id in batch:
                        await w.state_is(incident_id, "closed", timeout_s=120)
                except TimeoutError:
                    for incident_id in batch:
                        stuck = w.incident(incident_id)
                        print(f"incident {incident_id} stuck in {stuck.state}: {stuck.reason}")
                    for sid, vehicle in w.fleet.vehicles.items():
                        print(f"vehicle {sid}: {vehicle.state.to_dict()}")
                    raise
                for server in w.sims:  # a fresh battery at the base between rounds
                    server.vehicle.physics.battery.consumed_mah = 0.0
            elapsed = time.perf_counter() - started
            to_command = list(w.dispatcher.takeoff_latency_s.values())
            to_accept = list(w.dispatcher.takeoff_accepted_s.values())
    print(f"incidents: {len(to_command)}  drones: {drones}  simulator speedup: {speedup:g}  "
          f"store: SQLite WAL  wall time: {elapsed:.1f} s")
    for name, values in (("report -> takeoff command sent", to_command),
                         ("report -> takeoff accepted (armed, AUTO)", to_accept)):
        ms = [v * 1000 for v in values]
        print(f"{name:42s} p50 {percentile(ms, 50):7.1f} ms   p95 {percentile(ms, 95):7.1f} ms"
              f"   max {max(ms):7.1f} ms   mean {statistics.fmean(ms):7.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=100)
    parser.add_argument("--drones", type=int, default=5)
    parser.add_argument("--speedup", type=float, default=50.0)
    args = parser.parse_args()
    asyncio.run(bench(args.incidents, args.drones, args.speedup))


if __name__ == "__main__":
    main()
