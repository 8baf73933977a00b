"""The flown track of each mission: sampled positions of its drone, written in batches."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, select

from jinghang.store.models import MissionTrackPoint
from jinghang.store.schemas import TrackPointCreate, TrackPointPublic


def add_track_points(
    session: Session, points: Sequence[tuple[int, TrackPointCreate]]
) -> int:
    """Add ``(mission id, point)`` pairs in one flush (one batch of the recorder); how many."""
    if not points:
        return 0
    session.add_all(
        [MissionTrackPoint(mission_id=mission_id, **point.model_dump())
         for mission_id, point in points]
    )
    session.flush()
    return len(points)


def list_track_points(
    session: Session, mission_id: int, *, limit: int = 100_000
) -> list[TrackPointPublic]:
    """A mission's flown track in time order."""
    query = (
        select(MissionTrackPoint)
        .where(MissionTrackPoint.mission_id == mission_id)
        .order_by(col(MissionTrackPoint.time), col(MissionTrackPoint.id))
        .limit(limit)
    )
    return [TrackPointPublic.model_validate(p) for p in session.exec(query).all()]
