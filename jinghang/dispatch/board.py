"""The board: which waiting sortie gets which drone, decided without any I/O.

A :class:`Demand` is a case's sortie that waits for a drone (``planned`` without one) or for
a pilot's confirmation (``waiting_pilot``, the drone held). :func:`decide` takes one demand
and the fleet as drone choice sees it (:class:`~jinghang.dispatch.selection.DroneStatus`) and
says either :class:`Assign` (the drone, its planned and checked first flight) or
:class:`Unassigned` (every drone with its reason as codes and parameters). Demands are served
most urgent first (:func:`serving_order`). The dispatcher carries the decisions out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from jinghang.dispatch.planning import DroneProfile, Limits, WorkPart, plan_incident_flight
from jinghang.dispatch.playbooks import Playbook
from jinghang.dispatch.selection import (
    Candidate,
    Choice,
    DroneStatus,
    NoFlyMap,
    Task,
    choose_drones,
)
from jinghang.errors import MissionError
from jinghang.missions.errors import EnergyError
from jinghang.missions.plan import MissionPlan

LatLon = tuple[float, float]


@dataclass
class Demand:
    """A sortie waiting for a drone (or, with ``held_drone_id``, for a confirmation)."""

    case_id: int
    sortie_id: int
    playbook: Playbook
    point: LatLon
    priority: int
    area: list[list[float]] | None
    dispatched_by: str
    #: drone id -> time before which the drone is not tried again (it refused this case).
    set_aside: dict[int, dt.datetime] = field(default_factory=dict)
    #: The drone held while the sortie waits for a pilot's confirmation.
    held_drone_id: int | None = None
    reported_at: dt.datetime | None = None
    #: The unassigned reasons last recorded (to publish ``case.unassigned`` on a change only).
    reasons: list[dict[str, Any]] = field(default_factory=list)
    #: The share of the case's work this sortie flies (None: the playbook's whole flight).
    part: WorkPart | None = None
    #: A relief shift is not served before this time.
    not_before: dt.datetime | None = None

    def due(self, now: dt.datetime) -> bool:
        return self.not_before is None or self.not_before <= now


@dataclass(frozen=True)
class Assign:
    """Give ``candidate`` the demand, flying ``plan``."""

    demand: Demand
    candidate: Candidate
    plan: MissionPlan
    choice: Choice


@dataclass(frozen=True)
class Unassigned:
    """No drone can take the demand now; ``reasons`` has every drone's (and the case's)."""

    demand: Demand
    choice: Choice
    reasons: list[dict[str, Any]]

    @property
    def reason(self) -> str:
        """One English line for the case's ``reason``."""
        if not self.reasons:
            return "waiting for a drone: no drones in the fleet"
        return "waiting for a drone: " + "; ".join(
            f"{r['drone']}: {r['reason']}" if r.get("drone") else str(r["reason"])
            for r in self.reasons)


def task_for(playbook: Playbook, point: LatLon, limits: Limits,
             part: WorkPart | None = None) -> Task:
    """What drone choice checks for a playbook at a point (for one part of its work: that
    part's estimated time on scene)."""
    return Task(
        latitude_deg=point[0],
        longitude_deg=point[1],
        payloads=frozenset(playbook.payloads),
        on_scene_s=part.on_scene_s if part is not None else playbook.on_scene_s,
        altitude_m=playbook.altitude_m,
        reserve_pct=limits.reserve_pct,
        standoff_m=playbook.standoff_m if playbook.first_pattern == "orbit" else 0.0,
    )


def serving_order(demands: Iterable[Demand]) -> list[Demand]:
    """Most urgent first, then oldest case, then oldest sortie."""
    return sorted(demands, key=lambda d: (d.priority, d.case_id, d.sortie_id))


def set_aside_now(demand: Demand, now: dt.datetime) -> set[int]:
    """The drones that refused this demand and are not tried again yet."""
    return {sid for sid, until in demand.set_aside.items() if until > now}


def decide(
    demand: Demand,
    drones: Iterable[DroneStatus],
    *,
    limits: Limits,
    no_fly: NoFlyMap,
    profile_of: Callable[[int], DroneProfile],
    now: dt.datetime,
    only: int | None = None,
) -> Assign | Unassigned:
    """The drone for ``demand`` now (only drone ``only`` when given), or why none can go."""
    aside = set_aside_now(demand, now)
    statuses = [
        replace(d, busy_with=d.busy_with or "set aside: it refused this incident")
        if d.drone_id in aside else d
        for d in drones if only is None or d.drone_id == only
    ]
    choice = choose_drones(statuses, task_for(demand.playbook, demand.point, limits,
                                              demand.part), no_fly)
    extra: list[dict[str, Any]] = []
    for candidate in choice.candidates:
        try:
            plan = plan_incident_flight(demand.playbook, demand.point,
                                        profile_of(candidate.drone_id), limits=limits,
                                        no_fly=no_fly, area=demand.area,  # type: ignore[arg-type]
                                        part=demand.part)
        except EnergyError as exc:  # the next drone may have more battery
            extra.append({"drone_id": candidate.drone_id, "drone": candidate.name,
                          "code": "drone.battery_short", "params": {}, "reason": exc.message})
            continue
        except MissionError as exc:  # the flight itself is unsafe, whoever flies it
            extra.append({"drone_id": None, "drone": "", "code": "case.flight_refused",
                          "params": {"message": exc.message},
                          "reason": f"the first flight is refused: {exc.message}"})
            break
        return Assign(demand, candidate, plan, choice)
    reasons = [r.as_reason() for r in choice.rejected] + extra
    if not reasons:
        reasons = [{"drone_id": None, "drone": "", "code": "case.no_drones", "params": {},
                    "reason": "no drones in the fleet"}]
    return Unassigned(demand, choice, reasons)


def reasons_changed(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> bool:
    """Whether the unassigned reasons differ in who and why (not in the figures)."""
    def key(reasons: list[dict[str, Any]]) -> list[tuple[Any, Any]]:
        return [(r.get("drone_id"), r.get("code")) for r in reasons]

    return key(old) != key(new)
