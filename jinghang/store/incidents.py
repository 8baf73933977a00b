"""Cases (incidents) and their sorties: report, read, list the open ones, and record state
changes of both.

The store records; it does not judge. Whether a state change is allowed is decided by
``jinghang.dispatch.lifecycle`` before :func:`set_incident_state` or
:func:`set_sortie_state` is called. Every state change is also written as a
:class:`~jinghang.store.models.MissionEvent` with the actor (kind ``incident.state`` or
``sortie.state``). A case's public view carries its sorties, oldest first.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlmodel import Session, col, select

from jinghang.store.errors import NotFound
from jinghang.store.models import Incident, MissionEvent, Sortie, utc_now
from jinghang.store.schemas import IncidentCreate, IncidentPublic, SortiePublic

#: States after which a case never moves again.
FINAL_STATES = frozenset({"closed", "cancelled", "failed"})
#: States after which a sortie never moves again.
SORTIE_FINAL_STATES = frozenset({"landed", "aborted", "failed"})
#: Fields of the case that mirror its latest sortie (what older clients read).
_MIRRORED = ("drone_id", "mission_id", "confirmed_by")


def create_incident(
    session: Session,
    data: IncidentCreate,
    *,
    reported_by: str,
    priority: int,
    needs_confirmation: bool = False,
) -> IncidentPublic:
    """Record a new case in state ``open``; ``priority`` is the resolved one
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
        state="open",
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
            to_state="open",
            actor=reported_by,
            created_at=now,
        )
    )
    session.flush()
    return _public(session, incident)


def _get(session: Session, incident_id: int) -> Incident:
    incident = session.get(Incident, incident_id)
    if incident is None:
        raise NotFound(f"no incident {incident_id}", field="incident_id", value=incident_id)
    return incident


def _sorties_of(session: Session, incident_ids: Iterable[int]) -> dict[int, list[SortiePublic]]:
    ids = list(incident_ids)
    out: dict[int, list[SortiePublic]] = {i: [] for i in ids}
    if not ids:
        return out
    query = select(Sortie).where(col(Sortie.incident_id).in_(ids)).order_by(col(Sortie.id))
    for row in session.exec(query).all():
        out[row.incident_id].append(SortiePublic.model_validate(row))
    return out


def _public(session: Session, incident: Incident) -> IncidentPublic:
    assert incident.id is not None
    view = IncidentPublic.model_validate(incident)
    view.sorties = _sorties_of(session, [incident.id])[incident.id]
    return view


def _publics(session: Session, rows: list[Incident]) -> list[IncidentPublic]:
    sorties = _sorties_of(session, [r.id for r in rows if r.id is not None])
    views = []
    for row in rows:
        view = IncidentPublic.model_validate(row)
        view.sorties = sorties.get(row.id or 0, [])
        views.append(view)
    return views


def get_incident(session: Session, incident_id: int) -> IncidentPublic:
    return _public(session, _get(session, incident_id))


def list_incidents(
    session: Session, *, state: str | None = None, limit: int = 200, offset: int = 0
) -> list[IncidentPublic]:
    """Cases, newest first."""
    query = select(Incident).order_by(col(Incident.id).desc()).offset(offset).limit(limit)
    if state is not None:
        query = query.where(Incident.state == state)
    return _publics(session, list(session.exec(query).all()))


def list_open_incidents(session: Session) -> list[IncidentPublic]:
    """Cases not yet closed or cancelled: most urgent first, then oldest."""
    query = (
        select(Incident)
        .where(col(Incident.state).not_in(FINAL_STATES))
        .order_by(col(Incident.priority), col(Incident.id))
    )
    return _publics(session, list(session.exec(query).all()))


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
    """Move a case to ``to_state`` (already checked by the caller), recording who did it and
    why. ``fields`` may set ``outcome``, ``outcome_note``, ``closed_by``, ``unassigned`` and
    the mirrored ``drone_id``, ``mission_id``, ``confirmed_by``."""
    allowed = {"drone_id", "mission_id", "confirmed_by", "needs_confirmation",
               "outcome", "outcome_note", "closed_by", "unassigned"}
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
    return _public(session, incident)


def update_incident_fields(session: Session, incident_id: int, **fields: Any) -> IncidentPublic:
    """Change a case's details without a state change (position after a redirect, reason
    and unassigned reasons while it waits, priority)."""
    allowed = {"latitude_deg", "longitude_deg", "reason", "priority", "drone_id",
               "mission_id", "confirmed_by", "title", "description", "unassigned"}
    unknown = set(fields) - allowed
    if unknown:
        raise TypeError(f"update_incident_fields cannot set {sorted(unknown)}")
    incident = _get(session, incident_id)
    for key, value in fields.items():
        setattr(incident, key, value)
    incident.updated_at = utc_now()
    session.add(incident)
    session.flush()
    return _public(session, incident)


