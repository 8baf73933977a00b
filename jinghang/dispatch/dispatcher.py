"""The Dispatcher: cases get sorties, sorties become flights.

An incident is reported (type = playbook, place, priority) and becomes a case, ``open`` until
a commander closes it with an outcome (or cancels it). Its drone work is sorties. The
dispatcher keeps every sortie that waits for a drone as a :class:`~jinghang.dispatch.board.
Demand`; the board (:mod:`~jinghang.dispatch.board`, pure) decides which drone takes it, or
says why none can — then the case stays open and *unassigned* with every drone's reason
(codes and parameters) and is tried again whenever the queue is served (every second, and at
once when a drone lands, comes free or links back). The chosen drone's first flight is
uploaded, armed and started (AUTO) and followed from telemetry through the sortie lifecycle
(:mod:`~jinghang.dispatch.lifecycle`) until the drone is down. A drone that refuses ends its
sortie ``failed``, is set aside for that case, and a new sortie waits for the next drone.

Operators add sorties (a named drone, another playbook), recall (RTL), redirect, close or
cancel a case; playbooks that ask for it wait for a pilot's confirmation, which the user who
dispatched may not give (two-person rule); a pilot can take a drone over
(:mod:`~jinghang.dispatch.handover`). A drone that lands farther than ``limits.landed_away_m``
from its base is ``landed_away`` and not proposed until it is flown home or marked recovered.
Every state change goes through the :class:`~jinghang.dispatch.journal.Journal` (store,
audit, bus). After a restart, :meth:`Dispatcher.run` rebuilds cases, sorties and flights
from the store (:mod:`~jinghang.dispatch.recovery`).

All background work (launches, followers, the command recorder) runs in the TaskGroup that
:meth:`Dispatcher.run` owns; the public methods are called from the API on the same loop.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from typing import Any

from sqlmodel import Session

from jinghang.dispatch import patrol_launch, recovery
from jinghang.dispatch.board import Assign, Demand, Unassigned, decide, reasons_changed
from jinghang.dispatch.board import serving_order as _order
from jinghang.dispatch.board import task_for as board_task
from jinghang.dispatch.clock import Clock, SystemClock
from jinghang.dispatch.energy_history import EnergyHistory
from jinghang.dispatch.errors import (
    CaseNotOpen,
    HandoverError,
    IncidentNotActive,
    NoDroneAvailable,
    TwoPersonRule,
)
from jinghang.dispatch.fleetview import drone_profile, drone_statuses
from jinghang.dispatch.flights import Flight, Phase
from jinghang.dispatch.handover import Handover
from jinghang.dispatch.journal import Journal
from jinghang.dispatch.landings import Landings
from jinghang.dispatch.lifecycle import (
    FLYING,
    OUTCOMES,
    SORTIE_FINAL,
    CaseState,
    SortieState,
)
from jinghang.dispatch.planning import (
    RELIEF_OVERLAP_S,
    DroneProfile,
    Limits,
    WorkPart,
    battery_budget_s,
    items_to_json,
    plan_incident_flight,
    require_area,
    return_seq,
    scene_seq,
    transit_s,
    work_parts,
)
from jinghang.dispatch.playbooks import Playbooks, load_playbooks
from jinghang.dispatch.recorder import CommandRecorder, PendingTag
from jinghang.dispatch.register_status import RegisterStatus
from jinghang.dispatch.selection import Candidate, Choice, Task, choose_drones
from jinghang.dispatch.track import TrackRecorder
from jinghang.errors import DispatchError, FlightError, MissionError
from jinghang.events import EventBus
from jinghang.missions.errors import NoFlyZoneError
from jinghang.missions.nofly import NoFlyZones
from jinghang.missions.plan import MissionPlan
from jinghang.missions.progress import RunProgress, measure, must_leave_in_s, relief_due
from jinghang.missions.run import MissionRun
from jinghang.store import (
    IncidentCreate,
    IncidentPublic,
    MissionCreate,
    MissionPublic,
    MissionState,
    PatrolRunStatus,
    PatrolSchedulePublic,
    SortiePublic,
    Store,
    add_mission_event,
    append_audit,
    create_incident,
    create_mission,
    create_sortie,
    finish_patrol_run,
    list_sorties,
    list_vehicles,
    set_mission_progress,
    set_mission_state,
    update_incident_fields,
)
from jinghang.store.writer import StoreWriter

log = logging.getLogger(__name__)
S = SortieState
DISPATCHER = "dispatcher"


@dataclass(frozen=True)
class Report:
    """What reporting an incident gave: the case as stored and the drone choice."""

    incident: IncidentPublic
    choice: Choice | None


@dataclass
class Prepared:
    """A first flight whose checks and upload were started while its case was written."""

    flight: Flight
    run: MissionRun
    task: asyncio.Task[None]


class Dispatcher:
    """Cases to sorties to flights; see the module docstring. Start with ``await run()``."""

    def __init__(
        self,
        store: Store,
        fleet: Any,
        bus: EventBus,
        *,
        playbooks: Playbooks | None = None,
        no_fly: NoFlyZones | None = None,
        limits: Limits | None = None,
        clock: Clock | None = None,
        poll_s: float = 0.2,
        retry_refused_after_s: float = 120.0,
        recovery_wait_s: float = 20.0,
        lost_contact_s: float = 60.0,
        record_commands: bool = True,
        writer: StoreWriter | None = None,
    ) -> None:
        self.store = store
        self.fleet = fleet
        self.bus = bus
        self.playbooks = playbooks or load_playbooks()
        self.no_fly = no_fly if no_fly is not None else NoFlyZones()
        self.limits = limits or Limits()
        self.clock: Clock = clock or SystemClock()
        self.poll_s = poll_s
        self.retry_refused_after_s = retry_refused_after_s
        self.recovery_wait_s = recovery_wait_s
        self.lost_contact_s = lost_contact_s
        self.record_commands = record_commands
        #: How often the figures of a flight (time to the scene and home) are sent at most.
        self.progress_interval_s = max(poll_s, 0.5)
        #: Every write of the dispatcher goes through the journal's store writer, in order.
        self.journal = Journal(store, bus, writer)
        #: Sorties waiting for a drone or a confirmation, by sortie id.
        self.demands: dict[int, Demand] = {}
        #: Case id -> its work cut into parts, each with the sortie that flies it.
        self.work: dict[int, list[dict[str, Any]]] = {}
        self.flights: dict[int, Flight] = {}  # by drone id
        #: drone id -> what it is doing ("incident 4", "patrol run 2"), launches included.
        self.busy: dict[int, str] = {}
        self.recorder = CommandRecorder(store, bus, self.tag_of, self.journal.writer)
        #: The flown track of every mission (sampled from the followed telemetry).
        self.track = TrackRecorder(store, writer=self.journal.writer)
        #: The fleet register's status, written back from this lifecycle.
        self.register = RegisterStatus(store, bus, DISPATCHER, self.journal.writer)
        self.handover = Handover(self.flights, fleet, self.journal, self.limits, self.no_fly)
        self.started = asyncio.Event()
        #: Case id -> seconds from the report to the takeoff command being sent, and to its
        #: acceptance (armed, in AUTO): what the benchmark measures.
        self.takeoff_latency_s: dict[int, float] = {}
        self.takeoff_accepted_s: dict[int, float] = {}
        self._wake = asyncio.Event()
        self._tasks: asyncio.TaskGroup | None = None
        #: Sorties whose launch is under way -> who asked to recall them meanwhile.
        self._launching: dict[int, str | None] = {}
        #: system id -> (case id, mission id) from the start of a launch to its end.
        self._tags: dict[int, tuple[int | None, int | None] | PendingTag] = {}
        self._register_read: list[Any] | None = None
        #: Where drones land: landed_away beyond limits.landed_away_m from their base.
        self.landings = Landings(store, bus, fleet, self.journal, self.limits, self.wake,
                                 DISPATCHER)
        #: Each drone's limits read from it and its endurance corrected from its flights
        #: (records every landed flight from the bus).
        self.energy = EnergyHistory(store, bus, fleet, writer=self.journal.writer)

    # ------------------------------------------------------------------ running

    async def run(self) -> None:
        """Rebuild state from the store, then serve the waiting sorties until cancelled."""
        async with asyncio.TaskGroup() as tasks:
            self._tasks = tasks
            try:
                if self.record_commands:
                    recorder_ready = asyncio.Event()
                    tasks.create_task(self.recorder.run(recorder_ready.set), name="recorder")
                    await recorder_ready.wait()
                tasks.create_task(self.energy.run(), name="energy")
                await self.energy.ready.wait()
                recovery.recover(self)
                self.started.set()
                while True:
                    try:
                        self.landings.watch()
                        self._serve_queue()
                    except Exception as exc:  # keep serving; the next pass may succeed
                        log.exception("serving the queue failed")
                        self.journal.event("dispatcher", "dispatch.job_failed",
                                           job="incident queue", error=str(exc)[:200])
                    self.sync_register()
                    self._wake.clear()
                    try:
                        async with asyncio.timeout(1.0):
                            await self._wake.wait()
                    except TimeoutError:
                        pass
            finally:
                self._tasks = None
                self.started.clear()
                self.track.flush()
                self.journal.writer.close()  # commits what is still queued

    def spawn(self, coro: Coroutine[Any, Any, None], name: str) -> None:
        """Run ``coro`` in the dispatcher's task group; a failure is logged and alerted,
        never stops the other flights."""
        if self._tasks is None:
            coro.close()
            raise DispatchError("the dispatcher is not running", field="dispatcher")
        self._tasks.create_task(self._guarded(coro, name), name=name)

    async def _guarded(self, coro: Coroutine[Any, Any, None], name: str) -> None:
        try:
            await coro
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # one failed job must not stop every other flight
            log.exception("dispatcher job %s failed", name)
            self.journal.event("dispatcher", "dispatch.job_failed", job=name,
                               error=str(exc)[:200])

    def wake(self) -> None:
        """Look at the waiting sorties again now (a drone came free, a vehicle appeared)."""
        self._wake.set()

    # ------------------------------------------------------------------ drones

    def sync_register(self) -> None:
        """Write the fleet register's status of each drone from what it is doing now."""
        linked = {sid for sid, vehicle in self.fleet.vehicles.items()
                  if not vehicle.state.link_lost}
        self.register.safe_sync(self.busy, self.flights, linked)

    def tag_of(self, drone_id: int) -> tuple[int | None, int | None] | PendingTag:
        """(case id, mission id) a command to ``drone_id`` belongs to now."""
        return self._tags.get(drone_id, (None, None))

    def claim(self, drone_id: int, label: str, *, incident_id: int | None = None,
              mission_id: int | None = None, pending: PendingTag | None = None) -> None:
        """Mark a drone as taken (``label``: "incident 4", "patrol run 2"); ``pending``
        tags its commands with a case still being written."""
        self.busy[drone_id] = label
        if pending is not None:
            self._tags[drone_id] = pending
        elif mission_id is not None or incident_id is not None:
            self._tags[drone_id] = (incident_id, mission_id)

    def unclaim(self, drone_id: int) -> None:
        """The drone is free again (not followed any more)."""
        self.busy.pop(drone_id, None)
        self._tags.pop(drone_id, None)

    def _registered(self) -> list[Any]:
        if self._register_read is not None:
            return self._register_read
        with self.store.read_session() as s:
            return list_vehicles(s)

    @contextmanager
    def _register_read_once(self) -> Iterator[None]:
        """Inside: the register is read from the store once (a report's choice, plan and
        launch run in one step of the loop, with no await in between)."""
        self._register_read = None
        self._register_read = self._registered()
        try:
            yield
        finally:
            self._register_read = None

    def statuses(self) -> list[Any]:
        """Every registered drone as drone choice sees it now."""
        return drone_statuses(self._registered(), self.fleet.vehicles, self.busy, self.energy)

    def choose(self, task: Task, *, exclude: set[int] | None = None) -> Choice:
        """Rank the fleet for ``task`` (drones in ``exclude`` are set aside)."""
        busy = dict(self.busy)
        for sid in exclude or ():
            busy.setdefault(sid, "set aside: it refused this incident")
        statuses = drone_statuses(self._registered(), self.fleet.vehicles, busy, self.energy)
        return choose_drones(statuses, task, self.no_fly)

    def propose(self, incident_id: int) -> Choice:
        """The drones that could fly the case now, best first, and why the others can't."""
        case = self.journal.case(incident_id)
        playbook = self.playbooks.get(case.playbook_id)
        point = (case.latitude_deg, case.longitude_deg)
        parts, _ = self.plan_work(playbook.id, point, case.area)
        return self.choose(board_task(playbook, point, self.limits, parts[0]))

    def profile(self, drone_id: int) -> DroneProfile:
        """What planning needs to know of a drone (home, battery, speed, endurance)."""
        registered = next(v for v in self._registered() if v.drone_id == drone_id)
        return drone_profile(registered, self.fleet.vehicles.get(drone_id), self.energy)

    def landed(self, drone_id: int, sortie_id: int | None) -> None:
        """A drone is down: ``landed_away`` or home again (see :mod:`landings`)."""
        self.landings.landed(drone_id, sortie_id)

    async def mark_recovered(self, drone_id: int, *, actor: str) -> None:
        """A user says a drone that landed away is back at its base (carried home); returns
        once the store has it."""
        await self.landings.mark_recovered(drone_id, actor=actor)

    # ------------------------------------------------------------------ cases

    def reference_drone(self, playbook_id: str, point: tuple[float, float]) -> DroneProfile:
        """The drone a case's work is cut for: of the registered drones that carry the
        playbook's payloads, the one whose battery gives the longest time at the scene now
        (a 30-minute multirotor at the point when there is none)."""
        playbook = self.playbooks.get(playbook_id)
        registered = self._registered()  # one read for every drone's status and profile
        by_id = {v.drone_id: v for v in registered}
        statuses = drone_statuses(registered, self.fleet.vehicles, self.busy, self.energy)
        fit = [drone_profile(by_id[d.drone_id], self.fleet.vehicles.get(d.drone_id),
                             self.energy)
               for d in statuses
               if d.registered_available and set(playbook.payloads) <= set(d.payloads)]
        if not fit:
            return DroneProfile(0, (point[0], point[1], 0.0), 100.0)
        return max(fit, key=lambda d: battery_budget_s(d, point, self.limits,
                                                       playbook.altitude_m))

    def plan_work(self, playbook_id: str, point: tuple[float, float],
                  area: list[list[float]] | None = None) -> tuple[list[WorkPart], DroneProfile]:
        """The playbook's work at ``point`` cut into battery-sized parts (one sortie each),
        and the drone they were cut for. Refused (422, ``incident.area_required``, field
        ``area``) when the playbook covers an area, none was drawn and it has no default."""
        playbook = self.playbooks.get(playbook_id)
        require_area(playbook, area)
        reference = self.reference_drone(playbook_id, point)
        return work_parts(playbook, point, reference, limits=self.limits, area=area), reference

    def work_summary(self, playbook_id: str, parts: list[WorkPart], reference: DroneProfile,
                     point: tuple[float, float], sorties: list[int] | None = None
                     ) -> dict[str, Any]:
        """JSON-ready: the parts (with their sortie), how many sorties, the total time."""
        playbook_s = max((p.start_after_s + p.on_scene_s for p in parts), default=0.0)
        altitude_m = self.playbooks.get(playbook_id).altitude_m
        total_s = playbook_s + transit_s(reference, point, altitude_m)
        rows = [p.to_dict() for p in parts]
        for n, row in enumerate(rows):
            row["sortie_id"] = sorties[n] if sorties else None
        return {"parts": rows, "sortie_count": len(parts),
                "total_time_s": round(total_s, 1),
                "battery_budget_s": round(battery_budget_s(reference, point, self.limits,
                                                           altitude_m), 1),
                "reference_drone_id": reference.drone_id or None}

    async def report_incident(self, data: IncidentCreate, *, actor: str) -> Report:
        """Record a case with one sortie per battery-sized part of its work and decide at
        once: launch (or hold for a confirmation), or keep it open and unassigned with every
        drone's reason. Relief shifts wait, queued, until their start time."""
        playbook = self.playbooks.get(data.playbook_id)
        priority = data.priority or playbook.priority
        point = (data.latitude_deg, data.longitude_deg)
        with self._register_read_once():  # one read of the register for all of it
            parts, reference = self.plan_work(playbook.id, point, data.area)
            now = self.clock.now()
            # The first sortie's drone is chosen and its flight planned now, before the case is
            # written, and claimed at once (so that no other report gets it); when it flies
            # without a pilot's confirmation its mission row is written with the case.
            probe = Demand(0, 0, playbook, point, priority, data.area, actor, reported_at=now,
                           part=parts[0])
            early = decide(probe, self.statuses(), limits=self.limits, no_fly=self.no_fly,
                           profile_of=self.profile, now=now)
            early_sid: int | None = None
            pending = PendingTag()
            if isinstance(early, Assign):
                early_sid = early.candidate.drone_id
                self.claim(early_sid, "incident being reported", pending=pending)
            with_mission = isinstance(early, Assign) and not playbook.pilot_confirmation
            # Flown without a confirmation: the plan's checks and then its upload start now,
            # while the case is being written (a mission on the ground is no command to fly);
            # arming waits for the record (see _launch). Only when the writer takes the case
            # at once, so that the upload's command rows come after it (and name it).
            writer = self.journal.writer
            ready = (self._prepare(early_sid, early.plan)
                     if with_mission and early_sid is not None and isinstance(early, Assign)
                     and writer.pending < writer.max_pending else None)

        def record(s: Session) -> tuple[IncidentPublic, list[SortiePublic], dict[str, Any],
                                        MissionPublic | None]:
            case = create_incident(s, data, reported_by=actor, priority=priority,
                                   needs_confirmation=playbook.pilot_confirmation)
            sorties = [create_sortie(s, case.id, playbook.id, dispatched_by=actor,
                                     needs_confirmation=playbook.pilot_confirmation)
                       for _ in parts]
            mission = None
            if with_mission and isinstance(early, Assign):
                mission = create_mission(s, self._mission_data(
                    case.id, early_sid or 0, early.plan, playbook.id), created_by=actor)
            pending.ids = (case.id, mission.id if mission is not None else None)
            summary = self.work_summary(playbook.id, parts, reference, point,
                                        [x.id for x in sorties])
            append_audit(s, actor=actor, action="incident.report", target_type="incident",
                         target_id=case.id, details={
                             "playbook_id": data.playbook_id, "priority": priority,
                             "latitude_deg": data.latitude_deg,
                             "longitude_deg": data.longitude_deg, "title": data.title,
                             "sortie_id": sorties[0].id, "work": summary})
            return case, sorties, summary, mission

        try:
            case, sorties, summary, mission = await self.journal.write(
                record, what="incident report")
        except BaseException:
            if ready is not None:
                ready.task.cancel()
            if early_sid is not None:
                self.unclaim(early_sid)
            raise
        self.work[case.id] = summary["parts"]
        self.journal.publish_case(case, from_state="", actor=actor)
        demands = [Demand(case.id, sortie.id, playbook, point, priority, data.area, actor,
                          reported_at=now, part=part,
                          not_before=now + dt.timedelta(seconds=part.start_after_s)
                          if part.start_after_s > 0 else None)
                   for sortie, part in zip(sorties, parts, strict=True)]
        for demand in demands:
            self.demands[demand.sortie_id] = demand
        if isinstance(early, Assign):
            choice = early.choice
            self._assign(Assign(demands[0], early.candidate, early.plan, early.choice),
                         actor=DISPATCHER, mission=mission, ready=ready)
        else:  # kept open and unassigned with every drone's reason (the queue retries)
            choice = early.choice
            self._unassigned(Unassigned(demands[0], early.choice, early.reasons))
        for demand in demands[1:]:
            if demand.due(now):
                self._try_assign(demand)
        await self.journal.settle()
        return Report(self.journal.case(case.id), choice)

    def work_of(self, incident_id: int) -> dict[str, Any]:
        """The case's work: each part with its sortie, that sortie's state and drone."""
        case = self.journal.case(incident_id)
        by_id = {x.id: x for x in case.sorties}
        parts = [dict(p) for p in self.work.get(incident_id, [])]
        for part in parts:
            sortie = by_id.get(part.get("sortie_id") or 0)
            part["state"] = sortie.state if sortie else None
            part["drone_id"] = sortie.drone_id if sortie else None
        return {"parts": parts, "sortie_count": len(parts),
                "drones": sorted({p["drone_id"] for p in parts
                                  if p["drone_id"] is not None})}

    def _open(self, incident_id: int) -> IncidentPublic:
        case = self.journal.case(incident_id)
        if case.state != CaseState.OPEN:
            raise CaseNotOpen(f"incident {incident_id} is {case.state}", field="incident_id",
                              value=incident_id, code="case.not_open")
        return case

    async def add_sortie(self, incident_id: int, *, actor: str, drone_id: int | None = None,
                         playbook_id: str | None = None) -> IncidentPublic:
        """Another sortie for an open case: a named drone (checked now; refused with its
        reason) or the best one when it frees. A case waiting for a drone gets the named
        drone on its waiting sortie."""
        case = self._open(incident_id)
        playbook = self.playbooks.get(playbook_id or case.playbook_id)
        point = (case.latitude_deg, case.longitude_deg)
        waiting = next((d for d in _order(self.demands.values())
                        if d.case_id == incident_id and d.held_drone_id is None
                        and d.playbook.id == playbook.id), None)
        if drone_id is not None:
            probe = waiting or Demand(incident_id, 0, playbook, point, case.priority,
                                      case.area, actor)
            decision = decide(probe, self.statuses(), limits=self.limits, no_fly=self.no_fly,
                              profile_of=self.profile, now=self.clock.now(), only=drone_id)
            if isinstance(decision, Unassigned):
                first = decision.reasons[0] if decision.reasons else {
                    "code": "drone.unknown", "params": {}, "reason": "not in the fleet"}
                raise NoDroneAvailable(
                    f"vehicle {drone_id} cannot fly incident {incident_id}: {first['reason']}",
                    field="drone_id", value=drone_id, code=str(first["code"]),
                    params=first.get("params", {}), rejected=decision.reasons)
        if waiting is None:
            def record(s: Session) -> SortiePublic:
                sortie = create_sortie(s, incident_id, playbook.id, dispatched_by=actor,
                                       needs_confirmation=playbook.pilot_confirmation)
                append_audit(s, actor=actor, action="incident.add_sortie",
                             target_type="incident", target_id=incident_id,
                             details={"sortie_id": sortie.id, "playbook_id": playbook.id,
                                      "drone_id": drone_id})
                return sortie

            sortie = await self.journal.write(record, what=f"sortie for incident {incident_id}")
            waiting = Demand(incident_id, sortie.id, playbook, point, case.priority,
                             case.area, actor, reported_at=self.clock.now())
            self.demands[sortie.id] = waiting
        else:
            waiting.dispatched_by = actor
            self.journal.post(partial(append_audit, actor=actor,
                                      action="incident.dispatch_drone", target_type="incident",
                                      target_id=incident_id,
                                      details={"sortie_id": waiting.sortie_id,
                                               "drone_id": drone_id}),
                              what=f"dispatch of a drone for incident {incident_id}")
        if drone_id is not None:
            decision = decide(waiting, self.statuses(), limits=self.limits, no_fly=self.no_fly,
                              profile_of=self.profile, now=self.clock.now(), only=drone_id)
            if isinstance(decision, Assign):
                self._assign(decision, actor=actor)
        else:
            self._try_assign(waiting)
        await self.journal.settle()
        return self.journal.case(incident_id)

    def _serve_queue(self) -> None:
        now = self.clock.now()
        for demand in _order(self.demands.values()):
            if (demand.held_drone_id is None and demand.sortie_id in self.demands
                    and (demand.due(now) or self._relief_needed(demand))):
                self._try_assign(demand)

    def _relief_needed(self, demand: Demand) -> bool:
        """A relief shift of a watch is launched as soon as the drone flying the shift
        before it must leave (its battery down to the reserve with the way home) no later
        than the relief can be on scene (the best drone's time to the scene, the ETA of the
        proposal and the card) plus ``RELIEF_OVERLAP_S``; by its planned time otherwise."""
        part = demand.part
        if part is None or part.kind != "watch" or part.index == 0:
            return False
        before = next((p.get("sortie_id") for p in self.work.get(demand.case_id, [])
                       if p.get("index") == part.index - 1), None)
        watching = next((f for f in self.flights.values() if f.sortie_id == before
                         and f.sortie_id is not None and f.phase < Phase.RETURNING), None)
        if watching is None or watching.run is None:
            return False
        vehicle = self.fleet.vehicles.get(watching.drone_id)
        if vehicle is None or vehicle.state.battery_pct is None:
            return False
        home_s = measure(watching.run.route(), Phase.RETURNING, vehicle.state).time_home_s
        leave_in_s = must_leave_in_s(battery_pct=vehicle.state.battery_pct,
                                     reserve_pct=self.limits.reserve_pct,
                                     endurance_s=self.profile(watching.drone_id).endurance_s,
                                     home_time_s=home_s)
        best = self.choose(board_task(demand.playbook, demand.point, self.limits, part)).best
        if best is None:
            return False
        if not relief_due(leave_in_s, best.eta_s, RELIEF_OVERLAP_S):
            return False
        if not demand.reasons:
            log.info("incident %s: relief launched, %s must leave in %.0f s, relief %s %.0f s "
                     "away", demand.case_id, watching.label, leave_in_s, best.name, best.eta_s)
        return True

    def _try_assign(self, demand: Demand) -> Choice:
        decision = decide(demand, self.statuses(), limits=self.limits, no_fly=self.no_fly,
                          profile_of=self.profile, now=self.clock.now())
        if isinstance(decision, Assign):
            self._assign(decision, actor=DISPATCHER)
        else:
            self._unassigned(decision)
        return decision.choice

    def _unassigned(self, decision: Unassigned) -> None:
        demand = decision.demand
        changed = reasons_changed(demand.reasons, decision.reasons)
        demand.reasons = decision.reasons
        self.journal.post(partial(update_incident_fields, incident_id=demand.case_id,
                                  reason=decision.reason[:1024], unassigned=decision.reasons),
                          what=f"incident {demand.case_id} unassigned")
        if changed:
            self.journal.event("case", "case.unassigned", case_id=demand.case_id,
                               sortie_id=demand.sortie_id, reasons=decision.reasons,
                               reason=decision.reason)
            self.bus.publish("incident", {"id": demand.case_id, "state": CaseState.OPEN.value,
                                          "from_state": CaseState.OPEN.value,
                                          "unassigned": True, "reason": decision.reason,
                                          "actor": DISPATCHER})

    def _assign(self, decision: Assign, *, actor: str, mission: MissionPublic | None = None,
                ready: Prepared | None = None) -> None:
        demand, candidate = decision.demand, decision.candidate
        sid = candidate.drone_id
        self.claim(sid, f"incident {demand.case_id}")
        if demand.reasons:  # it waited: the case is no longer unassigned
            self.journal.post(partial(update_incident_fields, incident_id=demand.case_id,
                                      reason=candidate.why(), unassigned=None),
                              what=f"incident {demand.case_id} assigned")
        demand.reasons = []
        self.sync_register()
        if demand.playbook.pilot_confirmation:
            demand.held_drone_id = sid
            self.journal.move_sortie(demand.sortie_id, S.WAITING_PILOT, actor=actor,
                                     reason=candidate.why(), code=candidate.why_code,
                                     params=candidate.why_params(),
                                     data=decision.choice.to_dict(), drone_id=sid)
            self.journal.event("sortie", "sortie.waiting_pilot", case_id=demand.case_id,
                               sortie_id=demand.sortie_id, drone_id=sid, drone=candidate.name,
                               playbook_id=demand.playbook.id,
                               dispatched_by=demand.dispatched_by)
            return
        self.demands.pop(demand.sortie_id, None)
        self._start_launch(demand, sid, decision.plan, actor=actor, chosen=candidate,
                           mission=mission, ready=ready)

    async def confirm(self, incident_id: int, *, actor: str, role: str = "pilot"
                      ) -> IncidentPublic:
        """A pilot confirms the launch of a playbook that asks for it: a user with the pilot
        role other than the one who dispatched it (two-person rule)."""
        demand = next((d for d in _order(self.demands.values())
                       if d.case_id == incident_id and d.held_drone_id is not None), None)
        if demand is None or demand.held_drone_id is None:
            raise DispatchError(f"incident {incident_id} is not waiting for a confirmation",
                                field="incident_id", value=incident_id,
                                code="sortie.not_waiting_pilot")
        if role != "pilot":
            raise TwoPersonRule(f"only a pilot may confirm the launch (you are {role})",
                                field="role", value=role, limit="pilot",
                                code="sortie.confirm_needs_pilot")
        if actor == demand.dispatched_by:
            raise TwoPersonRule(f"{actor} dispatched this sortie; another pilot must confirm "
                                "the launch", field="actor", value=actor,
                                code="sortie.confirm_by_dispatcher",
                                params={"dispatched_by": demand.dispatched_by})
        sid = demand.held_drone_id
        details = {"drone_id": sid, "sortie_id": demand.sortie_id,
                   "dispatched_by": demand.dispatched_by, "two_person": True}

        def record(s: Session) -> None:
            update_incident_fields(s, incident_id, confirmed_by=actor)
            append_audit(s, actor=actor, action="incident.confirm", target_type="incident",
                         target_id=incident_id, details=details)

        self.journal.post(record, what=f"confirmation of incident {incident_id}")
        try:
            plan = plan_incident_flight(demand.playbook, demand.point, self.profile(sid),
                                        limits=self.limits, no_fly=self.no_fly,
                                        area=demand.area, part=demand.part)
        except MissionError as exc:
            self.unclaim(sid)
            demand.held_drone_id = None
            demand.set_aside[sid] = self.clock.now() + dt.timedelta(
                seconds=self.retry_refused_after_s)
            self.journal.move_sortie(demand.sortie_id, S.PLANNED, actor=actor,
                                     reason=f"refused: {exc.message}",
                                     code="sortie.confirm_refused",
                                     params={"refusal": exc.code, **exc.params})
            self.wake()
            raise
        demand.held_drone_id = None
        self.demands.pop(demand.sortie_id, None)
        self._start_launch(demand, sid, plan, actor=actor, confirmed_by=actor)
        await self.journal.settle()
        return self.journal.case(incident_id)

    async def close(self, incident_id: int, *, actor: str, outcome: str, note: str = ""
                    ) -> IncidentPublic:
        """A commander closes the case with an outcome: waiting sorties are aborted and
        drones in the air are sent home."""
        if outcome not in OUTCOMES:
            raise DispatchError(f"unknown outcome {outcome!r}", field="outcome", value=outcome,
                                limit=list(OUTCOMES), code="case.unknown_outcome")
        return await self._end_case(incident_id, CaseState.CLOSED, actor=actor,
                                    reason=note or f"closed by {actor}: {outcome}",
                                    code="" if note else "case.closed_by",
                                    params={"by": actor, "outcome": outcome},
                                    outcome=outcome, outcome_note=note, closed_by=actor)

    async def cancel(self, incident_id: int, *, actor: str, reason: str = "") -> IncidentPublic:
        """Cancel a case: waiting sorties are aborted, drones in the air are sent home."""
        return await self._end_case(incident_id, CaseState.CANCELLED, actor=actor,
                                    reason=reason or f"cancelled by {actor}",
                                    code="" if reason else "case.cancelled_by",
                                    params={"by": actor},
                                    closed_by=actor)

    async def _end_case(self, incident_id: int, to_state: CaseState, *, actor: str,
                        reason: str, code: str, params: dict[str, Any], **fields: Any
                        ) -> IncidentPublic:
        self._open(incident_id)
        for sortie_id, demand in list(self.demands.items()):
            if demand.case_id != incident_id:
                continue
            self.demands.pop(sortie_id, None)
            if demand.held_drone_id is not None:
                self.unclaim(demand.held_drone_id)
            self.journal.move_sortie(sortie_id, S.ABORTED, actor=actor, reason=reason,
                                     code=f"case.{to_state.value}")
        for flight in list(self.flights.values()):
            if flight.incident_id == incident_id and flight.phase < Phase.RETURNING:
                await self._recall_flight(flight, actor=actor)
        for sortie_id, case_id in list(self._launching_cases().items()):
            if case_id == incident_id:
                self._launching[sortie_id] = actor
        case = self.journal.move_case(incident_id, to_state, actor=actor, reason=reason,
                                      code=code, params=params, unassigned=None, **fields)
        self.sync_register()
        self.wake()
        await self.journal.settle()
        return case

    def _launching_cases(self) -> dict[int, int]:
        out: dict[int, int] = {}
        with self.store.read_session() as s:
            for sortie in list_sorties(s, active_only=True):
                if sortie.id in self._launching:
                    out[sortie.id] = sortie.incident_id
        return out

    def _maybe_auto_close(self, incident_id: int) -> None:
        case = self.journal.case(incident_id)
        if case.state != CaseState.OPEN:
            return
        if not self.playbooks.get(case.playbook_id).close_when_landed:
            return
        if any(SortieState(s.state) not in SORTIE_FINAL for s in case.sorties):
            return
        if not any(s.state == S.LANDED for s in case.sorties):
            return
        self.journal.move_case(incident_id, CaseState.CLOSED, actor=DISPATCHER,
                               reason="last sortie landed", code="case.last_sortie_landed",
                               outcome="flown", closed_by=DISPATCHER)

    # ------------------------------------------------------------------ launching

    def _mission_data(self, case_id: int, drone_id: int, plan: MissionPlan,
                      playbook_id: str) -> MissionCreate:
        return MissionCreate(
            incident_id=case_id, drone_id=drone_id,
            template_id=plan.template_id or playbook_id,
            pattern=plan.pattern or "", params=dict(plan.params),
            items=items_to_json(plan.items), flight_time_s=plan.flight_time_s,
            distance_m=plan.distance_horizontal_m)

    def _start_launch(self, demand: Demand, drone_id: int, plan: MissionPlan, *, actor: str,
                      confirmed_by: str | None = None, chosen: Candidate | None = None,
                      mission: MissionPublic | None = None, ready: Prepared | None = None
                      ) -> None:
        self._launching[demand.sortie_id] = None
        self.spawn(self._launch(demand, drone_id, plan, actor, confirmed_by, chosen, mission,
                                ready),
                   f"launch incident {demand.case_id} sortie {demand.sortie_id}")

    def _prepare(self, drone_id: int, plan: MissionPlan) -> Prepared:
        """The plan's checks, then its upload to drone ``drone_id``, started now in a task
        of their own (the flight it becomes is named once the case is written)."""
        flight = Flight(drone_id, 0, list(plan.items), scene_seq(plan.items),
                        return_seq(plan.items))
        run = self.mission_run(flight, plan, actor=DISPATCHER)

        async def check_then_upload() -> None:
            await run.check()
            await run.upload()

        task = asyncio.get_running_loop().create_task(
            check_then_upload(), name=f"check and upload to drone {drone_id}")
        # a report that fails to be written cancels it; the launch reads its outcome
        task.add_done_callback(lambda t: t.cancelled() or t.exception())
        return Prepared(flight, run, task)

    async def _launch(self, demand: Demand, drone_id: int, plan: MissionPlan, actor: str,
                      confirmed_by: str | None, chosen: Candidate | None,
                      mission: MissionPublic | None = None, ready: Prepared | None = None
                      ) -> None:
        """Fly ``plan`` for the sortie: its mission row (written now unless it was written
        with the case), then check, upload (both already under way when ``ready``), start
        and follow."""
        case_id, sortie_id = demand.case_id, demand.sortie_id
        if mission is None:
            mission = await self.journal.write(partial(
                create_mission, data=self._mission_data(case_id, drone_id, plan,
                                                        demand.playbook.id),
                created_by=actor), what=f"mission of sortie {sortie_id}")
        if ready is not None:
            flight, run = ready.flight, ready.run
            flight.mission_id, flight.incident_id, flight.sortie_id = (
                mission.id, case_id, sortie_id)
            run.actor = actor
        else:
            flight = Flight(drone_id, mission.id, list(plan.items), scene_seq(plan.items),
                            return_seq(plan.items), incident_id=case_id, sortie_id=sortie_id)
        self.claim(drone_id, f"incident {case_id}", incident_id=case_id,
                   mission_id=mission.id)
        extra: dict[str, Any] = {"confirmed_by": confirmed_by} if confirmed_by else {}
        if chosen is not None:  # why this drone, in English and by its code
            extra.update(reason=chosen.why(), code=chosen.why_code, params=chosen.why_params())
        self.journal.move_sortie(sortie_id, S.LAUNCHING, actor=actor, mission_id=mission.id,
                                 drone_id=drone_id, **extra)
        if ready is None:
            run = self.mission_run(flight, plan, actor=actor)

        def uploaded() -> None:
            if demand.reported_at is not None and case_id not in self.takeoff_latency_s:
                self.takeoff_latency_s[case_id] = (
                    self.clock.now() - demand.reported_at).total_seconds()

        def accepted() -> None:
            if demand.reported_at is not None and case_id not in self.takeoff_accepted_s:
                self.takeoff_accepted_s[case_id] = (
                    self.clock.now() - demand.reported_at).total_seconds()

        try:
            if ready is None:
                await run.check()
            self.journal.post(partial(set_mission_state, mission_id=mission.id,
                                      to_state=MissionState.UPLOADING, actor=actor),
                              what=f"mission {mission.id} uploading")
            if ready is None:
                await run.upload()
            else:
                await ready.task
            uploaded()
            self._send_progress(flight, force=True)
            await run.start(on_accepted=accepted)
        except (FlightError, DispatchError, MissionError) as exc:
            self._launching.pop(sortie_id, None)
            await self._launch_refused(demand, flight, run.vehicle, exc)
            return
        recalled_by = self._launching.pop(sortie_id, None)
        self.flights[drone_id] = flight
        flight.phase = Phase.EN_ROUTE
        self.sync_register()
        self.journal.post(partial(set_mission_state, mission_id=mission.id,
                                  to_state=MissionState.FLYING, actor=actor),
                          what=f"mission {mission.id} flying")
        self.journal.move_sortie(sortie_id, S.EN_ROUTE, actor=actor)
        if recalled_by is not None:
            await self._recall_flight(flight, actor=recalled_by)
        await self.follow(flight)

    async def _launch_refused(self, demand: Demand, flight: Flight, vehicle: Any,
                              exc: DispatchError | FlightError | MissionError) -> None:
        sid = flight.drone_id
        message = f"vehicle {sid} refused: {exc.message}"
        self.journal.post(partial(set_mission_state, mission_id=flight.mission_id,
                                  to_state=MissionState.FAILED, actor=DISPATCHER,
                                  message=message, data=exc.to_dict()),
                          what=f"mission {flight.mission_id} failed")
        if vehicle is not None and vehicle.state.armed:
            try:
                await vehicle.disarm(actor=DISPATCHER)
            except FlightError:
                log.warning("could not disarm vehicle %s after a refused launch", sid)
        self.unclaim(sid)
        self.sync_register()
        self.journal.move_sortie(demand.sortie_id, S.FAILED, actor=DISPATCHER, reason=message,
                                 code="sortie.launch_refused")
        self.journal.event("sortie", "sortie.launch_refused", case_id=demand.case_id,
                           sortie_id=demand.sortie_id, drone_id=sid, message=exc.message,
                           reason=exc.message, reason_code=exc.code, reason_params=exc.params)
        if self.journal.case(demand.case_id).state == CaseState.OPEN:
            again = await self.journal.write(partial(
                create_sortie, incident_id=demand.case_id, playbook_id=demand.playbook.id,
                dispatched_by=demand.dispatched_by,
                needs_confirmation=demand.playbook.pilot_confirmation),
                what=f"another sortie for incident {demand.case_id}")
            for part in self.work.get(demand.case_id, []):
                if part.get("sortie_id") == demand.sortie_id:
                    part["sortie_id"] = again.id
            demand.sortie_id = again.id
            demand.set_aside[sid] = self.clock.now() + dt.timedelta(
                seconds=self.retry_refused_after_s)
            self.demands[again.id] = demand
        self.wake()

    # ------------------------------------------------------------------ following

    def add_flight(self, flight: Flight) -> None:
        """Follow ``flight`` from now on (the drone is taken)."""
        self.flights[flight.drone_id] = flight
        self.claim(flight.drone_id, flight.label, incident_id=flight.incident_id,
                   mission_id=flight.mission_id)

    def mission_run(self, flight: Flight, plan: MissionPlan | None = None, *,
                    actor: str = DISPATCHER) -> MissionRun:
        """The mission run that flies (or follows again) ``flight``: its vehicle as the fleet
        has it now, the plan checked against the limits for that drone, time to go counted
        at the drone's cruise speed. Kept on the flight."""
        sid = flight.drone_id
        registered = next((v for v in self._registered() if v.drone_id == sid), None)
        vehicle_now = self.fleet.vehicles.get(sid)
        profile = drone_profile(registered, vehicle_now) if registered is not None else None

        def vehicle() -> Any:
            return self.fleet.vehicles.get(sid)

        run = MissionRun(vehicle, plan or MissionPlan(items=list(flight.items)), actor=actor,
                         limits=self.limits.for_drone(profile) if profile else None,
                         no_fly=self.no_fly,
                         speed_m_s=profile.cruise_speed_m_s if profile else None, track=flight)
        flight.run = run
        return run

    async def follow(self, flight: Flight) -> None:
        """Follow a flight from telemetry (its mission run's progress) to its landing; then
        end what it flew for."""
        run = flight.run or self.mission_run(flight)

        def enter(phase: Phase) -> None:
            self._enter_phase(flight, phase)

        async for sample in run.follow(poll_s=self.poll_s, on_phase=enter):
            self._watch_link(flight, sample.link_lost)
            self._progress(flight, sample)
            self.track.observe(flight.mission_id, sample.state, phase=flight.phase)
        self.finish(flight)

    def _sortie_state(self, flight: Flight) -> SortieState | None:
        if flight.sortie_id is None:
            return None
        return SortieState(self.journal.sortie(flight.sortie_id).state)

    def _watch_link(self, flight: Flight, lost: bool) -> None:
        """Alert when the link drops; fail the sortie after ``lost_contact_s`` without it
        (the drone is still followed and freed if it comes back and lands)."""
        now = asyncio.get_running_loop().time()
        if not lost:
            if flight.lost_since is not None:
                self.journal.event("sortie", "flight.link_back", drone_id=flight.drone_id,
                                   case_id=flight.incident_id, sortie_id=flight.sortie_id,
                                   patrol_run_id=flight.patrol_run_id)
                flight.lost_since = None
                self.sync_register()
            return
        if flight.lost_since is None:
            flight.lost_since = now
            # the alert is the flight core's vehicle.link_lost; this tells which flight
            self.journal.event("sortie", "flight.link_lost", drone_id=flight.drone_id,
                               case_id=flight.incident_id, sortie_id=flight.sortie_id,
                               patrol_run_id=flight.patrol_run_id)
            self.sync_register()
        if flight.lost_reported or now - flight.lost_since < self.lost_contact_s:
            return
        flight.lost_reported = True
        reason = (f"lost contact with vehicle {flight.drone_id} for "
                  f"{self.lost_contact_s:g} s during the flight")
        self.journal.post(partial(set_mission_state, mission_id=flight.mission_id,
                                  to_state=MissionState.FAILED, actor=DISPATCHER,
                                  message=reason), what=f"mission {flight.mission_id} failed")
        if flight.patrol_run_id is not None:
            self.journal.post(partial(finish_patrol_run, run_id=flight.patrol_run_id,
                                      status=PatrolRunStatus.FAILED, reason=reason),
                              what=f"patrol run {flight.patrol_run_id} failed")
        current = self._sortie_state(flight)
        if flight.sortie_id is not None and current is not None and current not in SORTIE_FINAL:
            self.journal.move_sortie(flight.sortie_id, S.FAILED, actor=DISPATCHER, reason=reason,
                                     code="sortie.link_lost")
            self.journal.event("sortie", "sortie.failed", case_id=flight.incident_id,
                               sortie_id=flight.sortie_id, drone_id=flight.drone_id,
                               reason_code="sortie.link_lost", reason=reason,
                               lost_s=self.lost_contact_s)
        elif flight.patrol_run_id is not None:
            self.journal.event("patrol", "patrol.run_failed", drone_id=flight.drone_id,
                               run_id=flight.patrol_run_id, reason=reason,
                               reason_code="sortie.link_lost", lost_s=self.lost_contact_s)

    def _progress(self, flight: Flight, sample: RunProgress) -> None:
        """Store the item flown when it changes; send the run's figures to the console when
        the item or phase changes and at least every ``progress_interval_s``."""
        seq = sample.current_seq
        changed = False
        if seq is not None and seq != flight.last_seq and flight.handed_over_to is None:
            flight.last_seq = seq
            changed = True
            self.journal.post(partial(set_mission_progress, mission_id=flight.mission_id,
                                      current_seq=seq),
                              what=f"mission {flight.mission_id} progress")
        self._send_progress(flight, sample, force=changed)

    def _send_progress(self, flight: Flight, sample: RunProgress | None = None, *,
                       force: bool = False) -> None:
        """Publish ``mission.progress`` for ``flight``: its item, phase, and the distance
        and time to the scene and home (the sample given, or one measured now)."""
        now = asyncio.get_running_loop().time()
        if not force and now - flight.progress_sent_at < self.progress_interval_s:
            return
        if sample is None:
            vehicle = self.fleet.vehicles.get(flight.drone_id)
            if flight.run is None or vehicle is None:
                return
            sample = measure(flight.run.route(), flight.phase, vehicle.state)
        flight.progress_sent_at = now
        self.bus.publish("mission.progress", {
            **sample.to_dict(),
            "mission_id": flight.mission_id, "incident_id": flight.incident_id,
            "sortie_id": flight.sortie_id, "patrol_run_id": flight.patrol_run_id,
            "drone_id": flight.drone_id, "current_seq": flight.last_seq
            if sample.current_seq is None else sample.current_seq,
            "item_count": len(flight.items), "phase": flight.phase.name,
        })

    def _enter_phase(self, flight: Flight, phase: Phase) -> None:
        previous, flight.phase = flight.phase, phase
        log.info("%s: %s -> %s", flight.label, previous.name, phase.name)
        self.sync_register()
        if phase == Phase.RETURNING:
            self.journal.post(partial(set_mission_state, mission_id=flight.mission_id,
                                      to_state=MissionState.RETURNING,
                                      actor=flight.recalled_by or DISPATCHER),
                              what=f"mission {flight.mission_id} returning")
        targets = {Phase.EN_ROUTE: S.EN_ROUTE, Phase.ON_SCENE: S.ON_SCENE,
                   Phase.RETURNING: S.RETURNING}
        target = targets.get(phase)
        if target is None or flight.sortie_id is None:
            return
        current = self._sortie_state(flight)
        if current is None or current == target or current in SORTIE_FINAL:
            return
        self.journal.move_sortie(flight.sortie_id, target, actor=flight.recalled_by or DISPATCHER)

    def finish(self, flight: Flight) -> None:
        """The flight is down: free the drone, end the sortie or patrol run it flew."""
        self.flights.pop(flight.drone_id, None)
        self.unclaim(flight.drone_id)
        self.landings.forget(flight.drone_id)
        vehicle = self.fleet.vehicles.get(flight.drone_id)
        self.track.finish(flight.mission_id, vehicle.state if vehicle is not None else None)
        self.landed(flight.drone_id, flight.sortie_id)
        self.sync_register()
        end_state = MissionState.ABORTED if flight.recalled_by else MissionState.COMPLETED
        if not flight.lost_reported:
            self.journal.post(partial(set_mission_state, mission_id=flight.mission_id,
                                      to_state=end_state, actor=DISPATCHER, message="landed"),
                              what=f"mission {flight.mission_id} landed")
        current = self._sortie_state(flight)
        if flight.sortie_id is not None and current is not None and current not in SORTIE_FINAL:
            reason = (f"recalled by {flight.recalled_by}; drone landed"
                      if flight.recalled_by else "drone landed")
            code, params = (("sortie.recalled_landed", {"by": flight.recalled_by})
                            if flight.recalled_by else ("sortie.landed", {}))
            if current == S.LAUNCHING:
                self.journal.move_sortie(flight.sortie_id, S.RETURNING, actor=DISPATCHER)
            self.journal.move_sortie(flight.sortie_id, S.LANDED, actor=DISPATCHER, reason=reason,
                                     code=code, params=params)
            if flight.incident_id is not None:
                self._maybe_auto_close(flight.incident_id)
        if flight.patrol_run_id is not None and not flight.lost_reported:
            status = PatrolRunStatus.FAILED if flight.recalled_by else PatrolRunStatus.COMPLETED
            self.journal.post(partial(finish_patrol_run, run_id=flight.patrol_run_id,
                                      status=status, reason=f"recalled by {flight.recalled_by}"
                                      if flight.recalled_by else ""),
                              what=f"patrol run {flight.patrol_run_id} ended")
        self.bus.publish("mission.progress", {
            "mission_id": flight.mission_id, "incident_id": flight.incident_id,
            "sortie_id": flight.sortie_id, "patrol_run_id": flight.patrol_run_id,
            "drone_id": flight.drone_id, "current_seq": flight.last_seq,
            "item_count": len(flight.items), "phase": Phase.LANDED.name,
            "distance_to_scene_m": None, "time_to_scene_s": None,
            "distance_home_m": 0.0, "time_home_s": 0.0, "distance_to_go_m": 0.0,
            "time_to_go_s": 0.0, "to_go_target": "home", "fraction": 1.0,
        })
        self.wake()

    # ------------------------------------------------------------------ operator actions

    def _flights_of(self, incident_id: int) -> list[Flight]:
        return [f for f in self.flights.values() if f.incident_id == incident_id]

    def _flight_of(self, incident_id: int) -> Flight:
        flights = self._flights_of(incident_id)
        if not flights:
            raise IncidentNotActive(f"incident {incident_id} has no drone in the air",
                                    field="incident_id", value=incident_id)
        return flights[0]

    def _vehicle(self, drone_id: int) -> Any:
        vehicle = self.fleet.vehicles.get(drone_id)
        if vehicle is None:
            raise DispatchError(f"vehicle {drone_id} has no link", field="drone_id",
                                value=drone_id)
        return vehicle

    async def recall(self, incident_id: int, *, actor: str) -> IncidentPublic:
        """Send the case's drones home (RTL); each sortie ends when its drone lands. During
        a launch, the drone is sent home as soon as it has started."""
        flights = self._flights_of(incident_id)
        launching = [sid for sid, cid in self._launching_cases().items() if cid == incident_id]
        if not flights and not launching:
            raise IncidentNotActive(f"incident {incident_id} has no drone in the air",
                                    field="incident_id", value=incident_id)
        for sortie_id in launching:
            self._launching[sortie_id] = actor
            self.journal.post(partial(add_mission_event, kind="recall", actor=actor,
                                      incident_id=incident_id,
                                      message="recall asked during the launch"),
                              what=f"recall of incident {incident_id}")
        for flight in flights:
            await self._recall_flight(flight, actor=actor)
        await self.journal.settle()
        return self.journal.case(incident_id)

    async def recall_drone(self, drone_id: int, *, actor: str) -> None:
        """Send one dispatched drone home (RTL); its sortie ends when it lands."""
        flight = self.flights.get(drone_id)
        if flight is None:
            raise IncidentNotActive(f"vehicle {drone_id} is not flying a dispatched mission",
                                    field="drone_id", value=drone_id)
        await self._recall_flight(flight, actor=actor)

    async def _recall_flight(self, flight: Flight, *, actor: str) -> None:
        await self._vehicle(flight.drone_id).rtl(actor=actor)
        flight.recalled_by = actor
        flight.handed_over_to = None
        self.journal.post(partial(add_mission_event, kind="recall", actor=actor,
                                  mission_id=flight.mission_id, incident_id=flight.incident_id),
                          what=f"recall of mission {flight.mission_id}")
        if flight.phase < Phase.RETURNING:
            self._enter_phase(flight, Phase.RETURNING)

    async def redirect(self, incident_id: int, latitude_deg: float, longitude_deg: float, *,
                       actor: str) -> IncidentPublic:
        """Send the case's drone to a new point, with the playbook's flight there: the
        point and the new plan pass the safety checks before anything is sent."""
        flight = self._flight_of(incident_id)
        if flight.handed_over_to is not None:
            raise HandoverError(f"vehicle {flight.drone_id} is with pilot "
                                f"{flight.handed_over_to}; release it first",
                                field="incident_id", value=incident_id)
        if flight.phase >= Phase.RETURNING:
            raise IncidentNotActive(f"incident {incident_id} is returning; cannot redirect",
                                    field="incident_id", value=incident_id)
        case = self.journal.case(incident_id)
        playbook = self.playbooks.get(case.playbook_id)
        point = (latitude_deg, longitude_deg)
        zone = self.no_fly.zone_at(point) if len(self.no_fly) else None
        if zone is not None:
            raise NoFlyZoneError(f"the new point is inside the no-fly zone {zone.name}",
                                 field="latitude_deg", value=[latitude_deg, longitude_deg],
                                 limit=zone.name)
        vehicle = self._vehicle(flight.drone_id)
        here = (vehicle.state.latitude_deg, vehicle.state.longitude_deg)
        crossed = self.no_fly.zone_on_leg(here, point) if len(self.no_fly) else None
        if crossed is not None:
            raise NoFlyZoneError(f"the way to the new point crosses the no-fly zone "
                                 f"{crossed.name}", field="latitude_deg",
                                 value=[latitude_deg, longitude_deg], limit=crossed.name)
        plan = plan_incident_flight(playbook, point, self.profile(flight.drone_id),
                                    limits=self.limits, no_fly=self.no_fly)
        new_scene = scene_seq(plan.items)
        flight.await_seq = new_scene
        try:
            await vehicle.upload_mission(plan.items, actor=actor)
            await vehicle.set_current_item(new_scene, actor=actor)
        except FlightError:
            flight.await_seq = None
            raise
        flight.items = list(plan.items)
        flight.scene_seq = new_scene
        flight.return_seq = return_seq(plan.items)
        flight.last_seq = -1
        if flight.run is not None:
            flight.run.replan(flight.items)
        mission_id, items = flight.mission_id, items_to_json(plan.items)

        def record(s: Session) -> None:
            set_mission_state(s, mission_id, MissionState.FLYING, actor=actor,
                              message="redirected",
                              data={"latitude_deg": latitude_deg, "longitude_deg": longitude_deg},
                              items=items, item_count=len(items))
            update_incident_fields(s, incident_id, latitude_deg=latitude_deg,
                                   longitude_deg=longitude_deg)
            append_audit(s, actor=actor, action="incident.redirect", target_type="incident",
                         target_id=incident_id, details={"latitude_deg": latitude_deg,
                                                         "longitude_deg": longitude_deg})

        self.journal.post(record, what=f"redirect of incident {incident_id}")
        if flight.phase == Phase.ON_SCENE:
            flight.phase = Phase.EN_ROUTE
            if flight.sortie_id is not None:
                self.journal.move_sortie(flight.sortie_id, S.EN_ROUTE, actor=actor,
                                         reason="redirected", code="sortie.redirected")
        await self.journal.settle()
        return self.journal.case(incident_id)

    # ------------------------------------------------------------------ pilot handover

    async def take_over(self, drone_id: int, *, actor: str) -> None:
        """A pilot takes the drone: it stops where it is (BRAKE or LOITER) and waits."""
        await self.handover.take_over(drone_id, actor=actor)

    async def pilot_goto(self, drone_id: int, latitude_deg: float, longitude_deg: float,
                         relative_altitude_m: float, *, actor: str) -> None:
        """A pilot flies the drone to a point (GUIDED), checked first."""
        await self.handover.pilot_goto(drone_id, latitude_deg, longitude_deg,
                                       relative_altitude_m, actor=actor)

    def check_point(self, latitude_deg: float, longitude_deg: float,
                    relative_altitude_m: float, *, start: tuple[float, float] | None = None
                    ) -> None:
        """Refuse a point over the ceiling, inside a no-fly zone, or behind one."""
        self.handover.check_point(latitude_deg, longitude_deg, relative_altitude_m,
                                  start=start)

    async def release(self, drone_id: int, *, actor: str) -> None:
        """The pilot gives the drone back: the mission resumes where it stopped."""
        await self.handover.release(drone_id, actor=actor)

    # ------------------------------------------------------------------ patrols

    async def launch_patrol(self, patrol: PatrolSchedulePublic, scheduled_for: dt.datetime
                            ) -> int:
        """Fly one run of a patrol now, or record it as skipped with why; the run id."""
        return await patrol_launch.launch_patrol(self, patrol, scheduled_for)

    # ------------------------------------------------------------------ views

    def active_flights(self) -> list[dict[str, Any]]:
        """JSON-ready view of the flights being followed."""
        return [
            {"drone_id": f.drone_id, "mission_id": f.mission_id, "incident_id": f.incident_id,
             "sortie_id": f.sortie_id, "patrol_run_id": f.patrol_run_id,
             "phase": f.phase.name.lower(), "handed_over_to": f.handed_over_to,
             "recalled_by": f.recalled_by, "current_seq": f.last_seq,
             "item_count": len(f.items), "progress": self.flight_progress(f)}
            for f in self.flights.values()
        ]

    def flight_progress(self, flight: Flight) -> dict[str, Any] | None:
        """The flight's figures now (distance and time to the scene and home), JSON-ready;
        None while its drone has no link object."""
        vehicle = self.fleet.vehicles.get(flight.drone_id)
        run = flight.run
        if run is None or vehicle is None:
            return None
        return measure(run.route(), flight.phase, vehicle.state).to_dict()

    def queue(self) -> list[dict[str, Any]]:
        """The sorties waiting, in the order they will be served."""
        return [{"incident_id": d.case_id, "sortie_id": d.sortie_id, "priority": d.priority,
                 "state": "waiting_pilot" if d.held_drone_id is not None else "unassigned",
                 "reason": "; ".join(str(r.get("reason", "")) for r in d.reasons),
                 "reasons": d.reasons, "held_vehicle": d.held_drone_id}
                for d in _order(self.demands.values())]

    async def require_drone(self, incident_id: int) -> Candidate:
        """The best drone for a case now, or :class:`NoDroneAvailable` with reasons."""
        choice = self.propose(incident_id)
        if choice.best is None:
            raise NoDroneAvailable(choice.reasons(), field="incident_id", value=incident_id,
                                   rejected=choice.to_dict()["rejected"])
        return choice.best


__all__ = ["DISPATCHER", "FLYING", "Dispatcher", "Report"]
