"""The 19 response playbooks: incident type -> priority, first flight, payloads."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from jinghang.api.deps import Reader
from jinghang.api.limits import CatalogId
from jinghang.dispatch.playbooks import load_playbooks

router = APIRouter(prefix="/playbooks", tags=["playbooks"])


@router.get("", summary="Every response playbook")
async def list_playbooks(_: Reader) -> list[dict[str, Any]]:
    return [p.to_dict() for p in load_playbooks()]


@router.get("/{playbook_id}")
async def get_playbook(_: Reader, playbook_id: CatalogId) -> dict[str, Any]:
    return load_playbooks().get(playbook_id).to_dict()
