"""Vehicle commands: what was sent to which drone, by whom, and what came back."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from jinghang.store.errors import NotFound
from jinghang.store.models import VehicleCommand, utc_now
from jinghang.store.schemas import VehicleCommandPublic


def record_command(
    session: Session,
    *,
    drone_id: int,
    command: str,
    actor: str,
    params: dict[str, Any] | None = None,
    result: str = "pending",
    incident_id: int | None = None,
    mission_id: int | None = None,
) -> VehicleCommandPublic:
    """Record a command before (``result="pending"``) or after it was answered."""
    row = VehicleCommand(
        drone_id=drone_id,
        command=command,
        params=params,
        result=result,
        actor=actor,
        incident_id=incident_id,
        mission_id=mission_id,
        created_at=utc_now(),
        completed_at=None if result == "pending" else utc_now(),
    )
    session.add(row)
    session.flush()
    return VehicleCommandPublic.model_validate(row)


def complete_command(session: Session, command_id: int, result: str) -> VehicleCommandPublic:
    """Record the vehicle's answer (``accepted``, ``denied``, ``timeout``, ...)."""
    row = session.get(VehicleCommand, command_id)
    if row is None:
        raise NotFound(f"no command {command_id}", field="command_id", value=command_id)
    row.result = result[:64]
    row.completed_at = utc_now()
    session.add(row)
    session.flush()
    return VehicleCommandPublic.model_validate(row)


def list_commands(
    session: Session,
    *,
    drone_id: int | None = None,
    incident_id: int | None = None,
    limit: int = 200,
) -> list[VehicleCommandPublic]:
    """Commands, oldest first."""
    query = select(VehicleCommand).order_by(col(VehicleCommand.id)).limit(limit)
    if drone_id is not None:
        query = query.where(VehicleCommand.drone_id == drone_id)
    if incident_id is not None:
        query = query.where(VehicleCommand.incident_id == incident_id)
    return [VehicleCommandPublic.model_validate(c) for c in session.exec(query).all()]
