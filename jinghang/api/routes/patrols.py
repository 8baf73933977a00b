"""Scheduled patrols: a template over its area on a cron timetable (Asia/Shanghai by
default), flown by one drone or any suitable; each firing is a run, launched or skipped with
why. A commander creates, pauses and removes them; the plan is compiled and safety-checked
when the patrol is created, so a patrol that could never fly is refused at once."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel

from jinghang.api.deps import Commander, Reader, ServicesDep, note_audit
from jinghang.api.limits import RowId
from jinghang.api.plans import check_template_plan
from jinghang.store import patrols as repo
from jinghang.store.schemas import PatrolRunPublic, PatrolScheduleCreate, PatrolSchedulePublic

router = APIRouter(prefix="/patrols", tags=["patrols"])


class PatrolChange(BaseModel):
    enabled: bool


def _wake_scheduler(services: Any) -> None:
    """Tell the patrol scheduler its timetable changed, when it offers a way to."""
    patrols = services.patrols
    wake = getattr(patrols, "reload", None) or getattr(patrols, "wake", None)
    if callable(wake):
        wake()


@router.get("", response_model=list[PatrolSchedulePublic])
async def list_patrols(services: ServicesDep, _: Reader) -> list[PatrolSchedulePublic]:
    with services.store.read_session() as session:
        return repo.list_patrols(session)


@router.post("", response_model=PatrolSchedulePublic, status_code=201)
async def create_patrol(
    request: Request, services: ServicesDep, who: Commander, new: PatrolScheduleCreate
) -> PatrolSchedulePublic:
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
    return created


@router.get("/{schedule_id}", response_model=PatrolSchedulePublic)
async def get_patrol(services: ServicesDep, _: Reader, schedule_id: RowId) -> PatrolSchedulePublic:
    with services.store.read_session() as session:
        return repo.get_patrol(session, schedule_id)


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
