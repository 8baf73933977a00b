"""Recorded video segments and their SHA-256 (chain of custody is checked by jinghang.video)."""

from __future__ import annotations

from sqlmodel import Session, col, select

from jinghang.store.errors import NotFound
from jinghang.store.models import Recording, utc_now
from jinghang.store.schemas import RecordingCreate, RecordingPublic


def add_recording(session: Session, data: RecordingCreate) -> RecordingPublic:
    values = data.model_dump()
    if values["started_at"] is None:
        values["started_at"] = utc_now()
    row = Recording(**values)
    session.add(row)
    session.flush()
    return RecordingPublic.model_validate(row)


def get_recording(session: Session, recording_id: int) -> RecordingPublic:
    row = session.get(Recording, recording_id)
    if row is None:
        raise NotFound(f"no recording {recording_id}", field="recording_id", value=recording_id)
    return RecordingPublic.model_validate(row)


def list_recordings(
    session: Session,
    *,
    drone_id: int | None = None,
    incident_id: int | None = None,
    limit: int = 500,
) -> list[RecordingPublic]:
    """Segments, oldest first."""
    query = select(Recording).order_by(col(Recording.id)).limit(limit)
    if drone_id is not None:
        query = query.where(Recording.drone_id == drone_id)
    if incident_id is not None:
        query = query.where(Recording.incident_id == incident_id)
    return [RecordingPublic.model_validate(r) for r in session.exec(query).all()]
