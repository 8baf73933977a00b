"""The API's side of the dispatcher: the running :class:`~jinghang.dispatch.dispatcher.
Dispatcher` of a server (a clear 503 problem when a server runs without one), the incident's
record (timeline, missions, commands, audit entries) and a drone proposal for a point."""

from __future__ import annotations

from typing import Any

from jinghang.api import audit
from jinghang.api.services import Services
from jinghang.api.tracks import incident_track, track_json
from jinghang.dispatch.board import task_for
from jinghang.dispatch.dispatcher import Dispatcher
from jinghang.errors import JinghangError
from jinghang.store.commands import list_commands
from jinghang.store.incidents import get_incident
from jinghang.store.missions import list_events, list_missions


class DispatcherUnavailable(JinghangError):
    status_code = 503
    title = "Dispatcher not running"


def dispatcher_of(services: Services) -> Dispatcher:
    dispatcher = services.dispatcher
    if dispatcher is None:
        raise DispatcherUnavailable(
            "this server runs without a dispatcher (no fleet configured)", field="dispatcher"
        )
    assert isinstance(dispatcher, Dispatcher)
    return dispatcher


def proposal_for_point(
    services: Services, playbook_id: str, latitude_deg: float, longitude_deg: float
) -> dict[str, Any]:
    """Which drones could fly this playbook at this point now, and why the others can't."""
    dispatcher = dispatcher_of(services)
    playbook = dispatcher.playbooks.get(playbook_id)
    point = (latitude_deg, longitude_deg)
    parts, reference = dispatcher.plan_work(playbook_id, point)
    zone = dispatcher.no_fly.zone_at(point)
    out = dict(dispatcher.choose(task_for(playbook, point, dispatcher.limits, parts[0]))
               .to_dict())
    out["no_fly_zone"] = zone.name if zone is not None else None
    out["playbook"] = playbook.to_dict()
    out["work"] = dispatcher.work_summary(playbook_id, parts, reference, point)
    out["default_area_m"] = playbook.search_box_m
    return out


def incident_record(services: Services, incident_id: int) -> dict[str, Any]:
    """Everything about an incident: its state, timeline, missions (with the planned path),
    the track flown (sampled positions, in time order), the commands sent to its drones with
    their answers, and its audit entries."""
    with services.store.read_session() as session:
        incident = get_incident(session, incident_id)
        events = list_events(session, incident_id=incident_id)
        missions = list_missions(session, incident_id=incident_id)
        commands = list_commands(session, incident_id=incident_id)
        track = incident_track(session, missions)
    path = [
        [item["latitude_deg"], item["longitude_deg"]]
        for mission in missions
        for item in (mission.items or [])
        if isinstance(item, dict) and (item.get("latitude_deg") or item.get("longitude_deg"))
    ]
    entries = audit.entries(
        services, target_type="incident", target_id=str(incident_id), limit=1000
    )
    return {
        "incident": incident.model_dump(mode="json"),
        "events": [e.model_dump(mode="json") for e in events],
        "missions": [m.model_dump(mode="json") for m in missions],
        "commands": [c.model_dump(mode="json") for c in commands],
        "audit": [e.model_dump(mode="json") for e in entries],
        "path": path,
        "track": track_json(track),
    }
