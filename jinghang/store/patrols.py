"""Patrol schedules (a template on a cron timetable) and their runs (launched or skipped)."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, col, func, select

from jinghang.store.errors import NotFound
from jinghang.store.models import PatrolRun, PatrolRunStatus, PatrolSchedule, utc_now
from jinghang.store.schemas import PatrolRunPublic, PatrolScheduleCreate, PatrolSchedulePublic


def create_patrol(
    session: Session, data: PatrolScheduleCreate, *, created_by: str
) -> PatrolSchedulePublic:
    row = PatrolSchedule(**data.model_dump(), created_by=created_by, created_at=utc_now())
    session.add(row)
    session.flush()
    return PatrolSchedulePublic.model_validate(row)


def _get(session: Session, schedule_id: int) -> PatrolSchedule:
    row = session.get(PatrolSchedule, schedule_id)
    if row is None:
        raise NotFound(f"no patrol {schedule_id}", field="schedule_id", value=schedule_id)
    return row


def get_patrol(session: Session, schedule_id: int) -> PatrolSchedulePublic:
    return PatrolSchedulePublic.model_validate(_get(session, schedule_id))


def list_patrols(session: Session, *, enabled_only: bool = False) -> list[PatrolSchedulePublic]:
    query = select(PatrolSchedule).order_by(col(PatrolSchedule.id))
    if enabled_only:
        query = query.where(col(PatrolSchedule.enabled).is_(True))
    return [PatrolSchedulePublic.model_validate(p) for p in session.exec(query).all()]


def set_patrol_enabled(session: Session, schedule_id: int, enabled: bool) -> PatrolSchedulePublic:
    row = _get(session, schedule_id)
    row.enabled = enabled
    session.add(row)
    session.flush()
    return PatrolSchedulePublic.model_validate(row)


def delete_patrol(session: Session, schedule_id: int) -> None:
    """Disable a patrol for good (its runs stay in the record)."""
    set_patrol_enabled(session, schedule_id, False)


def record_patrol_run(
    session: Session,
    *,
    schedule_id: int,
    scheduled_for: dt.datetime,
    status: PatrolRunStatus,
    reason: str = "",
    drone_id: int | None = None,
    mission_id: int | None = None,
) -> PatrolRunPublic:
    """Record one firing: launched (with the vehicle and mission) or skipped with why."""
    _get(session, schedule_id)
    row = PatrolRun(
        schedule_id=schedule_id,
        scheduled_for=scheduled_for,
        status=status.value,
        reason=reason[:1024],
        drone_id=drone_id,
        mission_id=mission_id,
        created_at=utc_now(),
    )
    session.add(row)
    session.flush()
    return PatrolRunPublic.model_validate(row)


def finish_patrol_run(
    session: Session,
    run_id: int,
    status: PatrolRunStatus,
    *,
    reason: str = "",
    mission_id: int | None = None,
) -> PatrolRunPublic:
    row = session.get(PatrolRun, run_id)
    if row is None:
        raise NotFound(f"no patrol run {run_id}", field="run_id", value=run_id)
    row.status = status.value
    if reason:
        row.reason = reason[:1024]
    if mission_id is not None:
        row.mission_id = mission_id
    if status in (PatrolRunStatus.COMPLETED, PatrolRunStatus.FAILED, PatrolRunStatus.SKIPPED):
        row.ended_at = utc_now()
    session.add(row)
    session.flush()
    return PatrolRunPublic.model_validate(row)


def list_patrol_runs(
    session: Session, *, schedule_id: int | None = None, limit: int = 200
) -> list[PatrolRunPublic]:
    """Runs, oldest first."""
    query = select(PatrolRun).order_by(col(PatrolRun.id)).limit(limit)
    if schedule_id is not None:
        query = query.where(PatrolRun.schedule_id == schedule_id)
    return [PatrolRunPublic.model_validate(r) for r in session.exec(query).all()]


def last_run_time(session: Session, schedule_id: int) -> dt.datetime | None:
    """When the schedule last fired (launched or skipped), so a restart does not fire twice."""
    query = (
        select(PatrolRun.scheduled_for)
        .where(PatrolRun.schedule_id == schedule_id)
        .order_by(col(PatrolRun.scheduled_for).desc())
        .limit(1)
    )
    return session.exec(query).first()


def last_runs(session: Session) -> dict[int, PatrolRunPublic]:
    """Each schedule's newest recorded run, for the patrol list."""
    newest = (
        select(PatrolRun.schedule_id, func.max(PatrolRun.id).label("run_id"))
        .group_by(col(PatrolRun.schedule_id))
        .subquery()
    )
    rows = session.exec(select(PatrolRun).join(newest, col(PatrolRun.id) == newest.c.run_id))
    return {r.schedule_id: PatrolRunPublic.model_validate(r) for r in rows.all()}
