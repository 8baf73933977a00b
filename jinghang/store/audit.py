"""The append-only, hash-chained audit trail.

Each entry stores the hash of the entry before it (``prev_hash``; the first entry's is 64
zeros) and its own SHA-256 over the canonical JSON (sorted keys, no spaces, UTF-8) of its
sequence number, time, actor, action, target, details and ``prev_hash``. ``audit_head`` keeps
the last sequence number and hash, so that deleting the newest rows is detected too.
:func:`verify_chain` walks the trail and reports the first row that was edited, deleted or
moved. Appends are serialised (SQLite: the session's ``BEGIN IMMEDIATE``; PostgreSQL: a
transaction-scoped advisory lock), and ``seq`` and ``prev_hash`` are unique, so the chain
never forks.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from sqlalchemy import text
from sqlmodel import Session, col, select

from jinghang.store.models import AuditEntry, AuditHead, utc_now

GENESIS_HASH = "0" * 64
#: The PostgreSQL advisory lock key that serialises audit appends ("JHAUDIT").
_PG_AUDIT_LOCK_KEY = 0x4A48415544495400 >> 8


class AuditPublic(BaseModel):
    """An audit entry as the API shows it."""

    seq: int
    created_at: dt.datetime
    actor: str
    action: str
    target_type: str
    target_id: str
    details: dict[str, Any]
    prev_hash: str
    hash: str


@dataclass(frozen=True, slots=True)
class ChainReport:
    """What :func:`verify_chain` found: ``ok``, how many entries it checked, and for a broken
    chain the first bad ``seq`` and why (``edited``, ``deleted``, ``reordered``,
    ``tail deleted``)."""

    ok: bool
    checked: int
    first_bad_seq: int | None = None
    problem: str = ""
    detail: str = ""


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no spaces: the same bytes for the same content everywhere."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )


def _as_utc(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


def entry_hash(
    *,
    seq: int,
    created_at: dt.datetime,
    actor: str,
    action: str,
    target_type: str,
    target_id: str,
    details: dict[str, Any] | None,
    prev_hash: str,
) -> str:
    """The SHA-256 (hex) of an entry's canonical JSON."""
    body = {
        "seq": seq,
        "created_at": _as_utc(created_at).isoformat(timespec="microseconds"),
        "actor": actor,
        "action": action,
        "target_type": target_type,
        "target_id": target_id,
        "details": details or {},
        "prev_hash": prev_hash,
    }
    return hashlib.sha256(canonical_json(body).encode("utf-8")).hexdigest()


def _hash_of(entry: AuditEntry) -> str:
    return entry_hash(
        seq=entry.seq,
        created_at=entry.created_at,
        actor=entry.actor,
        action=entry.action,
        target_type=entry.target_type,
        target_id=entry.target_id,
        details=entry.details,
        prev_hash=entry.prev_hash,
    )


def _lock_chain(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_AUDIT_LOCK_KEY})


def to_public(entry: AuditEntry) -> AuditPublic:
    return AuditPublic(
        seq=entry.seq,
        created_at=_as_utc(entry.created_at),
        actor=entry.actor,
        action=entry.action,
        target_type=entry.target_type,
        target_id=entry.target_id,
        details=dict(entry.details or {}),
        prev_hash=entry.prev_hash,
        hash=entry.hash,
    )


def append_audit(
    session: Session,
    *,
    actor: str,
    action: str,
    target_type: str = "",
    target_id: str | int = "",
    details: dict[str, Any] | None = None,
) -> AuditPublic:
    """Append one entry to the trail in the caller's transaction (the caller commits).

    ``details`` is stored as canonical JSON (values JSON cannot hold, such as datetimes, are
    stored as their ``str()``), and that is what is hashed.
    """
    _lock_chain(session)
    head = session.get(AuditHead, 1)
    if head is None:
        head = AuditHead(id=1, seq=0, hash=GENESIS_HASH)
        session.add(head)
    prev_hash = head.hash or GENESIS_HASH
    clean_details = json.loads(canonical_json(details or {}))
    entry = AuditEntry(
        seq=head.seq + 1,
        created_at=utc_now(),
        actor=actor,
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        details=clean_details,
        prev_hash=prev_hash,
        hash="",
    )
    entry.hash = _hash_of(entry)
    session.add(entry)
    head.seq = entry.seq
    head.hash = entry.hash
    session.add(head)
    session.flush()
    return to_public(entry)


def list_audit(
    session: Session,
    *,
    actor: str | None = None,
    action: str | None = None,
    target_type: str | None = None,
    target_id: str | int | None = None,
    after_seq: int = 0,
    limit: int = 100,
    newest_first: bool = False,
) -> list[AuditPublic]:
    """Entries in sequence order (or newest first), filtered, starting after ``after_seq``."""
    query = select(AuditEntry).where(col(AuditEntry.seq) > after_seq)
    if actor is not None:
        query = query.where(AuditEntry.actor == actor)
    if action is not None:
        query = query.where(AuditEntry.action == action)
    if target_type is not None:
        query = query.where(AuditEntry.target_type == target_type)
    if target_id is not None:
        query = query.where(AuditEntry.target_id == str(target_id))
    order = col(AuditEntry.seq).desc() if newest_first else col(AuditEntry.seq)
    query = query.order_by(order).limit(limit)
    return [to_public(e) for e in session.exec(query).all()]


def verify_chain(session: Session) -> ChainReport:
    """Walk the whole trail (in storage order) and report the first broken link."""
    rows: Sequence[AuditEntry] = session.exec(select(AuditEntry).order_by(col(AuditEntry.id))).all()
    expected_prev = GENESIS_HASH
    expected_seq = 1
    checked = 0
    for entry in rows:
        if entry.seq != expected_seq:
            if entry.seq > expected_seq:
                problem = "deleted"
                detail = f"entries {expected_seq}..{entry.seq - 1} are missing"
            else:
                problem = "reordered"
                detail = f"entry {entry.seq} stands where entry {expected_seq} should"
            return ChainReport(False, checked, expected_seq, problem, detail)
        if _hash_of(entry) != entry.hash:
            return ChainReport(
                False, checked, entry.seq, "edited", "the entry's content does not match its hash"
            )
        if entry.prev_hash != expected_prev:
            return ChainReport(
                False,
                checked,
                entry.seq,
                "reordered",
                "the entry does not follow the entry before it",
            )
        expected_prev = entry.hash
        expected_seq += 1
        checked += 1
    head = session.get(AuditHead, 1)
    if head is not None and head.seq > checked:
        return ChainReport(
            False,
            checked,
            checked + 1,
            "tail deleted",
            f"the trail ends at entry {checked} but its head says {head.seq}",
        )
    if head is not None and checked and (head.seq != checked or head.hash != expected_prev):
        return ChainReport(
            False, checked, checked, "edited", "the trail's head does not match its last entry"
        )
    return ChainReport(True, checked)
