"""The MAVLink channel: bytes in, messages out, and messages to bytes. No I/O.

pymavlink's ``ardupilotmega`` MAVLink 2 dialect does the parsing and encoding; this module
only wraps it so that bad bytes never raise (they are counted) and so that each channel keeps
its own sequence numbers, source ids and signing state.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pymavlink.dialects.v20 import ardupilotmega as mavlink

from jinghang.flight import signing

#: pymavlink messages are dynamically typed; this alias names them in signatures.
MAVLinkMessage = Any

#: The platform's own ids as a ground station.
GCS_SYSTEM_ID = 255
GCS_COMPONENT_ID = mavlink.MAV_COMP_ID_MISSIONPLANNER


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
    """pymavlink's parser with :func:`jinghang.flight.signing.check_frame` as its signature
    check (a stream's timestamp moves only on a good signature)."""

    def check_signature(self, msgbuf: bytearray, srcSystem: int, srcComponent: int) -> bool:
        return signing.check_frame(self.signing, msgbuf, srcSystem, srcComponent)


def frame_is_signed(message: MAVLinkMessage) -> bool:
    """True when the frame carried a signature on the wire (verified or not)."""
    header = getattr(message, "_header", None)
    return bool(header is not None and getattr(header, "incompat_flags", 0) & 1)


class Channel:
    """Parse and encode MAVLink 2 for one link.

    ``streams`` is the table of last signing timestamps per (link id, system, component)
    stream; channels of one fleet share it, so a signed frame replayed on another or a new
    connection is refused.
    """

    def __init__(
        self,
        *,
        system_id: int = GCS_SYSTEM_ID,
        component_id: int = GCS_COMPONENT_ID,
        signing_key: bytes | None = None,
        require_signing: bool = True,
        streams: dict[tuple[int, int, int], int] | None = None,
    ) -> None:
        self.mav = _MAVLink(_NoFile(), system_id, component_id)
        self.mav.robust_parsing = True
        if streams is not None:
            self.mav.signing.stream_timestamps = streams
        self.counters = ChannelCounters()
        if signing_key is not None:
            signing.enable_signing(self.mav, signing_key, require=require_signing)

    def set_signing_key(self, key: bytes | None, *, require: bool = True) -> None:
        """Start (or with None, stop) signing on this channel."""
        if key is None:
            signing.disable_signing(self.mav)
        else:
            signing.enable_signing(self.mav, key, require=require)

    @property
    def signed(self) -> bool:
        return bool(self.mav.signing.sign_outgoing)

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

        A frame that fails its checksum or length is not thrown away whole (pymavlink's
        robust parser would drop the good frames it swallowed): parsing restarts one byte
        after its start marker, as ArduPilot's own parser does.
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
        data = bytes(message.pack(self.mav))
        self.mav.seq = (self.mav.seq + 1) % 256
        self.counters.sent += 1
        return data

    def __getattr__(self, name: str) -> Any:
        """``channel.heartbeat_encode(...)`` and friends come from pymavlink."""
        if name.endswith("_encode"):
            return getattr(self.mav, name)
        raise AttributeError(name)
