"""Checking a patrol against the fleet (:func:`check_patrol`: which drones could fly it now,
with the energy it takes each) and launching one run of it: the named vehicle or the best
suitable one, the template planned from its home and safety-checked, or the run recorded as
skipped with why (announced on the bus as ``patrol.skipped``, which raises an alert).
The run is flown by the dispatcher's :class:`~jinghang.missions.run.MissionRun` (checked,
uploaded, started with ArduPilot's start retry, followed). Uses only the
:class:`~jinghang.dispatch.dispatcher.Dispatcher`'s public parts (its journal, drone choice,
claims, mission runs and followers)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from jinghang.dispatch.flights import Flight, Phase
from jinghang.dispatch.planning import (
    items_to_json,
    plan_template_flight,
    return_seq,
    scene_seq,
)
from jinghang.dispatch.selection import Candidate, Task
from jinghang.errors import DispatchError, FlightError, MissionError
from jinghang.missions.errors import EnergyError
from jinghang.missions.plan import MissionPlan
from jinghang.store import (
    MissionCreate,
    MissionState,
    PatrolRunStatus,
    PatrolScheduleCreate,
    PatrolSchedulePublic,
    append_audit,
    create_mission,
    finish_patrol_run,
    record_patrol_run,
    set_mission_state,
)

if TYPE_CHECKING:
    from jinghang.dispatch.dispatcher import Dispatcher

DISPATCHER = "dispatcher"


@dataclass(frozen=True)
class DroneFit:
    """Could this drone fly the patrol now, and what would it cost its battery."""

    drone_id: int
    name: str
    can_fly: bool
    reason: str
    #: The share of a full battery the patrol takes (None: not planned for this drone).
    energy_pct: float | None = None
    battery_pct: float | None = None
    candidate: Candidate | None = None
    plan: MissionPlan | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "drone_id": self.drone_id,
            "name": self.name,
            "can_fly": self.can_fly,
            "reason": self.reason,
            "energy_pct": None if self.energy_pct is None else round(self.energy_pct, 1),
            "battery_pct": None if self.battery_pct is None else round(self.battery_pct, 1),
        }


@dataclass(frozen=True)
class PatrolCheck:
    """The patrol against the fleet as it is now: every drone with why it can or cannot fly
    it, and (when none can) the one line that says why the run would be skipped."""

    drones: list[DroneFit] = field(default_factory=list)
    reason: str = ""

    @property
    def fit(self) -> DroneFit | None:
        return next((d for d in self.drones if d.can_fly), None)

    def to_dict(self) -> dict[str, Any]:
        return {"can_fly": self.fit is not None, "reason": self.reason,
                "drones": [d.to_dict() for d in self.drones]}


def check_patrol(d: Dispatcher, patrol: PatrolScheduleCreate | PatrolSchedulePublic
                 ) -> PatrolCheck:
    """Check the patrol against the fleet now, with the dispatcher's own ranking
    (:meth:`Dispatcher.choose`) and planning (``plan_template_flight`` from each drone's
    home, safety- and energy-checked): used when a patrol is scheduled and before each run."""
    from jinghang.missions.catalog import load_catalog

    try:
        template = load_catalog().get(patrol.template_id)
    except MissionError as exc:
        return PatrolCheck(reason=exc.message)
    inputs = dict(patrol.inputs or {})
    anchor = _anchor_of(inputs)
    if anchor is None:
        return PatrolCheck(reason="the patrol has no area, route or point to fly")
    task = Task(
        anchor[0],
        anchor[1],
        frozenset(template.payloads) - {"gimbal"},
        on_scene_s=0.0,
        altitude_m=60.0,
        reserve_pct=d.limits.reserve_pct,
    )
    choice = d.choose(task)
    drones: list[DroneFit] = []
    for candidate in choice.candidates:
        try:
            plan = plan_template_flight(
                patrol.template_id,
                inputs,
                d.profile(candidate.drone_id),
                limits=d.limits,
                no_fly=d.no_fly,
                params=patrol.params,
            )
        except MissionError as exc:
            energy = exc.value if isinstance(exc, EnergyError) else None
            drones.append(DroneFit(candidate.drone_id, candidate.name, False, exc.message,
                                   energy if isinstance(energy, (int, float)) else None,
                                   candidate.battery_pct))
            continue
        drones.append(DroneFit(candidate.drone_id, candidate.name, True, "",
                               plan.energy_pct, candidate.battery_pct, candidate, plan))
    drones += [DroneFit(r.drone_id, r.name, False, r.reason) for r in choice.rejected]
    wanted = patrol.drone_id
    if wanted is not None:
        drones = [x for x in drones if x.drone_id == wanted]
        if not drones:
            return PatrolCheck(reason=f"vehicle {wanted}: not in the fleet")
        if not drones[0].can_fly:
            return PatrolCheck(drones, f"vehicle {wanted}: {drones[0].reason}")
        return PatrolCheck(drones)
    if not choice.candidates:
        return PatrolCheck(drones, "no suitable drone: " + choice.reasons())
    planned = drones[:len(choice.candidates)]  # the candidates, each with its plan's verdict
    if not any(x.can_fly for x in planned):
        return PatrolCheck(drones, "; ".join(f"{x.name}: {x.reason}" for x in planned))
    return PatrolCheck(drones)


def announce_skip(d: Dispatcher, patrol: PatrolSchedulePublic, run_id: int, reason: str) -> None:
    """Tell whoever listens (the alert service) that a run was skipped, with why."""
    d.bus.publish("patrol", {
        "code": "patrol.skipped", "patrol_id": patrol.id,
        "params": {"patrol": patrol.name, "patrol_id": patrol.id, "run_id": run_id,
                   "reason": reason},
    })


async def launch_patrol(
    d: Dispatcher, patrol: PatrolSchedulePublic, scheduled_for: dt.datetime
) -> int:
    """Fly one run of a patrol now (its vehicle, or the best suitable one), checked against
    the fleet first; a run that cannot fly is recorded as skipped with why, and announced.
    Returns the run id."""

    def skip(reason: str) -> int:
        with d.journal.tx() as s:
            run = record_patrol_run(
                s,
                schedule_id=patrol.id,
                scheduled_for=scheduled_for,
                status=PatrolRunStatus.SKIPPED,
                reason=reason,
            )
            append_audit(
                s,
                actor="scheduler",
                action="patrol.skipped",
                target_type="patrol",
                target_id=patrol.id,
                details={"run_id": run.id, "reason": reason},
            )
        announce_skip(d, patrol, run.id, reason)
        return run.id

    check = check_patrol(d, patrol)
    fit = check.fit
    if fit is None or fit.candidate is None or fit.plan is None:
        return skip(check.reason or "no suitable drone")
    return await _launch_patrol(d, patrol, scheduled_for, fit.candidate, fit.plan)


async def _launch_patrol(
    d: Dispatcher,
    patrol: PatrolSchedulePublic,
    scheduled_for: dt.datetime,
    candidate: Candidate,
    plan: MissionPlan,
) -> int:
    sid = candidate.drone_id
    actor = "scheduler"
    with d.journal.tx() as s:
        run = record_patrol_run(
            s,
            schedule_id=patrol.id,
            scheduled_for=scheduled_for,
            status=PatrolRunStatus.LAUNCHED,
            drone_id=sid,
        )
        mission = create_mission(
            s,
            MissionCreate(
                patrol_run_id=run.id,
                drone_id=sid,
                template_id=patrol.template_id,
                pattern=plan.pattern or "",
                params=dict(plan.params),
                items=items_to_json(plan.items),
                flight_time_s=plan.flight_time_s,
                distance_m=plan.distance_horizontal_m,
            ),
            created_by=actor,
        )
        finish_patrol_run(s, run.id, PatrolRunStatus.LAUNCHED, mission_id=mission.id)
        append_audit(
            s,
            actor=actor,
            action="patrol.launch",
            target_type="patrol",
            target_id=patrol.id,
            details={"run_id": run.id, "drone_id": sid, "mission_id": mission.id},
        )
    flight = Flight(
        sid,
        mission.id,
        list(plan.items),
        scene_seq(plan.items),
        return_seq(plan.items),
        patrol_run_id=run.id,
    )
    d.claim(sid, f"patrol run {run.id}", mission_id=mission.id)
    d.sync_register()
    mission_run = d.mission_run(flight, plan, actor=actor)
    try:
        if mission_run.vehicle is None:
            raise DispatchError(f"vehicle {sid} has no link", field="drone_id", value=sid)
        await mission_run.launch()
    except (FlightError, DispatchError, MissionError) as exc:
        vehicle = mission_run.vehicle
        if vehicle is not None and vehicle.state.armed and vehicle.state.relative_altitude_m < 1:
            try:
                await vehicle.disarm(actor=actor)
            except FlightError:
                pass
        d.unclaim(sid)
        d.sync_register()
        with d.journal.tx() as s:
            set_mission_state(s, mission.id, MissionState.FAILED, actor=actor, message=exc.message)
            finish_patrol_run(
                s, run.id, PatrolRunStatus.FAILED, reason=f"vehicle {sid} refused: {exc.message}"
            )
        d.bus.publish("patrol", {
            "code": "patrol.launch_refused", "drone_id": sid,
            "params": {"patrol": patrol.name, "patrol_id": patrol.id, "drone": candidate.name,
                       "reason": exc.message},
        })
        return run.id
    flight.phase = Phase.EN_ROUTE
    d.add_flight(flight)
    d.sync_register()
    with d.journal.tx() as s:
        set_mission_state(s, mission.id, MissionState.FLYING, actor=actor)
    d.spawn(d.follow(flight), f"follow patrol run {run.id}")
    return run.id


def _anchor_of(inputs: dict[str, Any]) -> tuple[float, float] | None:
    for key in ("point", "area", "route", "points"):
        value = inputs.get(key)
        if not value:
            continue
        if key == "point":
            return (float(value[0]), float(value[1]))
        return (float(value[0][0]), float(value[0][1]))
    return None
