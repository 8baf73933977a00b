"""Restart recovery: the queue and the flights rebuilt from the store; each flight in the
air is found again on its link and followed to its end, one that never took off is queued
again, one that landed meanwhile is closed. Functions of the
:class:`~jinghang.dispatch.dispatcher.Dispatcher`."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from jinghang.dispatch.flights import Flight, Phase
from jinghang.dispatch.lifecycle import FINAL, IncidentState
from jinghang.dispatch.planning import (
    items_from_json,
    return_seq,
    scene_seq,
)
from jinghang.dispatch.waiting import Waiting
from jinghang.store import (
    MissionState,
    get_incident,
    list_missions,
    list_open_incidents,
    set_mission_state,
)

if TYPE_CHECKING:
    from jinghang.dispatch.dispatcher import Dispatcher

S = IncidentState
DISPATCHER = "dispatcher"


def recover(d: Dispatcher) -> None:
    """Rebuild the queue and the flights from the store; follow flights in the air."""
    with d.store.read_session() as s:
        open_incidents = list_open_incidents(s)
        active = list_missions(s, active_only=True, limit=1000)
    for incident in open_incidents:
        state = IncidentState(incident.state)
        playbook = d.playbooks.get(incident.playbook_id)
        point = (incident.latitude_deg, incident.longitude_deg)
        if state in (S.REPORTED, S.QUEUED, S.ASSIGNED):
            waiting = Waiting(
                incident.id,
                playbook,
                point,
                incident.priority,
                incident.area,
                state,
                reason=incident.reason,
            )
            d.waiting[incident.id] = waiting
            if state == S.ASSIGNED:
                d._move(
                    incident.id,
                    S.QUEUED,
                    actor=DISPATCHER,
                    reason="the server restarted before the launch; choosing again",
                    vehicle_system_id=None,
                )
    for mission in active:
        if mission.vehicle_system_id is None:
            continue
        if mission.incident_id is None and mission.patrol_run_id is None:
            continue
        items = items_from_json(mission.items)
        flight = Flight(
            mission.vehicle_system_id,
            mission.id,
            items,
            scene_seq(items),
            return_seq(items),
            incident_id=mission.incident_id,
            patrol_run_id=mission.patrol_run_id,
            last_seq=mission.current_seq,
        )
        incident_state = None
        if mission.incident_id is not None:
            with d.store.read_session() as s:
                incident_state = IncidentState(get_incident(s, mission.incident_id).state)
            if incident_state in FINAL:
                continue
        flight.phase = (
            {
                S.ON_SCENE: Phase.ON_SCENE,
                S.RETURNING: Phase.RETURNING,
            }.get(incident_state, Phase.EN_ROUTE)
            if incident_state
            else Phase.EN_ROUTE
        )
        if mission.state == MissionState.PAUSED.value:
            flight.handed_over_to = "pilot (before restart)"
        d.flights[flight.system_id] = flight
        d.busy[flight.system_id] = flight.label
        d._tags[flight.system_id] = (flight.incident_id, flight.mission_id)
        d._spawn(
            _recover_flight(d, flight, mission.state, incident_state), f"recover {flight.label}"
        )


async def _recover_flight(
    d: Dispatcher, flight: Flight, mission_state: str, incident_state: S | None
) -> None:
    vehicle = None
    try:
        async with asyncio.timeout(d.recovery_wait_s):
            while vehicle is None or not vehicle.state.has_position:
                vehicle = d.fleet.vehicles.get(flight.system_id)
                await asyncio.sleep(d.poll_s)
    except TimeoutError:
        d._alert(
            "warning",
            f"{flight.label}: vehicle {flight.system_id} did not come "
            "back after the restart; still waiting for it",
            system_id=flight.system_id,
        )
        await d._follow(flight)
        return
    assert vehicle is not None
    if vehicle.state.armed:
        flight.took_off = True
        d._alert(
            "info",
            f"{flight.label}: following vehicle {flight.system_id} again after the restart",
            system_id=flight.system_id,
        )
        if incident_state == S.LAUNCHING and flight.incident_id is not None:
            d._move(
                flight.incident_id,
                S.EN_ROUTE,
                actor=DISPATCHER,
                reason="found in the air after the restart",
            )
        await d._follow(flight)
        return
    # on the ground (landed while we were away, or never took off)
    if incident_state == S.LAUNCHING and flight.incident_id is not None:
        d.flights.pop(flight.system_id, None)
        d.busy.pop(flight.system_id, None)
        with d._tx() as s:
            set_mission_state(
                s,
                flight.mission_id,
                MissionState.FAILED,
                actor=DISPATCHER,
                message="not in the air after the restart",
            )
        playbook_id = None
        with d.store.read_session() as s:
            incident = get_incident(s, flight.incident_id)
            playbook_id = incident.playbook_id
        d.waiting[flight.incident_id] = Waiting(
            flight.incident_id,
            d.playbooks.get(playbook_id),
            (incident.latitude_deg, incident.longitude_deg),
            incident.priority,
            incident.area,
            S.LAUNCHING,
        )
        d._move(
            flight.incident_id,
            S.QUEUED,
            actor=DISPATCHER,
            reason="the launch did not complete before the restart",
            vehicle_system_id=None,
            mission_id=None,
        )
        d.wake()
        return
    flight.took_off = True
    flight.phase = Phase.LANDED
    d._finish(flight)
