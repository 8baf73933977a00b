"""Incidents as cases: report one (a commander, or a 110/CAD system with the commander role),
see the drone proposal, add a sortie (a named drone, another playbook), confirm a launch (a
pilot other than the dispatcher: two-person rule), close with an outcome, cancel, recall,
redirect; read the list (each case with its state, outcome, sorties and unassigned reasons),
one case, and its full record."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from jinghang.api.deps import Commander, Flyer, Reader, ServicesDep, note_audit
from jinghang.api.dispatching import dispatcher_of, incident_record, proposal_for_point
from jinghang.api.limits import Offset, RowId
from jinghang.dispatch.lifecycle import OUTCOMES
from jinghang.limits import MAX_DRONE_ID
from jinghang.store.incidents import get_incident, list_incidents
from jinghang.store.schemas import IncidentCreate, IncidentPublic

router = APIRouter(prefix="/incidents", tags=["incidents"])


class Reported(BaseModel):
    incident: IncidentPublic
    choice: dict[str, Any] | None = Field(description="drones that can go, and why others can't")
    work: dict[str, Any] | None = Field(
        default=None, description="the work cut into battery-sized parts, one sortie each")


class ProposalRequest(BaseModel):
    playbook_id: str = Field(pattern=r"^P(0[1-9]|1[0-9])$")
    latitude_deg: float = Field(ge=-90, le=90, strict=True)
    longitude_deg: float = Field(ge=-180, le=180, strict=True)


class Redirect(BaseModel):
    latitude_deg: float = Field(ge=-90, le=90, strict=True)
    longitude_deg: float = Field(ge=-180, le=180, strict=True)


class Cancel(BaseModel):
    reason: str = Field(default="", max_length=512)


class Close(BaseModel):
    outcome: str = Field(pattern="^(" + "|".join(OUTCOMES) + ")$",
                         description="one of " + ", ".join(OUTCOMES))
    note: str = Field(default="", max_length=2000)


class NewSortie(BaseModel):
    drone_id: int | None = Field(default=None, ge=1, le=MAX_DRONE_ID,
                                  description="the drone to send; the best one when omitted")
    playbook_id: str | None = Field(default=None, pattern=r"^P(0[1-9]|1[0-9])$",
                                    description="another playbook; the case's when omitted")


@router.post("", response_model=Reported, status_code=201, summary="Report an incident")
async def report(
    request: Request, services: ServicesDep, who: Commander, new: IncidentCreate
) -> Reported:
    dispatcher = dispatcher_of(services)
    note_audit(request, "incident.report.request", "incident", "", playbook_id=new.playbook_id)
    result = await dispatcher.report_incident(new, actor=who.username)
    request.state.audit["target_id"] = str(result.incident.id)
    return Reported(
        incident=result.incident,
        choice=result.choice.to_dict() if result.choice is not None else None,
        work=dispatcher.work_of(result.incident.id),
    )


@router.get("", response_model=list[IncidentPublic])
async def incidents(
    services: ServicesDep,
    _: Reader,
    state: Annotated[str | None, Query(pattern="^(open|closed|cancelled)$")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    offset: Offset = 0,
) -> list[IncidentPublic]:
    with services.store.read_session() as session:
        return list_incidents(session, state=state, limit=limit, offset=offset)


@router.post("/proposal", summary="Which drone would fly a playbook at a point, and why")
async def proposal(services: ServicesDep, _: Reader, ask: ProposalRequest) -> dict[str, Any]:
    return proposal_for_point(services, ask.playbook_id, ask.latitude_deg, ask.longitude_deg)


@router.get("/queue", summary="Incidents waiting for a drone, in serving order")
async def queue(services: ServicesDep, _: Reader) -> list[dict[str, Any]]:
    return dispatcher_of(services).queue()


@router.get("/{incident_id}", response_model=IncidentPublic)
async def incident(services: ServicesDep, _: Reader, incident_id: RowId) -> IncidentPublic:
    with services.store.read_session() as session:
        return get_incident(session, incident_id)


@router.get("/{incident_id}/proposal", summary="The drone choice for this incident now")
async def incident_proposal(services: ServicesDep, _: Reader, incident_id: RowId) -> dict[str, Any]:
    dispatcher = dispatcher_of(services)
    out = dict(dispatcher.propose(incident_id).to_dict())
    out["work"] = dispatcher.work_of(incident_id)
    return out


@router.get("/{incident_id}/record", summary="Timeline, missions, commands and audit entries")
async def record(services: ServicesDep, _: Reader, incident_id: RowId) -> dict[str, Any]:
    if services.writer is not None:  # the rows handed to the store writer so far are in
        await services.writer.settle()
    return incident_record(services, incident_id)


@router.post(
    "/{incident_id}/confirm",
    response_model=IncidentPublic,
    summary="A pilot other than the dispatcher confirms the launch (two-person rule)",
)
async def confirm(
    request: Request, services: ServicesDep, who: Flyer, incident_id: RowId
) -> IncidentPublic:
    note_audit(request, "incident.confirm.request", "incident", incident_id)
    return await dispatcher_of(services).confirm(
        incident_id, actor=who.username, role=str(who.role)
    )


@router.post(
    "/{incident_id}/sorties",
    response_model=IncidentPublic,
    status_code=201,
    summary="Add a sortie to an open case: a named drone (checked now) or the best one",
)
async def add_sortie(
    request: Request,
    services: ServicesDep,
    who: Commander,
    incident_id: RowId,
    body: NewSortie | None = None,
) -> IncidentPublic:
    ask = body or NewSortie()
    note_audit(request, "incident.sortie.request", "incident", incident_id,
               drone_id=ask.drone_id, playbook_id=ask.playbook_id)
    return await dispatcher_of(services).add_sortie(
        incident_id, actor=who.username, drone_id=ask.drone_id, playbook_id=ask.playbook_id
    )


@router.post(
    "/{incident_id}/close",
    response_model=IncidentPublic,
    summary="Close the case with an outcome (drones still out are sent home)",
)
async def close(
    request: Request, services: ServicesDep, who: Commander, incident_id: RowId, body: Close
) -> IncidentPublic:
    note_audit(request, "incident.close.request", "incident", incident_id,
               outcome=body.outcome)
    return await dispatcher_of(services).close(
        incident_id, actor=who.username, outcome=body.outcome, note=body.note
    )


@router.post("/{incident_id}/cancel", response_model=IncidentPublic)
async def cancel(
    request: Request,
    services: ServicesDep,
    who: Commander,
    incident_id: RowId,
    body: Cancel | None = None,
) -> IncidentPublic:
    note_audit(request, "incident.cancel.request", "incident", incident_id)
    reason = body.reason if body is not None else ""
    return await dispatcher_of(services).cancel(incident_id, actor=who.username, reason=reason)


@router.post(
    "/{incident_id}/recall",
    response_model=IncidentPublic,
    summary="Send the incident's drone home (RTL)",
)
async def recall(
    request: Request, services: ServicesDep, who: Commander, incident_id: RowId
) -> IncidentPublic:
    note_audit(request, "incident.recall", "incident", incident_id)
    return await dispatcher_of(services).recall(incident_id, actor=who.username)


@router.post(
    "/{incident_id}/redirect",
    response_model=IncidentPublic,
    summary="Send the incident's drone to a new point (checked first)",
)
async def redirect(
    request: Request, services: ServicesDep, who: Commander, incident_id: RowId, to: Redirect
) -> IncidentPublic:
    note_audit(
        request,
        "incident.redirect.request",
        "incident",
        incident_id,
        latitude_deg=to.latitude_deg,
        longitude_deg=to.longitude_deg,
    )
    return await dispatcher_of(services).redirect(
        incident_id, to.latitude_deg, to.longitude_deg, actor=who.username
    )
