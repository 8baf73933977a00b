"""The append-only, keyed, hash-chained audit trail: writing and reading it.

Each entry stores the hash of the entry before it (``prev_hash``; the first entry's is 64
zeros) and its own HMAC-SHA256, with the audit key that is not in the database, over its
content and ``prev_hash`` (:mod:`jinghang.store.audit_key`). ``audit_head`` keeps the last
sequence number and hash, and signed checkpoints of the head are written as the trail grows
(:mod:`jinghang.store.audit_checkpoints`), so that a deleted tail is found too.
:func:`~jinghang.store.audit_verify.verify_chain` walks the trail in batches and names the
first row that was edited, deleted, moved, or rewritten without the key.

Appends are serialised (SQLite: the session's ``BEGIN IMMEDIATE``; PostgreSQL: a
transaction-scoped advisory lock), and ``seq`` and ``prev_hash`` are unique, so the chain
never forks.

Rows from before the chain was keyed (``key_id`` empty, a plain SHA-256) are kept as they are:
the first keyed append writes an ``audit.keyed`` row that names how many there were and the
last one's hash (:func:`seal_legacy`), and from then on a change to any of them breaks its MAC.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from pydantic import BaseModel
from sqlalchemy import text
from sqlmodel import Session, col, select

from jinghang.store.audit_checkpoints import checkpoint_if_due
from jinghang.store.audit_key import (
    GENESIS_HASH,
    SEAL_ACTION,
    AuditKey,
    as_utc,
    canonical_json,
    entry_body,
    key_of,
    keyed_hash,
)
from jinghang.store.audit_verify import ChainReport, verify_chain
from jinghang.store.models import AuditEntry, AuditHead, utc_now

__all__ = [
    "GENESIS_HASH",
    "PG_AUDIT_LOCK_KEY",
    "SEAL_ACTION",
    "AuditPublic",
    "ChainReport",
    "append_audit",
    "canonical_json",
    "list_audit",
    "seal_legacy",
    "to_public",
    "verify_chain",
]

#: The PostgreSQL advisory lock key that serialises audit appends ("JHAUDIT").
PG_AUDIT_LOCK_KEY = 0x4A48415544495400 >> 8


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
    key_id: str = ""


def _lock_chain(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_AUDIT_LOCK_KEY})


def to_public(entry: AuditEntry) -> AuditPublic:
    return AuditPublic(
        seq=entry.seq,
        created_at=as_utc(entry.created_at),
        actor=entry.actor,
        action=entry.action,
        target_type=entry.target_type,
        target_id=entry.target_id,
        details=dict(entry.details or {}),
        prev_hash=entry.prev_hash,
        hash=entry.hash,
        key_id=entry.key_id,
    )


def _head(session: Session) -> AuditHead:
    head = session.get(AuditHead, 1)
    if head is None:
        head = AuditHead(id=1, seq=0, hash=GENESIS_HASH)
        session.add(head)
    return head


def _chain(
    session: Session,
    key: AuditKey,
    head: AuditHead,
    *,
    actor: str,
    action: str,
    target_type: str,
    target_id: str,
    details: dict[str, Any],
) -> AuditEntry:
    entry = AuditEntry(
        seq=head.seq + 1,
        created_at=utc_now(),
        actor=actor,
        action=action,
        target_type=target_type,
        target_id=target_id,
        details=details,
        prev_hash=head.hash or GENESIS_HASH,
        hash="",
        key_id=key.key_id,
    )
    entry.hash = keyed_hash(key, entry_body(
        seq=entry.seq, created_at=entry.created_at, actor=actor, action=action,
        target_type=target_type, target_id=target_id, details=details,
        prev_hash=entry.prev_hash))
    session.add(entry)
    head.seq, head.hash, head.key_id = entry.seq, entry.hash, key.key_id
    session.add(head)
    return entry


def _seal(session: Session, key: AuditKey, head: AuditHead) -> bool:
    if head.seq == 0 or head.key_id:
        return False
    _chain(session, key, head, actor="system", action=SEAL_ACTION, target_type="audit",
           target_id="", details={"legacy_entries": head.seq, "legacy_head_hash": head.hash})
    return True


def seal_legacy(session: Session) -> bool:
    """When the newest row is an unkeyed legacy row, append the ``audit.keyed`` row that
    seals the legacy rows (their count and the last one's hash) with the key; True if so."""
    _lock_chain(session)
    sealed = _seal(session, key_of(session), _head(session))
    session.flush()
    return sealed


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
    stored as their ``str()``), and that is what is MACed. Legacy rows at the head are
    sealed first; a checkpoint of the new head is written when one is due.
    """
    _lock_chain(session)
    key = key_of(session)
    head = _head(session)
    _seal(session, key, head)
    clean_details = json.loads(canonical_json(details or {}))
    entry = _chain(session, key, head, actor=actor, action=action, target_type=target_type,
                   target_id=str(target_id), details=clean_details)
    checkpoint_if_due(session, key, head)
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
