"""The MAVLink channel: bytes in, messages out, and messages to bytes. No I/O.

One implementation for both sides of a link: the flight core's links (a ground station,
system 255) and each client connection of the built-in simulator (a vehicle). pymavlink's
``ardupilotmega`` MAVLink 2 dialect does the parsing and encoding; this module only wraps it
so that bad bytes never raise (they are counted), a bad frame costs only its own bytes (one
resync rule, :meth:`Channel.parse`), and each channel keeps its own sequence numbers, source
ids and signing state.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from jinghang.mavlink import signing
from jinghang.mavlink.constants import MAV_COMP_ID_MISSIONPLANNER
from jinghang.mavlink.dialect import MAVLinkMessage, mavlink

#: The platform's own ids as a ground station.
GCS_SYSTEM_ID = 255
GCS_COMPONENT_ID = MAV_COMP_ID_MISSIONPLANNER

__all__ = [
    "GCS_COMPONENT_ID",
    "GCS_SYSTEM_ID",
    "Channel",
    "ChannelCounters",
    "MAVLinkMessage",
    "frame_is_signed",
    "mavlink",
]


@dataclass(slots=True)
class ChannelCounters:
    """What a channel has seen: good messages, bad bytes, rejected signatures, sent."""

    received: int = 0
    bad: int = 0
    signing_rejected: int = 0
    sent: int = 0
    bytes_received: int = 0


class _NoFile:
    def write(self, data: bytes) -> None:  # pragma: no cover - we never use mav.send
        raise RuntimeError("channels encode; transports send")


class _MAVLink(mavlink.MAVLink):  # type: ignore[misc]
    """pymavlink's parser with :func:`jinghang.mavlink.signing.check_frame` as its signature
    check (a stream's timestamp moves only on a good signature). With ``key_for`` each
    sender's frames are checked with that system id's key (per-drone keys)."""

    key_for: Callable[[int], bytes | None] | None = None
    #: the last system id whose signature verified with its own key (0: none yet)
    last_signer: int = 0

    def check_signature(self, msgbuf: bytearray, srcSystem: int, srcComponent: int) -> bool:
        if self.key_for is None:
            return signing.check_frame(self.signing, msgbuf, srcSystem, srcComponent)
        key = self.key_for(srcSystem)
        if key is None or not signing.check_frame(
            self.signing, msgbuf, srcSystem, srcComponent, key=key
        ):
            return False
        self.last_signer = srcSystem
        return True


def frame_is_signed(message: MAVLinkMessage) -> bool:
    """True when the frame carried a signature on the wire (verified or not)."""
    header = getattr(message, "_header", None)
    return bool(header is not None and getattr(header, "incompat_flags", 0) & 1)


class Channel:
    """Parse and encode MAVLink 2 for one link.

    ``streams`` is the table of last signing timestamps per (link id, system, component)
    stream; channels of one fleet (or of one simulated vehicle) share it, so a signed frame
    replayed on another or a new connection is refused. ``link_id`` goes into the frames this
    channel signs; ``unsigned_ids`` are the message ids accepted unsigned while signing is
    required (a vehicle lets RADIO_STATUS through, as ArduPilot does).

    With ``signing_keys`` (system id -> key, :class:`jinghang.mavlink.keys.DroneKeys`) the
    channel signs and verifies per drone: a frame from system N must be signed with N's key,
    a message to N is signed with N's key, and a broadcast (target 0) with the key of the
    last system whose signature verified here (a link to one drone: that drone's).
    """

    def __init__(
        self,
        *,
        system_id: int = GCS_SYSTEM_ID,
        component_id: int = GCS_COMPONENT_ID,
        link_id: int = 0,
        signing_key: bytes | None = None,
        require_signing: bool = True,
        unsigned_ids: Collection[int] = (),
        streams: dict[tuple[int, int, int], int] | None = None,
        signing_keys: Callable[[int], bytes | None] | None = None,
    ) -> None:
        self.mav = _MAVLink(_NoFile(), system_id, component_id)
        self.mav.robust_parsing = True
        self.link_id = link_id & 0xFF
        self.unsigned_ids = frozenset(unsigned_ids)
        if streams is not None:
            self.mav.signing.stream_timestamps = streams
        self.counters = ChannelCounters()
        self.set_signing_key(signing_key, require=require_signing)
        if signing_keys is not None:
            self.set_signing_keys(signing_keys, require=require_signing)

    def set_signing_keys(
        self, keys: Callable[[int], bytes | None], *, require: bool = True
    ) -> None:
        """Sign and verify with each system id's own key (``keys(system_id)``)."""
        # pymavlink checks signatures only while it holds a key: a placeholder, never sent
        signing.enable_signing(self.mav, bytes(signing.KEY_LENGTH_BYTES), link_id=self.link_id,
                               require=require, unsigned_ids=self.unsigned_ids)
        self.mav.key_for = keys

    def set_signing_key(self, key: bytes | None, *, require: bool = True) -> None:
        """Start signing with ``key``, or stop it (None or the all-zero key); this replaces
        per-drone keys."""
        self.mav.key_for = None
        if key is None or signing.is_off(key):
            signing.disable_signing(self.mav)
        else:
            signing.enable_signing(
                self.mav, key, link_id=self.link_id, require=require,
                unsigned_ids=self.unsigned_ids,
            )

    @property
    def signing_key(self) -> bytes | None:
        """The key this channel signs and verifies with (None: no signing)."""
        key = self.mav.signing.secret_key
        return bytes(key) if key is not None else None

    def advance_signing_timestamp(self, timestamp: int) -> None:
        """Never sign with a timestamp below ``timestamp`` (SETUP_SIGNING's initial one)."""
        state = self.mav.signing
        state.timestamp = max(int(state.timestamp), int(timestamp))

    @property
    def signed(self) -> bool:
        """True when this channel signs what it sends (with per-drone keys: always)."""
        return bool(self.mav.signing.sign_outgoing) or self.mav.key_for is not None

    @property
    def verifies(self) -> bool:
        """True when incoming signatures are checked against a key."""
        return self.mav.signing.secret_key is not None

    def parse_datagram(self, data: bytes) -> list[MAVLinkMessage]:
        """Every valid message in one datagram; a partial frame at its end is dropped (a
        datagram holds whole frames, and senders on one UDP port must not mix)."""
        messages = self.parse(data)
        mav = self.mav
        if len(mav.buf) - mav.buf_index > 0:
            self.counters.bad += 1
            mav.buf, mav.buf_index, mav.expected_length = bytearray(), 0, 8
        return messages

    def parse(self, data: bytes) -> list[MAVLinkMessage]:
        """Every complete, valid message in ``data`` (plus what earlier calls left over).

        The one resync rule: a frame that fails its checksum or length (or has an unknown
        message id, which pymavlink cannot checksum) is counted in ``counters.bad`` and not
        thrown away whole (pymavlink's robust parser would drop the good frames it
        swallowed): parsing restarts one byte after its start marker, as ArduPilot's own
        parser does. Bytes before a start marker are skipped. A badly signed frame is counted
        in ``counters.signing_rejected``.
        """
        self.counters.bytes_received += len(data)
        messages: list[MAVLinkMessage] = []
        mav = self.mav
        chunk: bytes = data
        while True:
            try:
                message = mav.parse_char(chunk)
            except Exception:  # robust parsing should catch all; never let bad bytes escape
                self.counters.bad += 1
                mav.buf, mav.buf_index = bytearray(), 0
                return messages
            chunk = b""
            if message is None:
                return messages
            # an unknown id is not checksummed by pymavlink: as suspect as a bad checksum
            if isinstance(message, (mavlink.MAVLink_bad_data, mavlink.MAVLink_unknown)):
                reason = str(getattr(message, "reason", ""))
                if "signature" in reason:
                    self.counters.signing_rejected += 1
                    continue
                self.counters.bad += 1
                frame = bytes(getattr(message, "data", b""))
                if reason != "Bad prefix" and len(frame) > 1:
                    mav.buf = bytearray(frame[1:]) + mav.buf[mav.buf_index:]
                    mav.buf_index = 0
                    mav.expected_length = 8
                continue
            self.counters.received += 1
            messages.append(message)

    def encode(self, message: MAVLinkMessage) -> bytes:
        """The wire bytes of a message from this channel's ids, with the next sequence number."""
        key_for = self.mav.key_for
        if key_for is not None:
            target = int(getattr(message, "target_system", 0) or 0) or self.mav.last_signer
            key = key_for(target) if target else None
            self.mav.signing.sign_outgoing = key is not None
            if key is not None:
                self.mav.signing.secret_key = key
        data = bytes(message.pack(self.mav))
        self.mav.seq = (self.mav.seq + 1) % 256
        self.counters.sent += 1
        return data

    def __getattr__(self, name: str) -> Any:
        """``channel.heartbeat_encode(...)`` and friends come from pymavlink."""
        if name.endswith("_encode"):
            return getattr(self.mav, name)
        raise AttributeError(name)
