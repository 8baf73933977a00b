"""Fly a plan on the built-in simulator's vehicle model stepped as fast as it computes (no
sockets, no wall clock) and measure the time in AUTO, from the mode change on the ground to the
disarm after landing, as ArduPilot's own log would give it. Used by the estimate-against-flight
tests and by ``bench/bench_estimate.py``."""

from __future__ import annotations

from dataclasses import dataclass

from jinghang.missions.plan import MissionPlan
from jinghang.simulator import notices
from jinghang.simulator.modes import Mode
from jinghang.simulator.params import ParamTable
from jinghang.simulator.vehicle import SimVehicle

#: The simulator's physics step when stepped by hand (the server steps at most 0.05 s).
STEP_S = 0.05


@dataclass(frozen=True)
class SimFlight:
    auto_time_s: float
    completed: bool
    reached: int
    #: When each mission item (caller numbering) was reached, seconds after AUTO.
    reached_at_s: dict[int, float]


def fly_on_model(plan: MissionPlan, params: dict[str, float] | None = None,
                 limit_factor: float = 3.0) -> SimFlight:
    """Arm, switch to AUTO and step until the vehicle disarms (or ``limit_factor`` times the
    estimate has passed)."""
    assert plan.home is not None
    v = SimVehicle((plan.home[0], plan.home[1], plan.home[2], 0.0), ParamTable(params))
    for _ in range(int(3.0 / STEP_S)):  # the EKF settles
        v.step(STEP_S)
    v.store_mission(0, [v.home_item(), *plan.items])
    assert v.set_mode(Mode.GUIDED)
    assert v.arm() == 0, v.prearm_failures()
    assert v.set_mode(Mode.AUTO)
    started = v.time_s
    limit = started + limit_factor * plan.flight_time_s + 60.0
    reached: dict[int, float] = {}
    while v.armed and v.time_s < limit:
        v.step(STEP_S)
        for n in v.outbox:
            if isinstance(n, notices.ItemReached):
                reached.setdefault(n.seq - 1, v.time_s - started)
        v.outbox.clear()
    last_nav = max(seq for seq, _ in plan.nav_items())
    return SimFlight(v.time_s - started, not v.armed and last_nav in reached, len(reached),
                     reached)
