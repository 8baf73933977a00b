"""The audit trail: read it (any signed-in user) and verify its hash chain."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel

from jinghang.api import audit
from jinghang.api.deps import Reader, ServicesDep
from jinghang.api.limits import AfterSeq, TextFilter
from jinghang.store.audit import AuditPublic

router = APIRouter(prefix="/audit", tags=["audit"])


class ChainCheck(BaseModel):
    ok: bool
    checked: int
    first_bad_seq: int | None = None
    problem: str = ""
    detail: str = ""


@router.get("", response_model=list[AuditPublic])
async def list_entries(
    services: ServicesDep,
    _: Reader,
    actor: TextFilter = None,
    action: TextFilter = None,
    target_type: TextFilter = None,
    target_id: TextFilter = None,
    after_seq: AfterSeq = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    order: Annotated[Literal["asc", "desc"], Query(description="desc: newest first")] = "asc",
) -> list[AuditPublic]:
    return audit.entries(
        services,
        actor=actor,
        action=action,
        target_type=target_type,
        target_id=target_id,
        after_seq=after_seq,
        limit=limit,
        newest_first=order == "desc",
    )


@router.get("/verify", response_model=ChainCheck, summary="Verify the audit trail's hash chain")
async def verify(services: ServicesDep, _: Reader) -> ChainCheck:
    report = audit.verify(services)
    return ChainCheck(
        ok=report.ok,
        checked=report.checked,
        first_bad_seq=report.first_bad_seq,
        problem=report.problem,
        detail=report.detail,
    )
