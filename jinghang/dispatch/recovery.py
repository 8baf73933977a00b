"""Restart recovery: cases, sorties and flights rebuilt from the store. A sortie that waited
for a drone waits again (the case stays unassigned until the board finds one), one held for
a pilot's confirmation is held again with its drone, each flight in the air is found again on
its link and followed to its end, one that never took off fails (and a new sortie waits in
its place), one that landed meanwhile is ended. Patrol runs in the air are followed the same
way. Uses only the :class:`~jinghang.dispatch.dispatcher.Dispatcher`'s public parts; writes go
through its journal's store writer. A drone that does not come back raises the coded alert
``drone.missing_after_restart``; one found in the air again is the coded ``sortie`` event
``flight.followed_again``."""

from __future__ import annotations

import asyncio
from functools import partial
from typing import TYPE_CHECKING

from jinghang.dispatch.board import Demand
from jinghang.dispatch.flights import Flight, Phase
from jinghang.dispatch.lifecycle import SortieState
from jinghang.dispatch.planning import items_from_json, return_seq, scene_seq
from jinghang.store import (
    MissionState,
    create_sortie,
    list_missions,
    list_open_incidents,
    set_mission_state,
)

if TYPE_CHECKING:
    from jinghang.dispatch.dispatcher import Dispatcher

S = SortieState
DISPATCHER = "dispatcher"
_PHASES = {S.LAUNCHING: Phase.EN_ROUTE, S.EN_ROUTE: Phase.EN_ROUTE,
           S.ON_SCENE: Phase.ON_SCENE, S.RETURNING: Phase.RETURNING}


def recover(d: Dispatcher) -> None:
    """Rebuild the waiting sorties and the flights from the store; follow flights in the
    air (cases and patrol runs)."""
    with d.journal.read() as s:
        open_cases = list_open_incidents(s)
        active = {m.id: m for m in list_missions(s, active_only=True, limit=1000)}
    flown_missions: set[int] = set()
    for case in open_cases:
        playbook_of = d.playbooks.get
        point = (case.latitude_deg, case.longitude_deg)
        for sortie in case.sorties:
            state = SortieState(sortie.state)
            if state in (S.PLANNED, S.WAITING_PILOT):
                demand = Demand(case.id, sortie.id, playbook_of(sortie.playbook_id), point,
                                case.priority, case.area, sortie.dispatched_by,
                                reasons=list(case.unassigned or []))
                d.demands[sortie.id] = demand
                if state == S.WAITING_PILOT and sortie.drone_id is not None:
                    demand.held_drone_id = sortie.drone_id
                    d.claim(sortie.drone_id, f"incident {case.id}")
                continue
            if state not in _PHASES or sortie.mission_id is None:
                continue
            mission = active.get(sortie.mission_id)
            if mission is None or mission.drone_id is None:
                d.spawn(_fail_sortie(d, case.id, sortie.id, sortie.playbook_id,
                                     sortie.dispatched_by,
                                     "the flight record was not found after the restart"),
                        f"replace sortie {sortie.id}")
                continue
            flown_missions.add(mission.id)
            items = items_from_json(mission.items)
            flight = Flight(mission.drone_id, mission.id, items, scene_seq(items),
                            return_seq(items), incident_id=case.id, sortie_id=sortie.id,
                            last_seq=mission.current_seq, phase=_PHASES[state])
            if mission.state == MissionState.PAUSED.value:
                flight.handed_over_to = "pilot (before restart)"
            d.add_flight(flight)
            d.spawn(_recover_flight(d, flight, state), f"recover {flight.label}")
    for mission in active.values():
        if mission.id in flown_missions or mission.patrol_run_id is None:
            continue
        if mission.drone_id is None:
            continue
        items = items_from_json(mission.items)
        flight = Flight(mission.drone_id, mission.id, items, scene_seq(items),
                        return_seq(items), patrol_run_id=mission.patrol_run_id,
                        last_seq=mission.current_seq, phase=Phase.EN_ROUTE)
        if mission.state == MissionState.PAUSED.value:
            flight.handed_over_to = "pilot (before restart)"
        d.add_flight(flight)
        d.spawn(_recover_flight(d, flight, None), f"recover {flight.label}")


async def _fail_sortie(d: Dispatcher, case_id: int, sortie_id: int, playbook_id: str,
                       dispatched_by: str, reason: str) -> None:
    """End a sortie that did not survive the restart; a new one waits in its place."""
    d.journal.move_sortie(sortie_id, S.FAILED, actor=DISPATCHER, reason=reason,
                          code="sortie.lost_in_restart")
    d.journal.event("sortie", "sortie.failed", case_id=case_id, sortie_id=sortie_id,
                    reason_code="sortie.lost_in_restart", reason=reason)
    case = d.journal.case(case_id)
    playbook = d.playbooks.get(playbook_id)
    again = await d.journal.write(partial(
        create_sortie, incident_id=case_id, playbook_id=playbook_id, dispatched_by=dispatched_by,
        needs_confirmation=playbook.pilot_confirmation),
        what=f"another sortie for incident {case_id}")
    d.demands[again.id] = Demand(case_id, again.id, playbook,
                                 (case.latitude_deg, case.longitude_deg), case.priority,
                                 case.area, dispatched_by)
    d.wake()


async def _recover_flight(d: Dispatcher, flight: Flight, state: SortieState | None) -> None:
    vehicle = None
    try:
        async with asyncio.timeout(d.recovery_wait_s):
            # its position and a heartbeat (which says whether it is armed) both heard
            while vehicle is None or not vehicle.state.has_position or \
                    vehicle.state.last_heartbeat_monotonic_s is None:
                vehicle = d.fleet.vehicles.get(flight.drone_id)
                await asyncio.sleep(d.poll_s)
    except TimeoutError:
        d.journal.event("sortie", "drone.missing_after_restart", drone_id=flight.drone_id,
                        case_id=flight.incident_id, sortie_id=flight.sortie_id,
                        patrol_run_id=flight.patrol_run_id, waited_s=d.recovery_wait_s)
        await d.follow(flight)
        return
    assert vehicle is not None
    if vehicle.state.armed:
        flight.took_off = True
        d.journal.event("sortie", "flight.followed_again", drone_id=flight.drone_id,
                        case_id=flight.incident_id, sortie_id=flight.sortie_id,
                        patrol_run_id=flight.patrol_run_id)
        if state == S.LAUNCHING and flight.sortie_id is not None:
            d.journal.move_sortie(flight.sortie_id, S.EN_ROUTE, actor=DISPATCHER,
                                  reason="found in the air after the restart")
        await d.follow(flight)
        return
    # on the ground (landed while we were away, or never took off)
    if state == S.LAUNCHING and flight.sortie_id is not None and flight.incident_id is not None:
        d.flights.pop(flight.drone_id, None)
        d.unclaim(flight.drone_id)
        d.journal.post(partial(set_mission_state, mission_id=flight.mission_id,
                               to_state=MissionState.FAILED, actor=DISPATCHER,
                               message="not in the air after the restart"),
                       what=f"mission {flight.mission_id} failed")
        sortie = d.journal.sortie(flight.sortie_id)
        await _fail_sortie(d, flight.incident_id, flight.sortie_id, sortie.playbook_id,
                     sortie.dispatched_by, "the launch did not complete before the restart")
        return
    flight.took_off = True
    flight.phase = Phase.LANDED
    d.finish(flight)
