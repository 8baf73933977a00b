"""Signed checkpoints of the audit trail's head, and the file they are exported in.

A checkpoint says "entry ``seq`` had ``hash`` at ``created_at``", signed with the Ed25519 key
derived from the audit key (:class:`~jinghang.store.audit_key.AuditKey`). One is written by
the first append :attr:`AuditKey.checkpoint_interval_s` after the last (every 5 minutes of
activity by default) and one on every export. Kept only in the database they prove little
(whoever truncates the trail deletes them too); exported (``GET /api/audit/checkpoints``,
``jinghang audit export-checkpoints``) and kept elsewhere, they let
``jinghang audit verify --checkpoints FILE`` find a truncated or rewritten trail: every
exported checkpoint's entry must still be there with the same hash.

The export is JSON: ``{"format": "jinghang-audit-checkpoints/1", "key_id", "public_key_hex",
"checkpoints": [{"seq", "hash", "created_at", "key_id", "public_key_hex",
"signature_hex"}, ...]}``. The signed message is the canonical JSON of
``{"seq", "hash", "created_at", "key_id"}``; anyone with ``public_key_hex`` can check it.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlmodel import Session, col, select

from jinghang.errors import StoreError
from jinghang.store.audit_key import AuditKey, as_utc, canonical_json, signature_ok, utc_text
from jinghang.store.models import AuditCheckpoint, AuditHead, utc_now

EXPORT_FORMAT = "jinghang-audit-checkpoints/1"
#: The largest checkpoint file read (bytes): a year of 5-minute checkpoints is about 30 MB.
MAX_EXPORT_BYTES = 64 * 1024 * 1024


class CheckpointFileError(StoreError):
    """An exported checkpoint file that cannot be read."""

    code = "audit.bad_checkpoint_file"
    title = "Bad checkpoint file"


class Checkpoint(BaseModel):
    """One signed checkpoint of the head, as stored, exported and verified."""

    seq: int
    hash: str
    created_at: str
    key_id: str
    public_key_hex: str
    signature_hex: str

    def message(self) -> bytes:
        return checkpoint_message(self.seq, self.hash, self.created_at, self.key_id)

    def signature_ok(self) -> bool:
        return signature_ok(self.public_key_hex, self.signature_hex, self.message())


def checkpoint_message(seq: int, hash_hex: str, created_at: str, key_id: str) -> bytes:
    body = {"seq": seq, "hash": hash_hex, "created_at": created_at, "key_id": key_id}
    return canonical_json(body).encode("utf-8")


def _public(row: AuditCheckpoint) -> Checkpoint:
    return Checkpoint(seq=row.seq, hash=row.hash, created_at=utc_text(row.created_at),
                      key_id=row.key_id, public_key_hex=row.public_key_hex,
                      signature_hex=row.signature_hex)


def write_checkpoint(session: Session, key: AuditKey, seq: int, hash_hex: str) -> Checkpoint:
    """Sign and store a checkpoint of entry ``seq`` (in the caller's transaction)."""
    at = utc_now()
    row = AuditCheckpoint(seq=seq, hash=hash_hex, created_at=at, key_id=key.key_id,
                          public_key_hex=key.public_key_hex, signature_hex="")
    row.signature_hex = key.sign(checkpoint_message(seq, hash_hex, utc_text(at), key.key_id))
    session.add(row)
    return _public(row)


def _latest(session: Session) -> AuditCheckpoint | None:
    query = select(AuditCheckpoint).order_by(col(AuditCheckpoint.id).desc()).limit(1)
    return session.exec(query).first()


def checkpoint_if_due(session: Session, key: AuditKey, head: AuditHead) -> None:
    """Write a checkpoint of the new head when the last one (``head.checkpointed_at``) is
    older than the interval; the head row keeps the time, so no query is needed."""
    now = utc_now()
    last = head.checkpointed_at
    if last is not None and key.checkpoint_interval_s > 0:
        if (now - as_utc(last)).total_seconds() < key.checkpoint_interval_s:
            return
    write_checkpoint(session, key, head.seq, head.hash)
    head.checkpointed_at = now
    session.add(head)


def checkpoint_head(session: Session, key: AuditKey) -> Checkpoint | None:
    """A checkpoint of the head as it is now (a new one unless the latest already names it);
    ``None`` for an empty trail."""
    head = session.get(AuditHead, 1)
    if head is None or head.seq == 0:
        return None
    latest = _latest(session)
    if latest is not None and latest.seq == head.seq and latest.hash == head.hash:
        return _public(latest)
    checkpoint = write_checkpoint(session, key, head.seq, head.hash)
    head.checkpointed_at = utc_now()
    session.add(head)
    session.flush()
    return checkpoint


def list_checkpoints(session: Session) -> list[Checkpoint]:
    """Every stored checkpoint, oldest first."""
    query = select(AuditCheckpoint).order_by(col(AuditCheckpoint.id))
    return [_public(row) for row in session.exec(query).all()]


def export_document(key: AuditKey, checkpoints: Sequence[Checkpoint]) -> dict[str, Any]:
    """The exported file's content."""
    return {
        "format": EXPORT_FORMAT,
        "exported_at": utc_text(dt.datetime.now(dt.UTC)),
        "key_id": key.key_id,
        "public_key_hex": key.public_key_hex,
        "checkpoints": [c.model_dump() for c in checkpoints],
    }


def load_checkpoint_file(path: Path) -> list[Checkpoint]:
    """The checkpoints of an exported file; :class:`CheckpointFileError` naming the fault."""
    try:
        size = path.stat().st_size
        if size > MAX_EXPORT_BYTES:
            raise CheckpointFileError(f"the checkpoint file {path} is over the size limit",
                                      field="checkpoints", value=size, limit=MAX_EXPORT_BYTES)
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CheckpointFileError(f"cannot read the checkpoint file {path}: {exc.strerror}",
                                  field="checkpoints", value=str(path)) from exc
    except (ValueError, RecursionError) as exc:
        raise CheckpointFileError(f"the checkpoint file {path} is not valid JSON",
                                  field="checkpoints", value=str(path)) from exc
    if not isinstance(document, dict) or document.get("format") != EXPORT_FORMAT:
        raise CheckpointFileError(f"the checkpoint file {path} is not a Jinghang export",
                                  field="checkpoints.format", limit=EXPORT_FORMAT)
    items = document.get("checkpoints")
    if not isinstance(items, list):
        raise CheckpointFileError("the checkpoint file has no list of checkpoints",
                                  field="checkpoints.checkpoints")
    try:
        return [Checkpoint.model_validate(item) for item in items]
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise CheckpointFileError(f"a checkpoint in {path} is malformed: {where}: "
                                  f"{first['msg']}", field=f"checkpoints.{where}") from exc
