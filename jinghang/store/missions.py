"""Missions flown (or planned) and their timeline of events; each state change is also in
the audit trail (``mission.<state>``, with the actor)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from jinghang.store.audit import append_audit
from jinghang.store.errors import NotFound
from jinghang.store.models import Mission, MissionEvent, MissionState, utc_now
from jinghang.store.schemas import MissionCreate, MissionEventPublic, MissionPublic

#: Mission states after which nothing more happens.
FINAL_MISSION_STATES = frozenset(
    {MissionState.COMPLETED.value, MissionState.ABORTED.value, MissionState.FAILED.value}
)


def create_mission(session: Session, data: MissionCreate, *, created_by: str) -> MissionPublic:
    mission = Mission(
        **data.model_dump(),
        item_count=len(data.items),
        state=MissionState.PLANNED.value,
        created_by=created_by,
        created_at=utc_now(),
    )
    session.add(mission)
    session.flush()
    return MissionPublic.model_validate(mission)


def _get(session: Session, mission_id: int) -> Mission:
    mission = session.get(Mission, mission_id)
    if mission is None:
        raise NotFound(f"no mission {mission_id}", field="mission_id", value=mission_id)
    return mission


def get_mission(session: Session, mission_id: int) -> MissionPublic:
    return MissionPublic.model_validate(_get(session, mission_id))


def list_missions(
    session: Session,
    *,
    incident_id: int | None = None,
    drone_id: int | None = None,
    active_only: bool = False,
    limit: int = 200,
) -> list[MissionPublic]:
    """Missions, newest first."""
    query = select(Mission).order_by(col(Mission.id).desc()).limit(limit)
    if incident_id is not None:
        query = query.where(Mission.incident_id == incident_id)
    if drone_id is not None:
        query = query.where(Mission.drone_id == drone_id)
    if active_only:
        query = query.where(col(Mission.state).not_in(FINAL_MISSION_STATES))
    return [MissionPublic.model_validate(m) for m in session.exec(query).all()]


def set_mission_state(
    session: Session,
    mission_id: int,
    to_state: MissionState,
    *,
    actor: str,
    message: str = "",
    data: dict[str, Any] | None = None,
    **fields: Any,
) -> MissionPublic:
    """Move a mission to ``to_state`` and record the event; ``fields`` may set
    ``drone_id``, ``current_seq``, ``items``, ``item_count``."""
    allowed = {"drone_id", "current_seq", "items", "item_count", "params"}
    unknown = set(fields) - allowed
    if unknown:
        raise TypeError(f"set_mission_state cannot set {sorted(unknown)}")
    mission = _get(session, mission_id)
    from_state = mission.state
    now = utc_now()
    mission.state = to_state.value
    for key, value in fields.items():
        setattr(mission, key, value)
    if to_state == MissionState.FLYING and mission.started_at is None:
        mission.started_at = now
    if to_state.value in FINAL_MISSION_STATES:
        mission.ended_at = now
    session.add(mission)
    session.add(
        MissionEvent(
            mission_id=mission_id,
            incident_id=mission.incident_id,
            kind="mission.state",
            from_state=from_state,
            to_state=to_state.value,
            actor=actor,
            message=message[:1024],
            data=data,
            created_at=now,
        )
    )
    append_audit(session, actor=actor, action=f"mission.{to_state.value}",
                 target_type="mission", target_id=mission_id,
                 details={"from": from_state, "to": to_state.value,
                          "incident_id": mission.incident_id,
                          "patrol_run_id": mission.patrol_run_id,
                          "drone_id": mission.drone_id,
                          "message": message[:256]})
    session.flush()
    return MissionPublic.model_validate(mission)


def set_mission_progress(session: Session, mission_id: int, current_seq: int) -> None:
    """Remember how far the mission got (used to resume after a handover or a restart)."""
    mission = _get(session, mission_id)
    if mission.current_seq != current_seq:
        mission.current_seq = current_seq
        session.add(mission)
        session.flush()


def add_mission_event(
    session: Session,
    *,
    kind: str,
    actor: str,
    mission_id: int | None = None,
    incident_id: int | None = None,
    message: str = "",
    data: dict[str, Any] | None = None,
) -> MissionEventPublic:
    """Record something that is not a state change (item reached, refusal, handover)."""
    event = MissionEvent(
        mission_id=mission_id,
        incident_id=incident_id,
        kind=kind,
        actor=actor,
        message=message[:1024],
        data=data,
        created_at=utc_now(),
    )
    session.add(event)
    session.flush()
    return MissionEventPublic.model_validate(event)


def list_events(
    session: Session,
    *,
    mission_id: int | None = None,
    incident_id: int | None = None,
    limit: int = 1000,
) -> list[MissionEventPublic]:
    """Events in the order they happened."""
    query = select(MissionEvent).order_by(col(MissionEvent.id)).limit(limit)
    if mission_id is not None:
        query = query.where(MissionEvent.mission_id == mission_id)
    if incident_id is not None:
        query = query.where(MissionEvent.incident_id == incident_id)
    return [MissionEventPublic.model_validate(e) for e in session.exec(query).all()]
