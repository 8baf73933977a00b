"""Flown tracks in the audit trail: a digest of each mission's track, and checking it.

When a flight ends, the track recorder appends a ``mission.track`` entry whose details are
the track's digest: how many points, the first and last time, and the SHA-256 over every
point (time, position, height, heading, speed, battery, mission item) in time order. The
points stay in ``mission_track_points``; the digest in the keyed chain makes an edit to them
visible: :func:`verify_track_digests` recomputes each mission's digest (its newest entry
counts: a flight resumed after a restart writes a new one) and names the first that differs.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from jinghang.store.audit import AuditPublic, append_audit
from jinghang.store.audit_key import canonical_json, utc_text
from jinghang.store.models import AuditEntry, MissionTrackPoint

TRACK_ACTION = "mission.track"
#: Rows read per query while hashing a track or walking the digests.
BATCH_SIZE = 5000


def track_digest(session: Session, mission_id: int) -> dict[str, Any]:
    """The digest of a mission's flown track, streamed from the store."""
    sha = hashlib.sha256()
    count = 0
    first_time: str | None = None
    last_time: str | None = None
    query = (select(MissionTrackPoint).where(MissionTrackPoint.mission_id == mission_id)
             .order_by(col(MissionTrackPoint.time), col(MissionTrackPoint.id))
             .execution_options(yield_per=BATCH_SIZE))
    for point in session.exec(query):
        moment = utc_text(point.time)
        sha.update(canonical_json([
            moment, point.latitude_deg, point.longitude_deg, point.relative_altitude_m,
            point.heading_deg, point.ground_speed_m_s, point.battery_pct, point.current_seq,
        ]).encode("utf-8") + b"\n")
        count += 1
        first_time = first_time or moment
        last_time = moment
    return {"points": count, "first_time": first_time, "last_time": last_time,
            "sha256": sha.hexdigest()}


def record_track_digest(
    session: Session, mission_id: int, *, actor: str = "dispatcher"
) -> AuditPublic | None:
    """Append the ``mission.track`` entry of a mission (None when it has no flown point)."""
    digest = track_digest(session, mission_id)
    if digest["points"] == 0:
        return None
    return append_audit(session, actor=actor, action=TRACK_ACTION, target_type="mission",
                        target_id=mission_id, details=digest)


@dataclass(frozen=True, slots=True)
class TrackReport:
    """What :func:`verify_track_digests` found: how many tracks it checked, and the first
    whose stored points no longer match their digest (mission, audit entry, why)."""

    ok: bool
    checked: int
    mission_id: int | None = None
    audit_seq: int | None = None
    detail: str = ""


def verify_track_digests(session: Session) -> TrackReport:
    """Recompute the newest digest of every mission that has one and compare."""
    seen: set[str] = set()
    before_seq: int | None = None
    while True:
        query = select(AuditEntry).where(AuditEntry.action == TRACK_ACTION)
        if before_seq is not None:
            query = query.where(col(AuditEntry.seq) < before_seq)
        rows = session.exec(query.order_by(col(AuditEntry.seq).desc()).limit(BATCH_SIZE)).all()
        if not rows:
            return TrackReport(True, len(seen))
        for entry in rows:
            before_seq = entry.seq
            if entry.target_id in seen or not entry.target_id.isdigit():
                continue
            seen.add(entry.target_id)
            mission_id = int(entry.target_id)
            wanted = entry.details or {}
            found = track_digest(session, mission_id)
            if found["points"] != wanted.get("points") or found["sha256"] != wanted.get("sha256"):
                return TrackReport(
                    False, len(seen), mission_id, entry.seq,
                    f"mission {mission_id}'s flown track has {found['points']} point(s) and "
                    f"does not match the digest of {wanted.get('points')} point(s) in audit "
                    f"entry {entry.seq}")
        session.expunge_all()
