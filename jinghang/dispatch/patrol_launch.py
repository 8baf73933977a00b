"""Launching one run of a patrol schedule: the named vehicle or the best suitable one, the
template planned from its home and safety-checked, or the run recorded as skipped with why.
Uses only the :class:`~jinghang.dispatch.dispatcher.Dispatcher`'s public parts (its journal,
drone choice, claims and followers)."""

from __future__ import annotations

import datetime as dt
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


async def launch_patrol(
    d: Dispatcher, patrol: PatrolSchedulePublic, scheduled_for: dt.datetime
) -> int:
    """Fly one run of a patrol now (its vehicle, or the best suitable one); a run that
    cannot fly is recorded as skipped with why. Returns the run id."""
    from jinghang.missions.catalog import load_catalog

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
        d.journal.alert("info", f"patrol {patrol.name} skipped: {reason}", patrol_id=patrol.id)
        return run.id

    try:
        template = load_catalog().get(patrol.template_id)
    except MissionError as exc:
        return skip(exc.message)
    inputs = dict(patrol.inputs or {})
    anchor = _anchor_of(inputs)
    if anchor is None:
        return skip("the patrol has no area, route or point to fly")
    task = Task(
        anchor[0],
        anchor[1],
        frozenset(template.payloads) - {"gimbal"},
        on_scene_s=0.0,
        altitude_m=60.0,
        reserve_pct=d.limits.reserve_pct,
    )
    choice = d.choose(task)
    candidates = choice.candidates
    if patrol.vehicle_system_id is not None:
        candidates = [c for c in candidates if c.system_id == patrol.vehicle_system_id]
        if not candidates:
            why = next(
                (r.reason for r in choice.rejected if r.system_id == patrol.vehicle_system_id),
                "not in the fleet",
            )
            return skip(f"vehicle {patrol.vehicle_system_id}: {why}")
    reasons: list[str] = []
    for candidate in candidates:
        try:
            plan = plan_template_flight(
                patrol.template_id,
                inputs,
                d.profile(candidate.system_id),
                limits=d.limits,
                no_fly=d.no_fly,
                params=patrol.params,
            )
        except MissionError as exc:
            reasons.append(f"{candidate.name}: {exc.message}")
            if not isinstance(exc, EnergyError):
                break
            continue
        return await _launch_patrol(d, patrol, scheduled_for, candidate, plan)
    if not candidates:
        return skip("no suitable drone: " + choice.reasons())
    return skip("; ".join(reasons))


async def _launch_patrol(
    d: Dispatcher,
    patrol: PatrolSchedulePublic,
    scheduled_for: dt.datetime,
    candidate: Candidate,
    plan: MissionPlan,
) -> int:
    sid = candidate.system_id
    actor = "scheduler"
    with d.journal.tx() as s:
        run = record_patrol_run(
            s,
            schedule_id=patrol.id,
            scheduled_for=scheduled_for,
            status=PatrolRunStatus.LAUNCHED,
            vehicle_system_id=sid,
        )
        mission = create_mission(
            s,
            MissionCreate(
                patrol_run_id=run.id,
                vehicle_system_id=sid,
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
            details={"run_id": run.id, "vehicle_system_id": sid, "mission_id": mission.id},
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
    vehicle = d.fleet.vehicles.get(sid)
    try:
        if vehicle is None:
            raise DispatchError(f"vehicle {sid} has no link", field="system_id", value=sid)
        await vehicle.upload_mission(plan.items, actor=actor)
        await vehicle.start_mission(actor=actor)
    except (FlightError, DispatchError) as exc:
        d.unclaim(sid)
        d.sync_register()
        with d.journal.tx() as s:
            set_mission_state(s, mission.id, MissionState.FAILED, actor=actor, message=exc.message)
            finish_patrol_run(
                s, run.id, PatrolRunStatus.FAILED, reason=f"vehicle {sid} refused: {exc.message}"
            )
        d.journal.alert(
            "warning",
            f"patrol {patrol.name}: vehicle {sid} refused: {exc.message}",
            patrol_id=patrol.id,
        )
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
