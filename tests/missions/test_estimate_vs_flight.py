"""Flight time flown against flight time estimated.

- Every one of the 33 templates, compiled on the sample inputs of ``tests.missions.weihai``,
  flown on the built-in simulator's vehicle model (stepped as fast as it computes): the time in
  AUTO lies within 5% of the plan's estimate.
- A fast survey and a long corridor flown over MAVLink on the ``backend`` (built-in simulator
  and, where JINGHANG_SITL_BINARY is set, real ArduCopter SITL), planned with the limits read
  from the vehicle first: real/estimate within 0.95-1.05, timed on the vehicle's own clock
  (the built-in simulator's, SITL's time_boot_ms), not the wall clock.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from jinghang.flight import Fleet
from jinghang.missions.compile import compile_template
from jinghang.missions.estimate import Airframe, with_estimates
from jinghang.missions.flying import fly_plan
from jinghang.missions.plan import MissionPlan
from jinghang.missions.vehicle_limits import read_vehicle_limits
from jinghang.simulator import SimulatorServer, start_vehicle
from jinghang.simulator.modes import Mode
from jinghang.simulator.vehicle import SimVehicle
from tests.missions import weihai
from tests.missions.sim_timing import fly_on_model
from tests.missions.sitl_timing import SitlClock
from tests.missions.test_fly_templates import VEHICLE_PARAMS, compiled

BAND = (0.95, 1.05)

#: A 1.3 km corridor along the field roads north-east of HOME.
LONG_ROUTE = [(37.4493, 121.9952), (37.4520, 121.9993), (37.4545, 122.0040),
              (37.4560, 122.0085)]


@pytest.mark.parametrize("template_id", weihai.template_ids())
def test_template_flies_within_five_percent_of_its_estimate(template_id: str) -> None:
    plan = compiled(template_id)
    flight = fly_on_model(plan, VEHICLE_PARAMS)
    assert flight.completed, f"{template_id} did not complete ({flight.reached} items reached)"
    ratio = flight.auto_time_s / plan.flight_time_s
    assert BAND[0] <= ratio <= BAND[1], (
        f"{template_id}: flown {flight.auto_time_s:.1f} s, estimated {plan.flight_time_s:.1f} s"
    )


def fast_survey() -> MissionPlan:
    return compile_template("SAF-05", {"area": weihai.FIELD, "home": weihai.HOME})


def long_corridor() -> MissionPlan:
    return compile_template("SEA-01", {"route": LONG_ROUTE, "home": weihai.HOME})


SPEEDUP = {"builtin": 20.0, "sitl": 10.0}


@dataclass
class Span:
    """Simulated seconds at the start of AUTO (armed) and at the disarm after landing."""

    start_s: float | None = None
    end_s: float | None = None


async def _watch_builtin(vehicle: SimVehicle, span: Span) -> None:
    """The built-in simulator's own clock: AUTO armed to disarmed, polled every few ms."""
    while span.end_s is None:
        if span.start_s is None and vehicle.armed and vehicle.mode == Mode.AUTO:
            span.start_s = vehicle.time_s
        elif span.start_s is not None and not vehicle.armed:
            span.end_s = vehicle.time_s
        await asyncio.sleep(0.002)


async def _fly(connection: str, plan: MissionPlan, speedup: float) -> MissionPlan:
    """Read the vehicle's limits, estimate with them, fly to the disarm after landing."""
    async with Fleet() as fleet:
        await fleet.connect(connection)
        vehicle = await fleet.wait_vehicle(timeout_s=30)
        limits = await read_vehicle_limits(vehicle)
        plan = with_estimates(plan, Airframe(limits=limits))
        report = await fly_plan(vehicle, plan, timeout_s=plan.flight_time_s * 2 / speedup + 300,
                                actor="test")
    assert report.completed, f"the flight ended early (last item {report.last_reached_seq})"
    return plan


@pytest.mark.timeout(900)
@pytest.mark.parametrize("make_plan", [fast_survey, long_corridor],
                         ids=["fast-survey", "long-corridor"])
async def test_fast_survey_and_long_corridor_keep_their_estimate(
    backend: str, make_plan: Callable[[], MissionPlan]
) -> None:
    plan = make_plan()
    assert plan.home is not None
    home = (plan.home[0], plan.home[1], plan.home[2], 0.0)
    speedup = SPEEDUP[backend]
    span = Span()
    if backend == "builtin":
        async with SimulatorServer(home=home, speedup=speedup, tcp_port=0,
                                   params=VEHICLE_PARAMS) as server:
            watcher = asyncio.create_task(_watch_builtin(server.vehicle, span))
            try:
                planned = await _fly(server.address, plan, speedup)
                await asyncio.wait_for(watcher, timeout=10)
            finally:
                watcher.cancel()
    else:
        # SITL's own clock (time_boot_ms), which a loaded machine cannot stretch
        async with start_vehicle(backend, home=home, speedup=speedup,  # type: ignore[arg-type]
                                 instance=None, params=VEHICLE_PARAMS) as conn, \
                SitlClock(conn) as clock:
            planned = await _fly(conn, plan, speedup)
            await clock.wait_disarmed()
        span.start_s, span.end_s = clock.start_s, clock.end_s
    assert span.start_s is not None and span.end_s is not None
    flown_s = span.end_s - span.start_s
    ratio = flown_s / planned.flight_time_s
    assert BAND[0] <= ratio <= BAND[1], (
        f"flown {flown_s:.1f} s against an estimate of {planned.flight_time_s:.1f} s"
    )
