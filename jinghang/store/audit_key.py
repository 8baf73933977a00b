"""The audit key, and what the hash of an audit row is.

A row's ``hash`` is the HMAC-SHA256, with the audit key, of the canonical JSON (sorted keys,
no spaces, UTF-8) of its sequence number, time, actor, action, target, details, ``prev_hash``
and ``key_id``. The key is never stored in the database: it comes from the settings
(``JINGHANG_AUDIT_KEY_HEX`` or ``JINGHANG_AUDIT_KEY_FILE``) and is handed to the
:class:`~jinghang.store.engine.Store`, whose sessions carry it in ``session.info``. So someone
who can only write the database can edit a row but cannot compute its new MAC, nor the MACs
of the rows after it.

Rows written before the chain was keyed (``key_id`` empty) keep their plain SHA-256: the
"legacy" prefix, sealed by the first keyed row (see :mod:`jinghang.store.audit`).

The same key gives, derived from it, an Ed25519 key pair that signs checkpoints of the head
(:mod:`jinghang.store.audit_checkpoints`): anyone holding only the public key can check that
an exported checkpoint is genuine.

A store opened without a key (tests, scripts, development) uses :data:`DEVELOPMENT_KEY`, which
is public: its rows carry its key id, and a verifier with the real key names them.
``jinghang serve`` refuses to start without a real key outside the demo.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlmodel import Session

from jinghang.config import AUDIT_KEY_MIN_BYTES as MIN_KEY_BYTES

log = logging.getLogger(__name__)

#: Where a Store's sessions carry the audit key.
SESSION_INFO_KEY = "jinghang.audit_key"
GENESIS_HASH = "0" * 64
#: The action of the keyed row that seals the unkeyed legacy rows before it.
SEAL_ACTION = "audit.keyed"


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no spaces: the same bytes for the same content everywhere."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )


def as_utc(moment: dt.datetime) -> dt.datetime:
    """An aware UTC datetime (SQLite gives naive ones back)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


def utc_text(moment: dt.datetime) -> str:
    return as_utc(moment).isoformat(timespec="microseconds")


@dataclass(frozen=True)
class AuditKey:
    """The secret that MACs every audit row and signs checkpoints; how often to checkpoint."""

    secret: bytes = field(repr=False)
    #: A checkpoint of the head is written by the first append this long after the last one.
    checkpoint_interval_s: float = 300.0
    key_id: str = field(init=False)
    public_key_hex: str = field(init=False)
    _signing: Ed25519PrivateKey = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(self.secret) < MIN_KEY_BYTES:
            raise ValueError(f"an audit key needs at least {MIN_KEY_BYTES} bytes")
        key_id = hmac.new(self.secret, b"jinghang audit key id", hashlib.sha256).hexdigest()
        seed = hmac.new(self.secret, b"jinghang audit checkpoint ed25519", hashlib.sha256)
        signing = Ed25519PrivateKey.from_private_bytes(seed.digest())
        public = signing.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        object.__setattr__(self, "key_id", key_id[:16])
        object.__setattr__(self, "public_key_hex", public.hex())
        object.__setattr__(self, "_signing", signing)

    @classmethod
    def from_hex(cls, text: str, *, checkpoint_interval_s: float = 300.0) -> AuditKey:
        """A key from its hex form (``secrets.token_hex(32)``); ValueError when not one."""
        secret = bytes.fromhex(text.strip())
        return cls(secret, checkpoint_interval_s=checkpoint_interval_s)

    def mac(self, message: bytes) -> str:
        return hmac.new(self.secret, message, hashlib.sha256).hexdigest()

    def sign(self, message: bytes) -> str:
        """The Ed25519 signature (hex) of ``message`` with the key derived from the secret."""
        return self._signing.sign(message).hex()


def signature_ok(public_key_hex: str, signature_hex: str, message: bytes) -> bool:
    """Whether ``signature_hex`` is ``public_key_hex``'s Ed25519 signature of ``message``."""
    from cryptography.exceptions import InvalidSignature

    try:
        public = Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_key_hex))
        public.verify(bytes.fromhex(signature_hex), message)
    except (ValueError, InvalidSignature):
        return False
    return True


#: The key of stores opened without one: public, so rows it MACs prove nothing.
DEVELOPMENT_KEY = AuditKey(b"jinghang development audit key: not a secret, proves nothing")
_warned_development = False


def key_of(session: Session) -> AuditKey:
    """The audit key the session's store was opened with (the development key if none)."""
    key = session.info.get(SESSION_INFO_KEY)
    if isinstance(key, AuditKey):
        return key
    global _warned_development
    if not _warned_development:
        _warned_development = True
        log.warning("the store has no audit key: audit rows are MACed with the public "
                    "development key and prove nothing")
    return DEVELOPMENT_KEY


def entry_body(
    *,
    seq: int,
    created_at: dt.datetime,
    actor: str,
    action: str,
    target_type: str,
    target_id: str,
    details: dict[str, Any] | None,
    prev_hash: str,
) -> dict[str, Any]:
    return {
        "seq": seq,
        "created_at": utc_text(created_at),
        "actor": actor,
        "action": action,
        "target_type": target_type,
        "target_id": target_id,
        "details": details or {},
        "prev_hash": prev_hash,
    }


def legacy_hash(body: dict[str, Any]) -> str:
    """The unkeyed SHA-256 of rows written before the chain was keyed."""
    return hashlib.sha256(canonical_json(body).encode("utf-8")).hexdigest()


def keyed_hash(key: AuditKey, body: dict[str, Any]) -> str:
    """The HMAC-SHA256 of a keyed row (its ``key_id`` is part of what is MACed)."""
    return key.mac(canonical_json({**body, "key_id": key.key_id}).encode("utf-8"))
