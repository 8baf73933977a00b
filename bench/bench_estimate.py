"""Flight-time estimate against flight, per template: each of the 33 templates compiled on the
sample inputs of ``tests/missions/weihai.py``, its estimate, the time in AUTO on the built-in
simulator's vehicle model (stepped by hand, so exact and fast) and their ratio; with
JINGHANG_SITL_BINARY set, also flown on real ArduCopter SITL over MAVLink (four at a time, at
``--speedup``), its time (wall clock from takeoff to disarm, times the speedup) and ratio.
Fails loudly when a flight did not complete.

    PYTHONPATH=$PWD python3 bench/bench_estimate.py [--only SAF-05,SEA-01] [--speedup 10]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import require, run
from jinghang.flight import Fleet
from jinghang.missions.catalog import load_catalog
from jinghang.missions.compile import compile_template
from jinghang.missions.flying import fly_plan
from jinghang.missions.plan import MissionPlan
from jinghang.simulator import start_vehicle
from tests.missions import weihai
from tests.missions.sim_timing import fly_on_model

#: As tests/missions/test_fly_templates.py: the longest disarm delay, for a slow start.
VEHICLE_PARAMS = {"DISARM_DELAY": 127.0}


def compiled(template_id: str) -> MissionPlan:
    template = load_catalog().get(template_id)
    return compile_template(template_id, weihai.inputs_for(template),
                            weihai.QUICK_PARAMS.get(template_id))


async def _fly_sitl(plan: MissionPlan, speedup: float, gate: asyncio.Semaphore) -> float:
    assert plan.home is not None
    home = (plan.home[0], plan.home[1], plan.home[2], 0.0)
    started: list[float] = []

    def progress(text: str) -> None:
        if text.startswith("armed") and not started:
            started.append(time.monotonic())

    async with gate, start_vehicle("sitl", home=home, speedup=speedup, instance=None,
                                   params=VEHICLE_PARAMS) as conn, Fleet() as fleet:
        await fleet.connect(conn)
        vehicle = await fleet.wait_vehicle(timeout_s=60)
        report = await fly_plan(vehicle, plan, timeout_s=plan.flight_time_s * 2 / speedup + 180,
                                progress=progress, actor="bench")
        ended = time.monotonic()
    require(report.completed, f"{plan.template_id} did not complete on SITL "
                              f"(last item reached {report.last_reached_seq})")
    require(started, f"{plan.template_id} never took off on SITL")
    return (ended - started[0]) * speedup


async def _fly_all_sitl(plans: dict[str, MissionPlan], speedup: float) -> dict[str, float]:
    gate = asyncio.Semaphore(4)
    async with asyncio.TaskGroup() as tg:
        tasks = {tid: tg.create_task(_fly_sitl(plan, speedup, gate)) for tid, plan in plans.items()}
    return {tid: task.result() for tid, task in tasks.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="comma-separated template ids")
    parser.add_argument("--speedup", type=float, default=10.0, help="SITL speedup")
    args = parser.parse_args()
    ids = [t for t in args.only.split(",") if t] or weihai.template_ids()
    plans = {tid: compiled(tid) for tid in ids}
    sitl = bool(os.environ.get("JINGHANG_SITL_BINARY"))
    sitl_s = asyncio.run(_fly_all_sitl(plans, args.speedup)) if sitl else {}
    header = f"{'template':9s} {'estimate_s':>10s} {'sim_s':>8s} {'sim/est':>8s}"
    if sitl:
        header += f" {'sitl_s':>8s} {'sitl/est':>8s}"
    print(header)
    ratios: list[float] = []
    sitl_ratios: list[float] = []
    for tid, plan in plans.items():
        flight = fly_on_model(plan, VEHICLE_PARAMS)
        require(flight.completed, f"{tid} did not complete on the simulator "
                                  f"({flight.reached} items reached)")
        ratio = flight.auto_time_s / plan.flight_time_s
        ratios.append(ratio)
        line = f"{tid:9s} {plan.flight_time_s:10.1f} {flight.auto_time_s:8.1f} {ratio:8.3f}"
        if sitl:
            sitl_ratios.append(sitl_s[tid] / plan.flight_time_s)
            line += f" {sitl_s[tid]:8.1f} {sitl_ratios[-1]:8.3f}"
        print(line, flush=True)
    print(f"sim/est: min {min(ratios):.3f} mean {statistics.fmean(ratios):.3f} "
          f"max {max(ratios):.3f}")
    if sitl_ratios:
        print(f"sitl/est: min {min(sitl_ratios):.3f} mean {statistics.fmean(sitl_ratios):.3f} "
              f"max {max(sitl_ratios):.3f}")


if __name__ == "__main__":
    run(main)
