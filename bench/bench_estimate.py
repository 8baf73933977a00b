"""Flight-time estimate against flight, per template: each of the 33 templates compiled on the
sample inputs of ``tests/missions/weihai.py``, its estimate, the time in AUTO on the built-in
simulator's vehicle model (stepped by hand, so exact and fast) and their ratio; with
JINGHANG_SITL_BINARY set, also flown on real ArduCopter SITL over MAVLink (``--parallel`` at a
time, at ``--speedup``), its time and ratio. The SITL time is measured on the vehicle's own
clock (``time_boot_ms``, from armed in AUTO to the disarm after landing, by
``tests.missions.sitl_timing``), so it does not depend on whether a loaded machine let SITL keep
its speedup; the column ``kept`` says what speedup SITL actually ran at. ``--items`` prints, per
SITL flight, when each item was reached against the estimate. Fails loudly when a flight did
not complete.

    PYTHONPATH=$PWD JINGHANG_SITL_BINARY=... python3 bench/bench_estimate.py \
        [--only SAF-05,SEA-01] [--speedup 10] [--parallel 2] [--items]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import require, run
from jinghang.flight import Fleet
from jinghang.missions.catalog import load_catalog
from jinghang.missions.compile import compile_template
from jinghang.missions.estimate import estimate_items
from jinghang.missions.flying import fly_plan
from jinghang.missions.items import Cmd
from jinghang.missions.plan import MissionPlan
from jinghang.simulator import start_vehicle
from tests.missions import weihai
from tests.missions.sim_timing import fly_on_model
from tests.missions.sitl_timing import SitlClock

#: As tests/missions/test_fly_templates.py: the longest disarm delay, for a slow start.
VEHICLE_PARAMS = {"DISARM_DELAY": 127.0}


def compiled(template_id: str) -> MissionPlan:
    template = load_catalog().get(template_id)
    return compile_template(template_id, weihai.inputs_for(template),
                            weihai.QUICK_PARAMS.get(template_id))


@dataclass
class SitlFlight:
    flight_s: float
    wall_s: float
    reached_s: dict[int, float] = field(default_factory=dict)


async def _fly_sitl(plan: MissionPlan, speedup: float, gate: asyncio.Semaphore) -> SitlFlight:
    assert plan.home is not None
    home = (plan.home[0], plan.home[1], plan.home[2], 0.0)
    async with gate, start_vehicle("sitl", home=home, speedup=speedup, instance=None,
                                   params=VEHICLE_PARAMS) as conn, SitlClock(conn) as clock, \
            Fleet() as fleet:
        await fleet.connect(conn)
        vehicle = await fleet.wait_vehicle(timeout_s=60)
        started = time.monotonic()
        report = await fly_plan(vehicle, plan, timeout_s=plan.flight_time_s * 2 / speedup + 600,
                                actor="bench")
        wall_s = time.monotonic() - started
        await clock.wait_disarmed()
    require(report.completed, f"{plan.template_id} did not complete on SITL "
                              f"(last item reached {report.last_reached_seq})")
    flown = clock.flight_s
    require(flown is not None, f"{plan.template_id}: no armed-in-AUTO to disarm seen on SITL's "
                               "clock")
    assert flown is not None
    print(f"  {plan.template_id}: SITL {flown:.1f} s (estimate {plan.flight_time_s:.1f} s, "
          f"ratio {flown / plan.flight_time_s:.3f}), kept speedup {flown / wall_s:.1f}",
          file=sys.stderr, flush=True)
    return SitlFlight(flown, wall_s, dict(clock.reached_s))


async def _fly_all_sitl(plans: dict[str, MissionPlan], speedup: float,
                        parallel: int) -> dict[str, SitlFlight]:
    gate = asyncio.Semaphore(parallel)
    async with asyncio.TaskGroup() as tg:
        tasks = {tid: tg.create_task(_fly_sitl(plan, speedup, gate)) for tid, plan in plans.items()}
    return {tid: task.result() for tid, task in tasks.items()}


def _print_items(tid: str, plan: MissionPlan, flight: SitlFlight) -> None:
    """When each item was reached on SITL against when the estimate has it done."""
    done = estimate_items(plan.items, plan.launch_point(), None, plan.cruise_speed_m_s).item_done_s
    print(f"{tid} items: seq command estimate_s sitl_s delta_s")
    previous = 0.0
    for seq, at_s in sorted(flight.reached_s.items()):
        if not 0 <= seq < len(done):
            continue
        name = Cmd(plan.items[seq].command).name
        print(f"  {seq:3d} {name:22s} {done[seq]:8.1f} {at_s:8.1f} {at_s - done[seq]:+7.1f}"
              f"  (step est {done[seq] - previous:6.1f})")
        previous = done[seq]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="comma-separated template ids")
    parser.add_argument("--speedup", type=float, default=10.0, help="SITL speedup")
    parser.add_argument("--parallel", type=int, default=2, help="SITL flights at a time")
    parser.add_argument("--items", action="store_true", help="per-item SITL timings")
    args = parser.parse_args()
    ids = [t for t in args.only.split(",") if t] or weihai.template_ids()
    plans = {tid: compiled(tid) for tid in ids}
    sitl = bool(os.environ.get("JINGHANG_SITL_BINARY"))
    sitl_s = (asyncio.run(_fly_all_sitl(plans, args.speedup, max(1, args.parallel))) if sitl
              else {})
    header = f"{'template':9s} {'estimate_s':>10s} {'sim_s':>8s} {'sim/est':>8s}"
    if sitl:
        header += f" {'sitl_s':>8s} {'sitl/est':>8s} {'kept':>6s}"
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
            flown = sitl_s[tid]
            sitl_ratios.append(flown.flight_s / plan.flight_time_s)
            line += (f" {flown.flight_s:8.1f} {sitl_ratios[-1]:8.3f}"
                     f" {flown.flight_s / flown.wall_s:6.1f}")
        print(line, flush=True)
    print(f"sim/est: min {min(ratios):.3f} mean {statistics.fmean(ratios):.3f} "
          f"max {max(ratios):.3f}")
    if args.items:
        for tid, flown in sitl_s.items():
            _print_items(tid, plans[tid], flown)
    if sitl_ratios:
        print(f"sitl/est: min {min(sitl_ratios):.3f} mean {statistics.fmean(sitl_ratios):.3f} "
              f"max {max(sitl_ratios):.3f}")


if __name__ == "__main__":
    run(main)
