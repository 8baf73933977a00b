"""Verifying the audit trail: a walk over the rows in batches (constant memory) that names
the first bad row and what is wrong with it.

What is checked, row by row in storage order: the sequence runs 1, 2, 3 ... (a gap is a
deleted row), each row's MAC with the audit key matches its content (``edited``), each row
names the hash of the row before it (``reordered``), each row was MACed with this trail's key
(``wrong key``; rows of a store opened without a key carry the public development key), no
unkeyed row follows a keyed one (``unkeyed``: a row rewritten with a plain SHA-256, as the
trail was before it was keyed), the legacy rows (if any) are sealed by the first keyed row
(``unsealed``), and every signed checkpoint (stored, or from an exported file) names the
hash its entry has (``checkpoint mismatch``). At the end: a checkpoint or the head naming an
entry past the last one is a deleted tail (``tail deleted``); a checkpoint whose signature
does not hold, or that another key signed, is reported (``forged checkpoint``,
``foreign checkpoint``).
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from jinghang.store.audit_checkpoints import Checkpoint, list_checkpoints
from jinghang.store.audit_key import (
    DEVELOPMENT_KEY,
    GENESIS_HASH,
    SEAL_ACTION,
    AuditKey,
    entry_body,
    key_of,
    keyed_hash,
    legacy_hash,
)
from jinghang.store.models import AuditEntry, AuditHead

#: Rows read per query while verifying.
BATCH_SIZE = 1000


@dataclass(frozen=True, slots=True)
class ChainReport:
    """What :func:`verify_chain` found: ``ok``, how many entries it checked, and for a broken
    chain the first bad entry (``first_bad_seq``, and ``first_bad_id``, its row id, where the
    row exists), the problem (``edited``, ``deleted``, ``reordered``, ``wrong key``,
    ``unkeyed``, ``unsealed``, ``checkpoint mismatch``, ``tail deleted``, ``forged
    checkpoint``, ``foreign checkpoint``) and a sentence saying what is wrong."""

    ok: bool
    checked: int
    first_bad_seq: int | None = None
    problem: str = ""
    detail: str = ""
    first_bad_id: int | None = None
    legacy_entries: int = 0
    checkpoints_checked: int = 0
    head_seq: int = 0
    head_hash: str = ""


@dataclass
class _Walk:
    key: AuditKey
    checkpoints: dict[int, Checkpoint]
    expected_seq: int = 1
    expected_prev: str = GENESIS_HASH
    legacy: int = 0
    keyed_seen: bool = False
    matched_checkpoints: set[int] = field(default_factory=set)

    def report(self, ok: bool, seq: int | None = None, problem: str = "", detail: str = "",
               row_id: int | None = None) -> ChainReport:
        return ChainReport(
            ok, self.expected_seq - 1, seq, problem, detail, row_id, self.legacy,
            len(self.matched_checkpoints), self.expected_seq - 1,
            self.expected_prev if self.expected_seq > 1 else "")

    def check(self, entry: AuditEntry) -> ChainReport | None:
        """The problem with the next row, or None when it holds (and the walk moves on)."""
        if entry.seq != self.expected_seq:
            if entry.seq > self.expected_seq:
                return self.report(False, self.expected_seq, "deleted",
                                   f"entries {self.expected_seq}..{entry.seq - 1} are missing "
                                   f"(row {entry.id} is entry {entry.seq})", entry.id)
            return self.report(False, self.expected_seq, "reordered",
                               f"entry {entry.seq} stands where entry {self.expected_seq} "
                               "should", entry.id)
        problem = self._content(entry) or self._link(entry) or self._checkpoint(entry)
        if problem is not None:
            return self.report(False, entry.seq, problem[0], problem[1], entry.id)
        if entry.key_id:
            self.keyed_seen = True
        else:
            self.legacy += 1
        self.expected_prev = entry.hash
        self.expected_seq += 1
        return None

    def _content(self, entry: AuditEntry) -> tuple[str, str] | None:
        body = entry_body(seq=entry.seq, created_at=entry.created_at, actor=entry.actor,
                          action=entry.action, target_type=entry.target_type,
                          target_id=entry.target_id, details=entry.details,
                          prev_hash=entry.prev_hash)
        if not entry.key_id:
            if self.keyed_seen:
                return ("unkeyed", "an unkeyed row after the keyed chain began: it was written "
                        "or rewritten without the audit key")
            if not hmac.compare_digest(legacy_hash(body), entry.hash):
                return "edited", "the legacy entry's content does not match its hash"
            return None
        if entry.key_id != self.key.key_id:
            if entry.key_id == DEVELOPMENT_KEY.key_id:
                return ("wrong key", "the entry was MACed with the public development key "
                        "(written by a store opened without the audit key)")
            return ("wrong key", f"the entry was MACed with key {entry.key_id}, not this "
                    f"trail's key {self.key.key_id}")
        if not hmac.compare_digest(keyed_hash(self.key, body), entry.hash):
            return "edited", "the entry's content does not match its MAC"
        if self.legacy and not self.keyed_seen:
            details = entry.details or {}
            if (entry.action != SEAL_ACTION
                    or details.get("legacy_entries") != self.legacy
                    or details.get("legacy_head_hash") != self.expected_prev):
                return ("unsealed", f"the first keyed entry does not seal the {self.legacy} "
                        "unkeyed entries before it")
        return None

    def _link(self, entry: AuditEntry) -> tuple[str, str] | None:
        if entry.prev_hash != self.expected_prev:
            return "reordered", "the entry does not follow the entry before it"
        return None

    def _checkpoint(self, entry: AuditEntry) -> tuple[str, str] | None:
        checkpoint = self.checkpoints.get(entry.seq)
        if checkpoint is None:
            return None
        if not hmac.compare_digest(checkpoint.hash, entry.hash):
            return ("checkpoint mismatch", f"the entry is not the one the checkpoint signed "
                    f"at {checkpoint.created_at} names")
        self.matched_checkpoints.add(entry.seq)
        return None


def _trusted(key: AuditKey, checkpoints: Sequence[Checkpoint]
             ) -> tuple[dict[int, Checkpoint], tuple[int, str, str] | None]:
    """The checkpoints signed with ``key`` by seq, and the first one that is not."""
    trusted: dict[int, Checkpoint] = {}
    untrusted: tuple[int, str, str] | None = None
    for checkpoint in checkpoints:
        if checkpoint.public_key_hex != key.public_key_hex or checkpoint.key_id != key.key_id:
            untrusted = untrusted or (checkpoint.seq, "foreign checkpoint",
                                      f"the checkpoint of entry {checkpoint.seq} "
                                      f"({checkpoint.created_at}) was signed with another key")
        elif not checkpoint.signature_ok():
            untrusted = untrusted or (checkpoint.seq, "forged checkpoint",
                                      f"the signature of the checkpoint of entry "
                                      f"{checkpoint.seq} ({checkpoint.created_at}) does not "
                                      "hold")
        else:
            earlier = trusted.get(checkpoint.seq)
            if earlier is not None and earlier.hash != checkpoint.hash:
                untrusted = untrusted or (checkpoint.seq, "checkpoint mismatch",
                                          f"two signed checkpoints name different hashes "
                                          f"for entry {checkpoint.seq}")
            trusted.setdefault(checkpoint.seq, checkpoint)
    return trusted, untrusted


def verify_chain(
    session: Session,
    *,
    key: AuditKey | None = None,
    checkpoints: Sequence[Checkpoint] = (),
    batch_size: int = BATCH_SIZE,
) -> ChainReport:
    """Walk the whole trail in storage order, ``batch_size`` rows at a time, against the
    stored checkpoints and ``checkpoints`` (from an export), and report the first bad row.

    ``key`` defaults to the key the session's store was opened with."""
    key = key or key_of(session)
    trusted, untrusted = _trusted(key, [*list_checkpoints(session), *checkpoints])
    walk = _Walk(key, trusted)
    last_id = 0
    while True:
        query = (select(AuditEntry).where(col(AuditEntry.id) > last_id)
                 .order_by(col(AuditEntry.id)).limit(batch_size))
        rows = session.exec(query).all()
        if not rows:
            break
        for entry in rows:
            problem = walk.check(entry)
            if problem is not None:
                return problem
            last_id = entry.id or last_id
        session.expunge_all()  # constant memory: forget the batch's rows
    last = walk.expected_seq - 1
    if walk.legacy and not walk.keyed_seen:
        return walk.report(False, 1, "unsealed",
                           f"entries 1..{walk.legacy} carry no keyed MAC and no keyed entry "
                           "seals them (open the store with the audit key once to seal them)")
    beyond = sorted(seq for seq in trusted if seq > last)
    if beyond:
        checkpoint = trusted[beyond[0]]
        return walk.report(False, last + 1, "tail deleted",
                           f"the trail ends at entry {last} but the checkpoint signed at "
                           f"{checkpoint.created_at} names entry {checkpoint.seq}")
    head = session.get(AuditHead, 1)
    if head is not None and head.seq > last:
        return walk.report(False, last + 1, "tail deleted",
                           f"the trail ends at entry {last} but its head says {head.seq}")
    if head is not None and last and (head.seq != last or head.hash != walk.expected_prev):
        return walk.report(False, last, "edited",
                           "the trail's head does not match its last entry")
    if untrusted is not None:
        return walk.report(False, untrusted[0], untrusted[1], untrusted[2])
    return walk.report(True)
