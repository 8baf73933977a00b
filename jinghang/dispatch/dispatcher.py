"""The Dispatcher: incidents become flights.

An incident is reported (type = playbook, place, priority). The dispatcher chooses the drone
(:mod:`~jinghang.dispatch.selection`), plans the playbook's first flight from that drone's home
and runs the safety checks (:mod:`~jinghang.dispatch.planning`), uploads it, arms and starts
it (AUTO), then follows the flight from telemetry through the incident lifecycle
(:mod:`~jinghang.dispatch.lifecycle`) until the drone is down, and closes the incident. A drone
that refuses (upload, arming, mode) is set aside for that incident and the next one is tried.
With more incidents than free drones, incidents wait in ``queued`` (with the reason) and are
served most urgent first as drones come free. Operators recall (RTL), redirect (a new point,
checked), cancel; playbooks that ask for it wait for a pilot's confirmation; a pilot can take a
drone over (pause into BRAKE/LOITER, fly it by hand through :meth:`Dispatcher.pilot_goto`) and
release it to resume the mission where it stopped. Every state change and every command goes
to the store with the actor, and out on the event bus (``incident``, ``alert``,
``mission.progress``). After a restart, :meth:`Dispatcher.run` rebuilds its state from the
store and the links and follows flights in the air to their end.

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
from typing import Any

from sqlmodel import Session

from jinghang.dispatch import handover, patrol_launch, recovery
from jinghang.dispatch.clock import Clock, SystemClock
from jinghang.dispatch.errors import (
    HandoverError,
    IncidentNotActive,
    NoDroneAvailable,
)
from jinghang.dispatch.fleetview import drone_profile, drone_statuses
from jinghang.dispatch.flights import Flight, Phase, observe
from jinghang.dispatch.lifecycle import FINAL, FLYING, IncidentState, check_transition
from jinghang.dispatch.planning import (
    DroneProfile,
    Limits,
    items_to_json,
    plan_incident_flight,
    return_seq,
    scene_seq,
)
from jinghang.dispatch.playbooks import Playbook, Playbooks, load_playbooks
from jinghang.dispatch.recorder import CommandRecorder
from jinghang.dispatch.register_status import RegisterStatus
from jinghang.dispatch.selection import Candidate, Choice, Task, choose_drones
from jinghang.dispatch.track import TrackRecorder
from jinghang.dispatch.waiting import Waiting
from jinghang.errors import DispatchError, FlightError, MissionError
from jinghang.events import EventBus
from jinghang.missions.errors import EnergyError, NoFlyZoneError
from jinghang.missions.nofly import NoFlyZones
from jinghang.missions.plan import MissionPlan
from jinghang.store import (
    IncidentCreate,
    IncidentPublic,
    MissionCreate,
    MissionState,
    PatrolRunStatus,
    PatrolSchedulePublic,
    Store,
    add_mission_event,
    append_audit,
    create_incident,
    create_mission,
    finish_patrol_run,
    get_incident,
    list_vehicles,
    set_incident_state,
    set_mission_progress,
    set_mission_state,
    update_incident_fields,
)

log = logging.getLogger(__name__)
S = IncidentState
DISPATCHER = "dispatcher"


@dataclass(frozen=True)
class Report:
    """What reporting an incident gave: the incident as stored and the drone choice."""

    incident: IncidentPublic
    choice: Choice | None


class Dispatcher:
    """Incidents to flights; see the module docstring. Start with ``await run()``."""

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
        self.waiting: dict[int, Waiting] = {}
        self.flights: dict[int, Flight] = {}  # by system id
        #: system id -> what it is doing ("incident 4", "patrol run 2"), launches included.
        self.busy: dict[int, str] = {}
        self.recorder = CommandRecorder(store, bus, self._tag)
        #: The flown track of every mission (sampled from the followed telemetry).
        self.track = TrackRecorder(store)
        #: The fleet register's status, written back from this lifecycle.
        self.register = RegisterStatus(store, bus, DISPATCHER)
        self.started = asyncio.Event()
        #: Incident id -> seconds from the report to the takeoff command being sent, and to
        #: its acceptance (armed, in AUTO): what the benchmark measures.
        self.takeoff_latency_s: dict[int, float] = {}
        self.takeoff_accepted_s: dict[int, float] = {}
        self._wake = asyncio.Event()
        self._tasks: asyncio.TaskGroup | None = None
        #: Incidents whose launch is under way -> who asked to recall them meanwhile.
        self._launching: dict[int, str | None] = {}
        #: system id -> (incident id, mission id) from the start of a launch to its end.
        self._tags: dict[int, tuple[int | None, int | None]] = {}

    # ------------------------------------------------------------------ running

    async def run(self) -> None:
        """Rebuild state from the store, then serve the queue until cancelled."""
        async with asyncio.TaskGroup() as tasks:
            self._tasks = tasks
            try:
                if self.record_commands:
                    recorder_ready = asyncio.Event()
                    tasks.create_task(self.recorder.run(recorder_ready.set), name="recorder")
                    await recorder_ready.wait()
                self._recover()
                self.started.set()
                while True:
                    try:
                        self._serve_queue()
                    except Exception as exc:  # keep serving; the next pass may succeed
                        log.exception("serving the queue failed")
                        self._alert("error", f"serving the incident queue failed: {exc}")
                    self._sync_register()
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

    def _spawn(self, coro: Coroutine[Any, Any, None], name: str) -> None:
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
            self._alert("error", f"{name} failed: {exc}")

    def wake(self) -> None:
        """Look at the queue again now (a drone came free, a vehicle appeared)."""
        self._wake.set()

    # ------------------------------------------------------------------ store helpers

    @contextmanager
    def _tx(self) -> Iterator[Session]:
        with self.store.transaction() as session:
            yield session

    def _move(
        self,
        incident_id: int,
        to_state: S,
        *,
        actor: str,
        reason: str | None = None,
        data: dict[str, Any] | None = None,
        **fields: Any,
    ) -> IncidentPublic:
        """Check and record one lifecycle step, audit it, publish it."""
        with self._tx() as s:
            current = get_incident(s, incident_id)
            check_transition(current.state, to_state, incident_id=incident_id)
            incident = set_incident_state(
                s, incident_id, to_state.value, actor=actor, reason=reason, data=data, **fields
            )
            details: dict[str, Any] = {"from": current.state, "to": to_state.value}
            if reason:
                details["reason"] = reason
            for key, value in fields.items():
                details[key] = value
            append_audit(s, actor=actor, action=f"incident.{to_state.value}",
                         target_type="incident", target_id=incident_id, details=details)
        waiting = self.waiting.get(incident_id)
        if waiting is not None:
            waiting.state = to_state
            if reason is not None:
                waiting.reason = reason
        self.bus.publish("incident", {
            "id": incident.id, "state": incident.state, "from_state": current.state,
            "reason": incident.reason, "priority": incident.priority,
            "playbook_id": incident.playbook_id, "vehicle_system_id": incident.vehicle_system_id,
            "mission_id": incident.mission_id, "actor": actor,
        })
        return incident

    def _sync_register(self) -> None:
        """Write the fleet register's status of each drone from what it is doing now."""
        linked = {sid for sid, vehicle in self.fleet.vehicles.items()
                  if not vehicle.state.link_lost}
        self.register.safe_sync(self.busy, self.flights, linked)

    def _alert(self, level: str, message: str, **data: Any) -> None:
        self.bus.publish("alert", {"level": level, "message": message, **data})

    def _tag(self, system_id: int) -> tuple[int | None, int | None]:
        return self._tags.get(system_id, (None, None))

    # ------------------------------------------------------------------ choosing

    def _registered(self) -> list[Any]:
        with self.store.read_session() as s:
            return list_vehicles(s)

    def choose(self, task: Task, *, exclude: set[int] | None = None) -> Choice:
        """Rank the fleet for ``task`` (drones in ``exclude`` are set aside)."""
        busy = dict(self.busy)
        for sid in exclude or ():
            busy.setdefault(sid, "set aside: it refused this incident")
        statuses = drone_statuses(self._registered(), self.fleet.vehicles, busy)
        return choose_drones(statuses, task, self.no_fly)

    def _task_for(self, playbook: Playbook, point: tuple[float, float]) -> Task:
        return Task(
            latitude_deg=point[0],
            longitude_deg=point[1],
            payloads=frozenset(playbook.payloads),
            on_scene_s=playbook.on_scene_s,
            altitude_m=playbook.altitude_m,
            reserve_pct=self.limits.reserve_pct,
        )

    def propose(self, incident_id: int) -> Choice:
        """The drones that could fly the incident now, best first, and why the others can't."""
        with self.store.read_session() as s:
            incident = get_incident(s, incident_id)
        playbook = self.playbooks.get(incident.playbook_id)
        return self.choose(self._task_for(playbook, (incident.latitude_deg,
                                                     incident.longitude_deg)))

    def _profile(self, system_id: int) -> DroneProfile:
        registered = next(v for v in self._registered() if v.system_id == system_id)
        return drone_profile(registered, self.fleet.vehicles.get(system_id))

    # ------------------------------------------------------------------ incidents

    async def report_incident(self, data: IncidentCreate, *, actor: str) -> Report:
        """Record an incident and decide at once: launch (or hold for confirmation), queue
        with the reason, or refuse (``failed``) when no drone could ever fly it."""
        playbook = self.playbooks.get(data.playbook_id)
        priority = data.priority or playbook.priority
        with self._tx() as s:
            incident = create_incident(s, data, reported_by=actor, priority=priority,
                                       needs_confirmation=playbook.pilot_confirmation)
            append_audit(s, actor=actor, action="incident.report", target_type="incident",
                         target_id=incident.id, details={
                             "playbook_id": data.playbook_id, "priority": priority,
                             "latitude_deg": data.latitude_deg,
                             "longitude_deg": data.longitude_deg, "title": data.title})
        self.bus.publish("incident", {
            "id": incident.id, "state": incident.state, "from_state": "",
            "priority": priority, "playbook_id": incident.playbook_id, "reason": "",
            "vehicle_system_id": None, "mission_id": None, "actor": actor})
        point = (data.latitude_deg, data.longitude_deg)
        waiting = Waiting(incident.id, playbook, point, priority, data.area, S.REPORTED,
                          reported_at=self.clock.now())
        self.waiting[incident.id] = waiting
        zone = self.no_fly.zone_at(point) if len(self.no_fly) else None
        if zone is not None:
            reason = f"the incident is inside the no-fly zone {zone.name}; no drone may fly there"
            self.waiting.pop(incident.id, None)
            self._alert("warning", reason, incident_id=incident.id)
            failed = self._move(incident.id, S.FAILED, actor=DISPATCHER, reason=reason)
            return Report(failed, None)
        choice = self._try_assign(waiting)
        with self.store.read_session() as s:
            return Report(get_incident(s, incident.id), choice)

    def _serve_queue(self) -> None:
        order = sorted(self.waiting.values(), key=lambda w: (w.priority, w.incident_id))
        for waiting in order:
            if waiting.state in (S.REPORTED, S.QUEUED) and waiting.incident_id in self.waiting:
                self._try_assign(waiting)

    def _try_assign(self, waiting: Waiting) -> Choice:
        now = self.clock.now()
        exclude = {sid for sid, until in waiting.set_aside.items() if until > now}
        choice = self.choose(self._task_for(waiting.playbook, waiting.point), exclude=exclude)
        for candidate in choice.candidates:
            try:
                plan = plan_incident_flight(
                    waiting.playbook, waiting.point, self._profile(candidate.system_id),
                    limits=self.limits, no_fly=self.no_fly, area=waiting.area,
                )
            except EnergyError:
                continue  # the next drone may have more battery
            except MissionError as exc:  # the flight itself is unsafe, whoever flies it
                self._refuse(waiting, f"the first flight is refused: {exc.message}")
                return choice
            self._assign(waiting, candidate, plan, choice)
            return choice
        if choice.hopeless and not exclude:
            self._refuse(waiting, "no drone can fly this incident: " + choice.reasons())
        else:
            reason = "waiting for a drone: " + choice.reasons()
            if waiting.state != S.QUEUED:
                self._move(waiting.incident_id, S.QUEUED, actor=DISPATCHER, reason=reason,
                           data=choice.to_dict())
                self._alert("info", f"incident {waiting.incident_id} queued",
                            incident_id=waiting.incident_id, reason=reason)
            elif reason != waiting.reason:
                waiting.reason = reason
                with self._tx() as s:
                    update_incident_fields(s, waiting.incident_id, reason=reason[:1024])
        return choice

    def _refuse(self, waiting: Waiting, reason: str) -> None:
        self.waiting.pop(waiting.incident_id, None)
        self._alert("warning", reason, incident_id=waiting.incident_id)
        self._move(waiting.incident_id, S.FAILED, actor=DISPATCHER, reason=reason)

    def _assign(self, waiting: Waiting, candidate: Candidate, plan: MissionPlan,
                choice: Choice) -> None:
        sid = candidate.system_id
        self.busy[sid] = f"incident {waiting.incident_id}"
        self._move(waiting.incident_id, S.ASSIGNED, actor=DISPATCHER,
                   reason=candidate.why(), data=choice.to_dict(), vehicle_system_id=sid)
        self._sync_register()
        if waiting.playbook.pilot_confirmation:
            waiting.held = candidate
            self._alert("info", f"incident {waiting.incident_id}: {waiting.playbook.id} needs a "
                        f"pilot to confirm the launch of {candidate.name}",
                        incident_id=waiting.incident_id, system_id=sid, confirm=True)
            return
        self._start_launch(waiting, sid, plan, actor=DISPATCHER)

    async def confirm(self, incident_id: int, *, actor: str) -> IncidentPublic:
        """A pilot confirms the launch of a playbook that asks for it."""
        waiting = self.waiting.get(incident_id)
        if waiting is None or waiting.state != S.ASSIGNED or waiting.held is None:
            raise DispatchError(f"incident {incident_id} is not waiting for a confirmation",
                                field="incident_id", value=incident_id)
        sid = waiting.held.system_id
        with self._tx() as s:
            update_incident_fields(s, incident_id, confirmed_by=actor)
            append_audit(s, actor=actor, action="incident.confirm", target_type="incident",
                         target_id=incident_id, details={"vehicle_system_id": sid})
        try:
            plan = plan_incident_flight(waiting.playbook, waiting.point, self._profile(sid),
                                        limits=self.limits, no_fly=self.no_fly,
                                        area=waiting.area)
        except MissionError as exc:
            self.busy.pop(sid, None)
            waiting.held = None
            waiting.set_aside[sid] = self.clock.now() + dt.timedelta(
                seconds=self.retry_refused_after_s)
            self._move(incident_id, S.QUEUED, actor=actor, reason=f"refused: {exc.message}")
            self.wake()
            raise
        waiting.held = None
        self._start_launch(waiting, sid, plan, actor=actor)
        with self.store.read_session() as s:
            return get_incident(s, incident_id)

    async def cancel(self, incident_id: int, *, actor: str, reason: str = "") -> IncidentPublic:
        """Cancel a waiting incident, or recall the drone of one in flight."""
        with self.store.read_session() as s:
            incident = get_incident(s, incident_id)
        if IncidentState(incident.state) in FLYING or incident_id in self._launching:
            await self.recall(incident_id, actor=actor)
            with self.store.read_session() as s:
                return get_incident(s, incident_id)
        waiting = self.waiting.pop(incident_id, None)
        if waiting is not None and waiting.held is not None:
            self.busy.pop(waiting.held.system_id, None)
        moved = self._move(incident_id, S.CANCELLED, actor=actor,
                           reason=reason or f"cancelled by {actor}")
        self.wake()
        return moved

    # ------------------------------------------------------------------ launching

    def _start_launch(self, waiting: Waiting, system_id: int, plan: MissionPlan, *,
                      actor: str) -> None:
        self._launching[waiting.incident_id] = None
        self._spawn(self._launch(waiting, system_id, plan, actor),
                    f"launch incident {waiting.incident_id}")

    async def _launch(self, waiting: Waiting, system_id: int, plan: MissionPlan,
                      actor: str) -> None:
        incident_id = waiting.incident_id
        vehicle = self.fleet.vehicles.get(system_id)
        with self._tx() as s:
            mission = create_mission(s, MissionCreate(
                incident_id=incident_id, vehicle_system_id=system_id,
                template_id=plan.template_id or waiting.playbook.id,
                pattern=plan.pattern or "", params=dict(plan.params),
                items=items_to_json(plan.items), flight_time_s=plan.flight_time_s,
                distance_m=plan.distance_horizontal_m), created_by=actor)
        flight = Flight(system_id, mission.id, list(plan.items), scene_seq(plan.items),
                        return_seq(plan.items), incident_id=incident_id)
        self._tags[system_id] = (incident_id, mission.id)
        self._move(incident_id, S.LAUNCHING, actor=actor, mission_id=mission.id,
                   vehicle_system_id=system_id)
        try:
            if vehicle is None:
                raise DispatchError(f"vehicle {system_id} has no link", field="system_id",
                                    value=system_id)
            with self._tx() as s:
                set_mission_state(s, mission.id, MissionState.UPLOADING, actor=actor)
            await vehicle.upload_mission(plan.items, actor=actor)
            if waiting.reported_at is not None:
                self.takeoff_latency_s[incident_id] = (
                    self.clock.now() - waiting.reported_at).total_seconds()
            await vehicle.start_mission(actor=actor)
            if waiting.reported_at is not None:
                self.takeoff_accepted_s[incident_id] = (
                    self.clock.now() - waiting.reported_at).total_seconds()
        except (FlightError, DispatchError) as exc:
            await self._launch_refused(waiting, flight, vehicle, exc)
            return
        finally:
            recalled_by = self._launching.pop(incident_id, None)
        self.waiting.pop(incident_id, None)
        self.flights[system_id] = flight
        flight.phase = Phase.EN_ROUTE
        self._sync_register()
        with self._tx() as s:
            set_mission_state(s, mission.id, MissionState.FLYING, actor=actor)
        self._move(incident_id, S.EN_ROUTE, actor=actor)
        if recalled_by is not None:
            await self.recall(incident_id, actor=recalled_by)
        await self._follow(flight)

    async def _launch_refused(self, waiting: Waiting, flight: Flight, vehicle: Any,
                              exc: DispatchError | FlightError) -> None:
        sid = flight.system_id
        self._tags.pop(sid, None)
        message = f"vehicle {sid} refused: {exc.message}"
        with self._tx() as s:
            set_mission_state(s, flight.mission_id, MissionState.FAILED, actor=DISPATCHER,
                              message=message, data=exc.to_dict())
        if vehicle is not None and vehicle.state.armed:
            try:
                await vehicle.disarm(actor=DISPATCHER)
            except FlightError:
                log.warning("could not disarm vehicle %s after a refused launch", sid)
        self.busy.pop(sid, None)
        self._sync_register()
        waiting.set_aside[sid] = self.clock.now() + dt.timedelta(
            seconds=self.retry_refused_after_s)
        self._alert("warning", f"incident {waiting.incident_id}: {message}; trying the next "
                    "drone", incident_id=waiting.incident_id, system_id=sid)
        self._move(waiting.incident_id, S.QUEUED, actor=DISPATCHER, reason=message,
                   vehicle_system_id=None, mission_id=None)
        self.wake()

    # ------------------------------------------------------------------ following

    async def _follow(self, flight: Flight) -> None:
        """Follow a flight from telemetry to its landing; then close what it flew for."""
        while True:
            vehicle = self.fleet.vehicles.get(flight.system_id)
            if vehicle is not None:
                state = vehicle.state
                self._progress(flight, state)
                self._watch_link(flight, state.link_lost)
                phase = observe(flight, state)
                if phase != flight.phase:
                    self._enter_phase(flight, phase)
                self.track.observe(flight.mission_id, state, phase=flight.phase)
                if flight.phase == Phase.LANDED:
                    break
            await asyncio.sleep(self.poll_s)
        self._finish(flight)

    def _watch_link(self, flight: Flight, lost: bool) -> None:
        """Alert when the link drops; fail what the drone flies for after ``lost_contact_s``
        without it (the drone is still followed and freed if it comes back and lands)."""
        now = asyncio.get_running_loop().time()
        if not lost:
            if flight.lost_since is not None:
                self._alert("info", f"{flight.label}: link to vehicle {flight.system_id} back",
                            system_id=flight.system_id)
                flight.lost_since = None
                self._sync_register()
            return
        if flight.lost_since is None:
            flight.lost_since = now
            self._alert("warning", f"{flight.label}: link to vehicle {flight.system_id} lost",
                        system_id=flight.system_id)
            self._sync_register()
        if flight.lost_reported or now - flight.lost_since < self.lost_contact_s:
            return
        flight.lost_reported = True
        reason = (f"lost contact with vehicle {flight.system_id} for "
                  f"{self.lost_contact_s:g} s during the flight")
        self._alert("error", f"{flight.label}: {reason}", system_id=flight.system_id,
                    incident_id=flight.incident_id)
        with self._tx() as s:
            set_mission_state(s, flight.mission_id, MissionState.FAILED, actor=DISPATCHER,
                              message=reason)
            if flight.patrol_run_id is not None:
                finish_patrol_run(s, flight.patrol_run_id, PatrolRunStatus.FAILED, reason=reason)
        if flight.incident_id is not None:
            with self.store.read_session() as s:
                current = IncidentState(get_incident(s, flight.incident_id).state)
            if current not in FINAL:
                self._move(flight.incident_id, S.FAILED, actor=DISPATCHER, reason=reason)

    def _progress(self, flight: Flight, state: Any) -> None:
        seq = state.mission_current_seq
        if seq is None or seq == flight.last_seq or flight.handed_over_to is not None:
            return
        flight.last_seq = seq
        with self._tx() as s:
            set_mission_progress(s, flight.mission_id, seq)
        self.bus.publish("mission.progress", {
            "mission_id": flight.mission_id, "incident_id": flight.incident_id,
            "patrol_run_id": flight.patrol_run_id, "system_id": flight.system_id,
            "current_seq": seq, "item_count": len(flight.items), "phase": flight.phase.name,
        })

    def _enter_phase(self, flight: Flight, phase: Phase) -> None:
        previous, flight.phase = flight.phase, phase
        log.info("%s: %s -> %s", flight.label, previous.name, phase.name)
        self._sync_register()
        if phase == Phase.RETURNING:
            with self._tx() as s:
                set_mission_state(s, flight.mission_id, MissionState.RETURNING,
                                  actor=flight.recalled_by or DISPATCHER)
        if flight.incident_id is None:
            return
        targets = {Phase.EN_ROUTE: S.EN_ROUTE, Phase.ON_SCENE: S.ON_SCENE,
                   Phase.RETURNING: S.RETURNING}
        target = targets.get(phase)
        if target is None:
            return
        with self.store.read_session() as s:
            current = IncidentState(get_incident(s, flight.incident_id).state)
        if current == target or current in FINAL:
            return
        self._move(flight.incident_id, target, actor=flight.recalled_by or DISPATCHER)

    def _finish(self, flight: Flight) -> None:
        self.flights.pop(flight.system_id, None)
        self._tags.pop(flight.system_id, None)
        self.busy.pop(flight.system_id, None)
        vehicle = self.fleet.vehicles.get(flight.system_id)
        self.track.finish(flight.mission_id, vehicle.state if vehicle is not None else None)
        self._sync_register()
        end_state = MissionState.ABORTED if flight.recalled_by else MissionState.COMPLETED
        if not flight.lost_reported:
            with self._tx() as s:
                set_mission_state(s, flight.mission_id, end_state, actor=DISPATCHER,
                                  message="landed")
        if flight.incident_id is not None:
            with self.store.read_session() as s:
                current = IncidentState(get_incident(s, flight.incident_id).state)
            if current not in FINAL:
                reason = (f"recalled by {flight.recalled_by}; drone landed"
                          if flight.recalled_by else "first flight flown; drone landed")
                if current in (S.EN_ROUTE, S.LAUNCHING):
                    self._move(flight.incident_id, S.RETURNING, actor=DISPATCHER)
                self._move(flight.incident_id, S.CLOSED, actor=DISPATCHER, reason=reason)
        if flight.patrol_run_id is not None and not flight.lost_reported:
            status = PatrolRunStatus.FAILED if flight.recalled_by else PatrolRunStatus.COMPLETED
            with self._tx() as s:
                finish_patrol_run(s, flight.patrol_run_id, status,
                                  reason=f"recalled by {flight.recalled_by}"
                                  if flight.recalled_by else "")
        self.bus.publish("mission.progress", {
            "mission_id": flight.mission_id, "incident_id": flight.incident_id,
            "patrol_run_id": flight.patrol_run_id, "system_id": flight.system_id,
            "current_seq": flight.last_seq, "item_count": len(flight.items),
            "phase": Phase.LANDED.name,
        })
        self.wake()

    # ------------------------------------------------------------------ operator actions

    def _flight_of(self, incident_id: int) -> Flight:
        for flight in self.flights.values():
            if flight.incident_id == incident_id:
                return flight
        raise IncidentNotActive(f"incident {incident_id} has no drone in the air",
                                field="incident_id", value=incident_id)

    def _vehicle(self, system_id: int) -> Any:
        vehicle = self.fleet.vehicles.get(system_id)
        if vehicle is None:
            raise DispatchError(f"vehicle {system_id} has no link", field="system_id",
                                value=system_id)
        return vehicle

    async def recall(self, incident_id: int, *, actor: str) -> IncidentPublic:
        """Send the incident's drone home (RTL); the incident closes when it lands. During
        the launch, the drone is sent home as soon as it has started."""
        if incident_id in self._launching and not any(
            f.incident_id == incident_id for f in self.flights.values()
        ):
            self._launching[incident_id] = actor
            with self._tx() as s:
                add_mission_event(s, kind="recall", actor=actor, incident_id=incident_id,
                                  message="recall asked during the launch")
            with self.store.read_session() as s:
                return get_incident(s, incident_id)
        flight = self._flight_of(incident_id)
        await self._vehicle(flight.system_id).rtl(actor=actor)
        flight.recalled_by = actor
        flight.handed_over_to = None
        with self._tx() as s:
            add_mission_event(s, kind="recall", actor=actor, mission_id=flight.mission_id,
                              incident_id=incident_id)
        if flight.phase < Phase.RETURNING:
            self._enter_phase(flight, Phase.RETURNING)
        with self.store.read_session() as s:
            return get_incident(s, incident_id)

    async def redirect(self, incident_id: int, latitude_deg: float, longitude_deg: float, *,
                       actor: str) -> IncidentPublic:
        """Send the incident's drone to a new point, with the playbook's flight there: the
        point and the new plan pass the safety checks before anything is sent."""
        flight = self._flight_of(incident_id)
        if flight.handed_over_to is not None:
            raise HandoverError(f"vehicle {flight.system_id} is with pilot "
                                f"{flight.handed_over_to}; release it first",
                                field="incident_id", value=incident_id)
        if flight.phase >= Phase.RETURNING:
            raise IncidentNotActive(f"incident {incident_id} is returning; cannot redirect",
                                    field="incident_id", value=incident_id)
        with self.store.read_session() as s:
            incident = get_incident(s, incident_id)
        playbook = self.playbooks.get(incident.playbook_id)
        point = (latitude_deg, longitude_deg)
        zone = self.no_fly.zone_at(point) if len(self.no_fly) else None
        if zone is not None:
            raise NoFlyZoneError(f"the new point is inside the no-fly zone {zone.name}",
                                 field="latitude_deg", value=[latitude_deg, longitude_deg],
                                 limit=zone.name)
        vehicle = self._vehicle(flight.system_id)
        here = (vehicle.state.latitude_deg, vehicle.state.longitude_deg)
        crossed = self.no_fly.zone_on_leg(here, point) if len(self.no_fly) else None
        if crossed is not None:
            raise NoFlyZoneError(f"the way to the new point crosses the no-fly zone "
                                 f"{crossed.name}", field="latitude_deg",
                                 value=[latitude_deg, longitude_deg], limit=crossed.name)
        plan = plan_incident_flight(playbook, point, self._profile(flight.system_id),
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
        with self._tx() as s:
            set_mission_state(s, flight.mission_id, MissionState.FLYING, actor=actor,
                              message="redirected",
                              data={"latitude_deg": latitude_deg, "longitude_deg": longitude_deg},
                              items=items_to_json(plan.items), item_count=len(plan.items))
            update_incident_fields(s, incident_id, latitude_deg=latitude_deg,
                                   longitude_deg=longitude_deg)
            append_audit(s, actor=actor, action="incident.redirect", target_type="incident",
                         target_id=incident_id, details={"latitude_deg": latitude_deg,
                                                         "longitude_deg": longitude_deg})
        if flight.phase == Phase.ON_SCENE:
            flight.phase = Phase.EN_ROUTE
            self._move(incident_id, S.EN_ROUTE, actor=actor, reason="redirected")
        with self.store.read_session() as s:
            return get_incident(s, incident_id)

    # ------------------------------------------------------------------ pilot handover

    async def take_over(self, system_id: int, *, actor: str) -> None:
        """A pilot takes the drone: it stops where it is (BRAKE or LOITER) and waits."""
        await handover.take_over(self, system_id, actor=actor)

    async def pilot_goto(self, system_id: int, latitude_deg: float, longitude_deg: float,
                         relative_altitude_m: float, *, actor: str) -> None:
        """A pilot flies the drone to a point (GUIDED), checked first; only the pilot who
        took the drone over may."""
        await handover.pilot_goto(self, system_id, latitude_deg, longitude_deg,
                                  relative_altitude_m, actor=actor)

    def check_point(self, latitude_deg: float, longitude_deg: float,
                    relative_altitude_m: float, *, start: tuple[float, float] | None = None
                    ) -> None:
        """Refuse a point over the ceiling, inside a no-fly zone, or behind one."""
        handover.check_point(self, latitude_deg, longitude_deg, relative_altitude_m,
                             start=start)

    async def release(self, system_id: int, *, actor: str) -> None:
        """The pilot gives the drone back: the mission resumes where it stopped."""
        await handover.release(self, system_id, actor=actor)

    # ------------------------------------------------------------------ patrols

    async def launch_patrol(self, patrol: PatrolSchedulePublic, scheduled_for: dt.datetime
                            ) -> int:
        """Fly one run of a patrol now, or record it as skipped with why; the run id."""
        return await patrol_launch.launch_patrol(self, patrol, scheduled_for)

    # ------------------------------------------------------------------ restart recovery

    def _recover(self) -> None:
        recovery.recover(self)

    # ------------------------------------------------------------------ views

    def active_flights(self) -> list[dict[str, Any]]:
        """JSON-ready view of the flights being followed."""
        return [
            {"system_id": f.system_id, "mission_id": f.mission_id, "incident_id": f.incident_id,
             "patrol_run_id": f.patrol_run_id, "phase": f.phase.name.lower(),
             "handed_over_to": f.handed_over_to, "recalled_by": f.recalled_by,
             "current_seq": f.last_seq, "item_count": len(f.items)}
            for f in self.flights.values()
        ]

    def queue(self) -> list[dict[str, Any]]:
        """The incidents waiting, in the order they will be served."""
        order = sorted(self.waiting.values(), key=lambda w: (w.priority, w.incident_id))
        return [{"incident_id": w.incident_id, "priority": w.priority, "state": w.state.value,
                 "reason": w.reason,
                 "held_vehicle": w.held.system_id if w.held else None} for w in order]

    async def require_drone(self, incident_id: int) -> Candidate:
        """The best drone for an incident now, or :class:`NoDroneAvailable` with reasons."""
        choice = self.propose(incident_id)
        if choice.best is None:
            raise NoDroneAvailable(choice.reasons(), field="incident_id", value=incident_id,
                                   rejected=choice.to_dict()["rejected"])
        return choice.best
