"""MAVLink 2 message signing: key handling, the accept/reject policy, replay protection.

A channel with a key signs everything it sends. With ``require=True`` (the default when a key
is configured) it drops unsigned and wrongly signed packets except the message ids it is told
to let through unsigned (a vehicle: RADIO_STATUS, as ArduPilot); the channel counts them in
``ChannelCounters.signing_rejected``. An all-zero key means no signing (as SETUP_SIGNING
with zeros switches it off on ArduPilot).

Replay: every (link id, system, component) stream's last accepted timestamp is kept (with
per-drone keys the drone id stands for the system, so drones that all speak system 1 have
streams of their own), and a frame whose timestamp is not newer is refused
(:func:`check_frame`). The fleet's channels share one table, so a frame captured on one
connection is refused on another or a new one, and a :class:`StreamStore` keeps it across
restarts (a JSON file here; :mod:`jinghang.store.signing_streams` in ``jinghang serve``).
What is persisted includes the platform's own outgoing stream, and a restarted platform
signs from after the newest timestamp persisted (never from an earlier clock), as MAVLink's
signing spec asks (mavlink.io, Message Signing, Timestamp Handling: store the timestamp
regularly, at least once a minute, and start from the larger of the clock and the stored
one): the timestamp never goes backwards.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import struct
import time
from collections.abc import Collection
from pathlib import Path
from typing import Any, Protocol

from jinghang.errors import FlightError

KEY_LENGTH_BYTES = 32
#: Signing timestamps count 10 µs units since 2015-01-01 00:00:00 UTC.
MAVLINK_EPOCH_S = 1420070400
TIMESTAMP_UNITS_PER_S = 100_000


class SigningKeyError(FlightError):
    """A signing key that is empty or not 32 bytes."""

    code = "vehicle.link_error"


def key_from_text(text: str) -> bytes:
    """A 32-byte key from 64 hex digits, or the SHA-256 of a passphrase (as MAVProxy does)."""
    text = text.strip()
    if not text:
        raise SigningKeyError("signing key is empty", field="signing_key", limit="non-empty")
    if len(text) == 2 * KEY_LENGTH_BYTES:
        try:
            return bytes.fromhex(text)
        except ValueError:
            pass
    return hashlib.sha256(text.encode()).digest()


def check_key(key: bytes) -> bytes:
    """``key`` if it is 32 bytes, else :class:`SigningKeyError`."""
    if len(key) != KEY_LENGTH_BYTES:
        raise SigningKeyError(
            f"signing key must be {KEY_LENGTH_BYTES} bytes, got {len(key)}",
            field="signing_key",
            value=len(key),
            limit=KEY_LENGTH_BYTES,
        )
    return key


def signing_timestamp_now() -> int:
    """A signing timestamp (10 µs units since 2015) for the wall clock now."""
    return int((time.time() - MAVLINK_EPOCH_S) * TIMESTAMP_UNITS_PER_S)


def is_off(key: bytes | None) -> bool:
    """True for no key or the all-zero key (signing off)."""
    return key is None or not any(key)


def enable_signing(
    mav: Any,
    key: bytes,
    *,
    link_id: int = 0,
    require: bool = True,
    unsigned_ids: Collection[int] = (),
) -> None:
    """Configure a pymavlink ``MAVLink`` object to sign outgoing and check incoming packets.

    With ``require`` an unsigned packet is accepted only when its message id is in
    ``unsigned_ids``; without it every unsigned packet is accepted (signed ones are checked).
    The outgoing timestamp never moves back."""
    mav.signing.secret_key = check_key(bytes(key))
    mav.signing.link_id = link_id & 0xFF
    mav.signing.timestamp = max(int(mav.signing.timestamp), signing_timestamp_now())
    mav.signing.sign_outgoing = True
    allowed = frozenset(unsigned_ids)
    if not require:
        mav.signing.allow_unsigned_callback = lambda _mav, _msgid: True
    elif allowed:
        mav.signing.allow_unsigned_callback = lambda _mav, msgid: msgid in allowed
    else:
        mav.signing.allow_unsigned_callback = None


def disable_signing(mav: Any) -> None:
    """Stop signing and checking signatures on a pymavlink ``MAVLink`` object."""
    mav.signing.secret_key = None
    mav.signing.sign_outgoing = False
    mav.signing.allow_unsigned_callback = None


#: A stream a signing timestamp belongs to: (link id, system id, component id); with per-drone
#: keys the drone id stands for the system id (drones that all speak system 1 each have theirs).
StreamKey = tuple[int, int, int]
#: A new stream may start at most this far (10 µs units: one minute) behind our clock.
NEW_STREAM_SLACK = 60 * 100_000
_TIMESTAMP = struct.Struct("<IH")


def check_frame(
    state: Any, msgbuf: bytearray, system_id: int, component_id: int, *, key: bytes | None = None,
    stream_source: int | None = None,
) -> bool:
    """Verify a signed frame's signature and timestamp against ``state`` (pymavlink's
    ``MAVLinkSigning``): the stream's timestamp must grow, a new stream may not start more
    than a minute behind, and only a frame with a good signature moves the stream (pymavlink
    moves it before checking the signature, so a forged frame could lock a stream out).
    ``key`` is the sender's key when it is not the state's own (per-drone keys), and
    ``stream_source`` then the drone id its stream is kept under (else the system id)."""
    if key is None:
        key = state.secret_key
    if key is None:
        return False
    low, high = _TIMESTAMP.unpack(bytes(msgbuf[-12:-6]))
    timestamp = low + (high << 32)
    source = system_id if stream_source is None else stream_source
    stream: StreamKey = (int(msgbuf[-13]), source, component_id)
    last = state.stream_timestamps.get(stream)
    if last is not None and timestamp <= last:
        return False
    if last is None and timestamp + NEW_STREAM_SLACK < state.timestamp:
        return False
    if not signed_with(key, msgbuf):
        return False
    state.stream_timestamps[stream] = timestamp
    state.timestamp = max(state.timestamp, timestamp)
    return True


def signed_with(key: bytes, msgbuf: bytes | bytearray) -> bool:
    """True when a signed frame's signature (its last 6 bytes) is ``key``'s (timestamps not
    checked: :func:`check_frame` does that)."""
    digest = hashlib.sha256(bytes(key) + bytes(msgbuf[:-6])).digest()[:6]
    return hmac.compare_digest(digest, bytes(msgbuf[-6:]))


class StreamStore(Protocol):
    """Where the last signing timestamps of every stream survive a restart: ``load`` once at
    start, ``save`` (without waiting on a disk or a database) every few seconds and at
    shutdown, then ``close`` (which may wait for what ``save`` handed on)."""

    def load(self) -> dict[StreamKey, int]: ...

    def save(self, streams: dict[StreamKey, int]) -> None: ...

    def close(self) -> None: ...


class FileStreamStore:
    """Signing stream timestamps in a small JSON file (written atomically)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def load(self) -> dict[StreamKey, int]:
        try:
            rows = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return {}
        out: dict[StreamKey, int] = {}
        for row in rows if isinstance(rows, list) else []:
            try:
                link_id, system_id, component_id, timestamp = (int(v) for v in row)
            except (TypeError, ValueError):
                continue
            out[(link_id, system_id, component_id)] = timestamp
        return out

    def save(self, streams: dict[StreamKey, int]) -> None:
        rows = [[*key, value] for key, value in sorted(streams.items())]
        temporary = self.path.with_suffix(self.path.suffix + ".tmp")
        temporary.write_text(json.dumps(rows))
        os.replace(temporary, self.path)
        with contextlib.suppress(OSError):
            os.chmod(self.path, 0o600)

    def close(self) -> None:
        """Nothing is pending: :meth:`save` wrote the file."""


class MemoryStreamStore:
    """Stream timestamps kept in memory (a fleet's default: survives reconnects only)."""

    def __init__(self) -> None:
        self.saved: dict[StreamKey, int] = {}

    def load(self) -> dict[StreamKey, int]:
        return dict(self.saved)

    def save(self, streams: dict[StreamKey, int]) -> None:
        self.saved = dict(streams)

    def close(self) -> None:
        """Nothing to wait for."""
