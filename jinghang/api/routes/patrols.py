"""Scheduled patrols: a template over its area on a cron timetable (Asia/Shanghai by
default), flown by one drone or any suitable; each firing is a run, launched or skipped with
why. A commander creates, pauses and removes them; the plan is compiled and safety-checked
when the patrol is created, so a patrol that could never fly is refused at once, and checked
against the fleet (which drones could fly it now, with the energy it takes each: ``check``).
The list shows each patrol's last run (with why, when it was skipped) and its next run; a
timetable (a cron expression in a zone) can be previewed before a patrol is made: its next
runs, as the scheduler will fire them."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from croniter import CroniterBadDateError
from fastapi import APIRouter, Query, Request
from pydantic import BaseModel

from jinghang.api.deps import Commander, Reader, ServicesDep, note_audit
from jinghang.api.limits import RowId
from jinghang.api.plans import check_template_plan
from jinghang.dispatch.errors import PatrolError
from jinghang.dispatch.timetable import DEFAULT_TIME_ZONE, next_due
from jinghang.store import patrols as repo
from jinghang.store.schemas import PatrolRunPublic, PatrolScheduleCreate, PatrolSchedulePublic

router = APIRouter(prefix="/patrols", tags=["patrols"])


class PatrolChange(BaseModel):
    enabled: bool


class PatrolListed(PatrolSchedulePublic):
    """A patrol with its last run (status, and why when it was skipped) and its next run."""

    last_run: PatrolRunPublic | None = None
    next_run_at: dt.datetime | None = None


class PatrolScheduled(PatrolSchedulePublic):
    """A patrol just created, with the fleet check (None when no dispatcher runs)."""

    check: dict[str, Any] | None = None


def _check(services: Any, patrol: Any) -> dict[str, Any] | None:
    check = getattr(services.patrols, "check", None)
    return check(patrol).to_dict() if callable(check) else None


def _next_run(services: Any, patrol: PatrolSchedulePublic) -> dt.datetime | None:
    next_run = getattr(services.patrols, "next_run", None)
    return next_run(patrol) if callable(next_run) else None


def _wake_scheduler(services: Any) -> None:
    """Tell the patrol scheduler its timetable changed, when it offers a way to."""
    patrols = services.patrols
    wake = getattr(patrols, "reload", None) or getattr(patrols, "wake", None)
    if callable(wake):
        wake()


@router.get("", response_model=list[PatrolListed])
async def list_patrols(services: ServicesDep, _: Reader) -> list[PatrolListed]:
    with services.store.read_session() as session:
        patrols = repo.list_patrols(session)
        last = repo.last_runs(session)
    return [
        PatrolListed(**p.model_dump(), last_run=last.get(p.id), next_run_at=_next_run(services, p))
        for p in patrols
    ]


class TimetablePreview(BaseModel):
    """A timetable's next runs (UTC, and as the wall clock of its zone reads them)."""

    cron: str
    time_zone: str
    next_runs: list[dt.datetime]
    next_runs_local: list[str]


@router.get("/timetable", response_model=TimetablePreview,
            summary="The next runs of a cron timetable in a time zone")
async def timetable_preview(
    _: Reader,
    cron: Annotated[str, Query(min_length=1, max_length=128,
                               description="cron expression, 5 fields")],
    time_zone: Annotated[str, Query(max_length=64)] = DEFAULT_TIME_ZONE,
    count: Annotated[int, Query(ge=1, le=20)] = 5,
) -> TimetablePreview:
    moment = dt.datetime.now(dt.UTC)
    runs: list[dt.datetime] = []
    try:
        for _n in range(count):
            moment = next_due(cron, moment, time_zone)
            runs.append(moment)
    except PatrolError as exc:  # names cron or time_zone
        raise PatrolError(exc.message, field=exc.field, value=exc.value, limit=exc.limit,
                          code=f"patrol.bad_{exc.field}") from None
    except CroniterBadDateError:  # valid fields that name no date (February 31st)
        raise PatrolError(f"the timetable {cron!r} names no date that exists", field="cron",
                          value=cron, limit="a day that exists", code="patrol.cron_never"
                          ) from None
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(time_zone)
    return TimetablePreview(
        cron=cron, time_zone=time_zone, next_runs=runs,
        next_runs_local=[r.astimezone(zone).isoformat() for r in runs],
    )


@router.post("", response_model=PatrolScheduled, status_code=201)
async def create_patrol(
    request: Request, services: ServicesDep, who: Commander, new: PatrolScheduleCreate
) -> PatrolScheduled:
    note_audit(
        request,
        "patrol.create",
        "patrol",
        "",
        name=new.name,
        template_id=new.template_id,
        cron=new.cron,
        time_zone=new.time_zone,
    )
    await check_template_plan(services, new.template_id, new.inputs, new.params)
    with services.store.session() as session:
        created = repo.create_patrol(session, new, created_by=who.username)
        session.commit()
    request.state.audit["target_id"] = str(created.id)
    _wake_scheduler(services)
    return PatrolScheduled(**created.model_dump(), check=_check(services, created))


@router.get("/{schedule_id}", response_model=PatrolSchedulePublic)
async def get_patrol(services: ServicesDep, _: Reader, schedule_id: RowId) -> PatrolSchedulePublic:
    with services.store.read_session() as session:
        return repo.get_patrol(session, schedule_id)


@router.get("/{schedule_id}/check", summary="Which drones could fly the patrol now")
async def check_patrol(services: ServicesDep, _: Reader, schedule_id: RowId) -> dict[str, Any]:
    with services.store.read_session() as session:
        patrol = repo.get_patrol(session, schedule_id)
    return _check(services, patrol) or {"can_fly": False, "reason": "no dispatcher runs",
                                        "drones": []}


@router.patch("/{schedule_id}", response_model=PatrolSchedulePublic)
async def change_patrol(
    request: Request, services: ServicesDep, _: Commander, schedule_id: RowId, change: PatrolChange
) -> PatrolSchedulePublic:
    note_audit(
        request, "patrol.enable" if change.enabled else "patrol.disable", "patrol", schedule_id
    )
    with services.store.session() as session:
        changed = repo.set_patrol_enabled(session, schedule_id, change.enabled)
        session.commit()
    _wake_scheduler(services)
    return changed


@router.delete("/{schedule_id}", status_code=204)
async def delete_patrol(
    request: Request, services: ServicesDep, _: Commander, schedule_id: RowId
) -> None:
    note_audit(request, "patrol.delete", "patrol", schedule_id)
    with services.store.session() as session:
        repo.delete_patrol(session, schedule_id)
        session.commit()
    _wake_scheduler(services)


@router.get("/{schedule_id}/runs", response_model=list[PatrolRunPublic])
async def patrol_runs(
    services: ServicesDep,
    _: Reader,
    schedule_id: RowId,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[PatrolRunPublic]:
    with services.store.read_session() as session:
        repo.get_patrol(session, schedule_id)
        return repo.list_patrol_runs(session, schedule_id=schedule_id, limit=limit)