# ---------------------------------------------------------------- sorties


def create_sortie(
    session: Session,
    incident_id: int,
    playbook_id: str,
    *,
    dispatched_by: str,
    needs_confirmation: bool = False,
    drone_id: int | None = None,
) -> SortiePublic:
    """A new sortie of a case in state ``planned`` (``drone_id`` None: the case
    waits for a drone)."""
    _get(session, incident_id)
    now = utc_now()
    sortie = Sortie(
        incident_id=incident_id,
        playbook_id=playbook_id,
        state="planned",
        drone_id=drone_id,
        needs_confirmation=needs_confirmation,
        dispatched_by=dispatched_by,
        created_at=now,
        updated_at=now,
    )
    session.add(sortie)
    session.flush()
    assert sortie.id is not None
    session.add(
        MissionEvent(
            incident_id=incident_id,
            kind="sortie.state",
            to_state="planned",
            actor=dispatched_by,
            data={"sortie_id": sortie.id, "drone_id": drone_id},
            created_at=now,
        )
    )
    session.flush()
    return SortiePublic.model_validate(sortie)


def _get_sortie(session: Session, sortie_id: int) -> Sortie:
    sortie = session.get(Sortie, sortie_id)
    if sortie is None:
        raise NotFound(f"no sortie {sortie_id}", field="sortie_id", value=sortie_id)
    return sortie


def get_sortie(session: Session, sortie_id: int) -> SortiePublic:
    return SortiePublic.model_validate(_get_sortie(session, sortie_id))


def list_sorties(
    session: Session, *, incident_id: int | None = None, active_only: bool = False
) -> list[SortiePublic]:
    """Sorties, oldest first; of one case, and/or only those not yet ended."""
    query = select(Sortie).order_by(col(Sortie.id))
    if incident_id is not None:
        query = query.where(Sortie.incident_id == incident_id)
    if active_only:
        query = query.where(col(Sortie.state).not_in(SORTIE_FINAL_STATES))
    return [SortiePublic.model_validate(s) for s in session.exec(query).all()]


def set_sortie_state(
    session: Session,
    sortie_id: int,
    to_state: str,
    *,
    actor: str,
    reason: str | None = None,
    code: str | None = None,
    data: dict[str, Any] | None = None,
    **fields: Any,
) -> SortiePublic:
    """Move a sortie to ``to_state`` (already checked by the caller), with who and why;
    ``fields`` may set ``drone_id``, ``mission_id``, ``confirmed_by``, which the
    case mirrors. The launch, arrival and end times are set on entering those states."""
    allowed = {"drone_id", "mission_id", "confirmed_by"}
    unknown = set(fields) - allowed
    if unknown:
        raise TypeError(f"set_sortie_state cannot set {sorted(unknown)}")
    sortie = _get_sortie(session, sortie_id)
    from_state = sortie.state
    now = utc_now()
    sortie.state = to_state
    sortie.updated_at = now
    if reason is not None:
        sortie.reason = reason[:1024]
    if code is not None:
        sortie.code = code[:48]
    for key, value in fields.items():
        setattr(sortie, key, value)
    if to_state == "launching" and sortie.launched_at is None:
        sortie.launched_at = now
    elif to_state == "on_scene" and sortie.on_scene_at is None:
        sortie.on_scene_at = now
    elif to_state in SORTIE_FINAL_STATES:
        sortie.ended_at = now
    session.add(sortie)
    _mirror(session, sortie, fields)
    session.add(
        MissionEvent(
            incident_id=sortie.incident_id,
            mission_id=sortie.mission_id,
            kind="sortie.state",
            from_state=from_state,
            to_state=to_state,
            actor=actor,
            message=(reason or "")[:1024],
            data={"sortie_id": sortie_id, "drone_id": sortie.drone_id,
                  **({"code": code} if code else {}), **(data or {})},
            created_at=now,
        )
    )
    session.flush()
    return SortiePublic.model_validate(sortie)


def _mirror(session: Session, sortie: Sortie, fields: dict[str, Any]) -> None:
    mirrored = {k: v for k, v in fields.items() if k in _MIRRORED and v is not None}
    if not mirrored:
        return
    incident = _get(session, sortie.incident_id)
    for key, value in mirrored.items():
        setattr(incident, key, value)
    incident.updated_at = utc_now()
    session.add(incident)
