"""Case share links in the store: create one for a case, read one, list a case's active
ones, revoke one (rows of :class:`jinghang.store.models.CaseShare`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session, col, select

from jinghang.store.models import CaseShare, utc_now


@dataclass(frozen=True, slots=True)
class ShareRow:
    """One share link as stored (times aware UTC)."""

    id: int
    incident_id: int
    created_by: str
    created_at: dt.datetime
    expires_at: dt.datetime
    revoked_at: dt.datetime | None
    revoked_by: str


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    """SQLite gives naive datetimes back: they were stored as UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=dt.UTC)


def _row(share: CaseShare) -> ShareRow:
    assert share.id is not None
    created = _utc(share.created_at)
    expires = _utc(share.expires_at)
    assert created is not None and expires is not None
    return ShareRow(share.id, share.incident_id, share.created_by, created, expires,
                    _utc(share.revoked_at), share.revoked_by)


def create_share(
    session: Session, incident_id: int, created_by: str, expires_at: dt.datetime
) -> ShareRow:
    share = CaseShare(incident_id=incident_id, created_by=created_by, expires_at=expires_at)
    session.add(share)
    session.commit()
    session.refresh(share)
    return _row(share)


def get_share(session: Session, share_id: int) -> ShareRow | None:
    share = session.get(CaseShare, share_id)
    return _row(share) if share is not None else None


def active_shares(session: Session, incident_id: int, now: dt.datetime) -> list[ShareRow]:
    """A case's links neither revoked nor expired at ``now``, newest first."""
    query = (
        select(CaseShare)
        .where(CaseShare.incident_id == incident_id)
        .where(col(CaseShare.revoked_at).is_(None))
        .order_by(col(CaseShare.id).desc())
    )
    rows = [_row(s) for s in session.exec(query).all()]
    return [r for r in rows if r.expires_at > now]


def revoke_share(session: Session, share_id: int, revoked_by: str) -> ShareRow | None:
    """Revoke a link (once: a second revocation keeps the first's time and name)."""
    share = session.get(CaseShare, share_id)
    if share is None:
        return None
    if share.revoked_at is None:
        share.revoked_at = utc_now()
        share.revoked_by = revoked_by[:64]
        session.add(share)
        session.commit()
        session.refresh(share)
    return _row(share)
