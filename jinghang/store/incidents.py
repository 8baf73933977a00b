"""Incidents: report, read, list the open ones, and record state changes.

The store records; it does not judge. Whether a state change is allowed is decided by
``jinghang.dispatch.lifecycle`` before :func:`set_incident_state` is called. Every state
change is also written as a :class:`~jinghang.store.models.MissionEvent` with the actor.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from jinghang.store.errors import NotFound
from jinghang.store.models import Incident, MissionEvent, utc_now
from jinghang.store.schemas import IncidentCreate, IncidentPublic

#: States after which an incident never moves again.
FINAL_STATES = frozenset({"closed", "cancelled", "failed"})


def create_incident(
    session: Session,
    data: IncidentCreate,
    *,
    reported_by: str,
    priority: int,
    needs_confirmation: bool = False,
) -> IncidentPublic:
    """Record a new incident in state ``reported``; ``priority`` is the resolved one
    (``data.priority`` or the playbook's default)."""
    now = utc_now()
    incident = Incident(
        playbook_id=data.playbook_id,
        title=data.title,
        description=data.description,
        latitude_deg=data.latitude_deg,
        longitude_deg=data.longitude_deg,
        area=data.area,
        priority=priority,
        state="reported",
        source=data.source,
        reported_by=reported_by,
        needs_confirmation=needs_confirmation,
        created_at=now,
        updated_at=now,
    )
    session.add(incident)
    session.flush()
    assert incident.id is not None
    session.add(
        MissionEvent(
            incident_id=incident.id,
            kind="incident.state",
            to_state="reported",
            actor=reported_by,
            created_at=now,
        )
    )
    session.flush()
    return IncidentPublic.model_validate(incident)


def _get(session: Session, incident_id: int) -> Incident:
    incident = session.get(Incident, incident_id)
    if incident is None:
        raise NotFound(f"no incident {incident_id}", field="incident_id", value=incident_id)
    return incident


def get_incident(session: Session, incident_id: int) -> IncidentPublic:
    return IncidentPublic.model_validate(_get(session, incident_id))


def list_incidents(
    session: Session, *, state: str | None = None, limit: int = 200, offset: int = 0
) -> list[IncidentPublic]:
    """Incidents, newest first."""
    query = select(Incident).order_by(col(Incident.id).desc()).offset(offset).limit(limit)
    if state is not None:
        query = query.where(Incident.state == state)
    return [IncidentPublic.model_validate(i) for i in session.exec(query).all()]


def list_open_incidents(session: Session) -> list[IncidentPublic]:
    """Incidents not yet closed, cancelled or failed: most urgent first, then oldest."""
    query = (
        select(Incident)
        .where(col(Incident.state).not_in(FINAL_STATES))
        .order_by(col(Incident.priority), col(Incident.id))
    )
    return [IncidentPublic.model_validate(i) for i in session.exec(query).all()]


def set_incident_state(
    session: Session,
    incident_id: int,
    to_state: str,
    *,
    actor: str,
    reason: str | None = None,
    data: dict[str, Any] | None = None,
    **fields: Any,
) -> IncidentPublic:
    """Move an incident to ``to_state`` (already checked by the caller), recording who did
    it and why. ``fields`` may set ``vehicle_system_id``, ``mission_id``, ``confirmed_by``."""
    allowed = {"vehicle_system_id", "mission_id", "confirmed_by", "needs_confirmation"}
    unknown = set(fields) - allowed
    if unknown:
        raise TypeError(f"set_incident_state cannot set {sorted(unknown)}")
    incident = _get(session, incident_id)
    from_state = incident.state
    now = utc_now()
    incident.state = to_state
    incident.updated_at = now
    if reason is not None:
        incident.reason = reason[:1024]
    for key, value in fields.items():
        setattr(incident, key, value)
    if to_state in FINAL_STATES:
        incident.closed_at = now
    session.add(incident)
    session.add(
        MissionEvent(
            incident_id=incident_id,
            mission_id=incident.mission_id,
            kind="incident.state",
            from_state=from_state,
            to_state=to_state,
            actor=actor,
            message=(reason or "")[:1024],
            data=data,
            created_at=now,
        )
    )
    session.flush()
    return IncidentPublic.model_validate(incident)


def update_incident_fields(session: Session, incident_id: int, **fields: Any) -> IncidentPublic:
    """Change an incident's details without a state change (position after a redirect,
    reason while queued, priority)."""
    allowed = {"latitude_deg", "longitude_deg", "reason", "priority", "vehicle_system_id",
               "mission_id", "confirmed_by", "title", "description"}
    unknown = set(fields) - allowed
    if unknown:
        raise TypeError(f"update_incident_fields cannot set {sorted(unknown)}")
    incident = _get(session, incident_id)
    for key, value in fields.items():
        setattr(incident, key, value)
    incident.updated_at = utc_now()
    session.add(incident)
    session.flush()
    return IncidentPublic.model_validate(incident)
