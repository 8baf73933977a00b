"""The audit trail: read it (any signed-in user), verify its keyed hash chain, and (admins)
export its signed checkpoints to keep elsewhere."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel

from jinghang.api import audit
from jinghang.api.deps import Admin, Reader, ServicesDep
from jinghang.api.limits import AfterSeq, TextFilter
from jinghang.store.audit import AuditPublic

router = APIRouter(prefix="/audit", tags=["audit"])


class ChainCheck(BaseModel):
    ok: bool
    checked: int
    first_bad_seq: int | None = None
    first_bad_id: int | None = None
    problem: str = ""
    #: A stable code for the problem (``audit.chain.edited``, ...), empty when ok.
    code: str = ""
    detail: str = ""
    legacy_entries: int = 0
    checkpoints_checked: int = 0
    head_seq: int = 0
    head_hash: str = ""


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
    if services.writer is not None:  # the rows handed to the store writer so far are in
        await services.writer.settle()
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
    if services.writer is not None:
        await services.writer.settle()
    # a long trail takes a while: walk it off the event loop
    report = await asyncio.to_thread(audit.verify, services)
    return ChainCheck(
        ok=report.ok,
        checked=report.checked,
        first_bad_seq=report.first_bad_seq,
        first_bad_id=report.first_bad_id,
        problem=report.problem,
        code=f"audit.chain.{report.problem.replace(' ', '_')}" if report.problem else "",
        detail=report.detail,
        legacy_entries=report.legacy_entries,
        checkpoints_checked=report.checkpoints_checked,
        head_seq=report.head_seq,
        head_hash=report.head_hash,
    )


@router.get(
    "/checkpoints",
    summary="Export the signed checkpoints of the audit head (admin)",
    description="Signs a checkpoint of the head as it is now and returns every checkpoint in "
    "the export format (jinghang-audit-checkpoints/1). Keep the file away from the database: "
    "`jinghang audit verify --checkpoints FILE` then finds a later truncation or rewrite.",
)
async def export_checkpoints(services: ServicesDep, _: Admin) -> dict[str, Any]:
    return await asyncio.to_thread(audit.export_checkpoints, services)
