"""MAVLink 2 message signing for one channel: key handling and the accept/reject policy.

A channel with a key signs everything it sends. With ``require=True`` (the default when a key
is configured) it drops unsigned and wrongly signed packets; the channel counts them in
``ChannelCounters.signing_rejected``.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

from jinghang.flight.errors import LinkError

KEY_LENGTH_BYTES = 32
#: Signing timestamps count 10 µs units since 2015-01-01 00:00:00 UTC.
_EPOCH_2015_S = 1420070400


def key_from_text(text: str) -> bytes:
    """A 32-byte key from 64 hex digits, or the SHA-256 of a passphrase (as MAVProxy does)."""
    text = text.strip()
    if not text:
        raise LinkError("signing key is empty", field="signing_key", limit="non-empty")
    if len(text) == 2 * KEY_LENGTH_BYTES:
        try:
            return bytes.fromhex(text)
        except ValueError:
            pass
    return hashlib.sha256(text.encode()).digest()


def check_key(key: bytes) -> bytes:
    if len(key) != KEY_LENGTH_BYTES:
        raise LinkError(
            f"signing key must be {KEY_LENGTH_BYTES} bytes, got {len(key)}",
            field="signing_key",
            value=len(key),
            limit=KEY_LENGTH_BYTES,
        )
    return key


def signing_timestamp_now() -> int:
    return int((time.time() - _EPOCH_2015_S) * 100_000)


def enable_signing(mav: Any, key: bytes, *, link_id: int = 0, require: bool = True) -> None:
    """Configure a pymavlink ``MAVLink`` object to sign outgoing and check incoming packets."""
    mav.signing.secret_key = check_key(key)
    mav.signing.link_id = link_id
    mav.signing.timestamp = signing_timestamp_now()
    mav.signing.sign_outgoing = True
    mav.signing.allow_unsigned_callback = None if require else (lambda _mav, _msgid: True)


def disable_signing(mav: Any) -> None:
    mav.signing.secret_key = None
    mav.signing.sign_outgoing = False
    mav.signing.allow_unsigned_callback = None
