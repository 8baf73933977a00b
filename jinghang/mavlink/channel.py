"""The MAVLink channel: bytes in, messages out, and messages to bytes. No I/O.

One implementation for both sides of a link: the flight core's links (a ground station,
system 255) and each client connection of the built-in simulator (a vehicle). pymavlink's
``ardupilotmega`` MAVLink 2 dialect decodes and encodes the payloads; this module splits and
checks the frames (CRC, signing policy) so that bad bytes never raise (they are counted), a
bad frame costs only its own bytes (one resync rule, :meth:`Channel.parse`), payloads nobody
reads are never decoded, and each channel keeps its own sequence numbers, source ids and
signing state.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

import fastcrc

from jinghang.mavlink import signing
from jinghang.mavlink.constants import MAV_COMP_ID_MISSIONPLANNER
from jinghang.mavlink.dialect import MAVLinkMessage, mavlink
from jinghang.mavlink.lazy import LazyMessage

#: The platform's own ids as a ground station.
GCS_SYSTEM_ID = 255
GCS_COMPONENT_ID = MAV_COMP_ID_MISSIONPLANNER

__all__ = [
    "GCS_COMPONENT_ID",
    "GCS_SYSTEM_ID",
    "Channel",
    "ChannelCounters",
    "MAVLinkMessage",
    "SigningKeys",
    "frame_is_signed",
    "mavlink",
]

#: per-drone keys on one link: (peer, system id) -> (drone id, key) of the drone that speaks
#: that system id from that UDP peer (None on links with one peer), or None when no drone does;
#: the drone's signing streams are kept under its drone id
SigningKeys = Callable[[Any, int], tuple[int, bytes] | None]


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


_MARKER_V2 = mavlink.PROTOCOL_MARKER_V2
_MARKER_V1 = mavlink.PROTOCOL_MARKER_V1
_IFLAG_SIGNED = mavlink.MAVLINK_IFLAG_SIGNED
_SIGNATURE_LEN = mavlink.MAVLINK_SIGNATURE_BLOCK_LEN
#: header and CRC around the payload
_V2_HEADER_LEN = mavlink.HEADER_LEN_V2
_V1_HEADER_LEN = mavlink.HEADER_LEN_V1
_TYPES: dict[int, Any] = mavlink.mavlink_map
_CRC_EXTRA: dict[int, bytes] = {i: bytes((t.crc_extra,)) for i, t in _TYPES.items()}
_crc16 = fastcrc.crc16.mcrf4xx
#: decodes payloads only (no key: the channel has applied the signing policy itself)
_decode = mavlink.MAVLink(None, 0, 0).decode


def _next_marker(buf: bytes, start: int) -> int:
    """The index of the first start marker at or after ``start``, or -1."""
    v2, v1 = buf.find(b"\xfd", start), buf.find(b"\xfe", start)
    if v2 < 0:
        return v1
    return v2 if v1 < 0 or v2 < v1 else v1


def frame_is_signed(message: MAVLinkMessage) -> bool:
    """True when the frame carried a signature on the wire (verified or not)."""
    try:
        return bool(message._header.incompat_flags & _IFLAG_SIGNED)
    except AttributeError:  # a message built here, not parsed
        return False


class Channel:
    """Parse and encode MAVLink 2 for one link.

    ``streams`` is the table of last signing timestamps per (link id, system, component)
    stream; channels of one fleet (or of one simulated vehicle) share it, so a signed frame
    replayed on another or a new connection is refused. ``link_id`` goes into the frames this
    channel signs; ``unsigned_ids`` are the message ids accepted unsigned while signing is
    required (a vehicle lets RADIO_STATUS through, as ArduPilot does). ``eager_types`` are
    the message types decoded as they arrive; the others are decoded when first read (None,
    the default: every type at once).

    With ``signing_keys`` (:data:`SigningKeys`: (peer, system id) -> the drone id and key of
    the drone speaking it there, which the fleet asks the register for) the channel signs and
    verifies per drone (its signing streams kept under the drone id, so two drones that both
    speak system 1 do not share one): a frame from system N (from a peer) must be signed with
    the key of the drone that is system N there, a message to it is signed with that key
    (:meth:`encode`'s ``signer`` and ``peer`` when given, else the message's target), and a
    broadcast (target 0, no signer) with the key of the last source whose signature verified
    here (a link to one drone: that drone's). That per-drone state is the channel's own;
    pymavlink's ``MAVLink`` object holds only the ids, the sequence and the key and timestamp
    it signs the next frame with.
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
        signing_keys: SigningKeys | None = None,
        eager_types: Collection[str] | None = None,
    ) -> None:
        #: pymavlink's encoder with this channel's ids, sequence and signing state (frames
        #: are parsed by :meth:`parse`, never by its per-byte parser)
        self.mav = mavlink.MAVLink(_NoFile(), system_id, component_id)
        #: per-drone keys: (peer, system id) -> its drone's key (None: one key, or none, for
        #: every system)
        self._key_for: SigningKeys | None = None
        #: the last (peer, system id) whose signature verified under its own key (0: none yet)
        self._last_signer: tuple[Any, int] = (None, 0)
        self._eager_ids = (
            None if eager_types is None
            else frozenset(i for i, t in _TYPES.items() if t.msgname in eager_types)
        )
        #: the start of a frame still waiting for its bytes (a stream split mid-frame)
        self._pending = b""
        self.link_id = link_id & 0xFF
        self.unsigned_ids = frozenset(unsigned_ids)
        if streams is not None:
            self.mav.signing.stream_timestamps = streams
        self.counters = ChannelCounters()
        self.set_signing_key(signing_key, require=require_signing)
        if signing_keys is not None:
            self.set_signing_keys(signing_keys, require=require_signing)

    def set_signing_keys(self, keys: SigningKeys, *, require: bool = True) -> None:
        """Sign and verify with each drone's own key (``keys(peer, system_id)``)."""
        # pymavlink checks signatures only while it holds a key: a placeholder, never sent
        signing.enable_signing(self.mav, bytes(signing.KEY_LENGTH_BYTES), link_id=self.link_id,
                               require=require, unsigned_ids=self.unsigned_ids)
        self._key_for = keys

    def set_signing_key(self, key: bytes | None, *, require: bool = True) -> None:
        """Start signing with ``key``, or stop it (None or the all-zero key); this replaces
        per-drone keys."""
        self._key_for = None
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
        """Never sign with a timestamp below ``timestamp`` (SETUP_SIGNING's initial one, or
        the last one persisted before a restart)."""
        state = self.mav.signing
        state.timestamp = max(int(state.timestamp), int(timestamp))

    @property
    def signing_timestamp(self) -> int:
        """The timestamp the next signed frame carries at least (10 µs units since 2015)."""
        return int(self.mav.signing.timestamp)

    @property
    def signed(self) -> bool:
        """True when this channel signs what it sends (with per-drone keys: always)."""
        return bool(self.mav.signing.sign_outgoing) or self._key_for is not None

    @property
    def per_drone(self) -> bool:
        """True when each system signs with its own key (``signing_keys``)."""
        return self._key_for is not None

    @property
    def verifies(self) -> bool:
        """True when incoming signatures are checked against a key."""
        return self.mav.signing.secret_key is not None

    def parse_datagram(self, data: bytes, peer: Any = None) -> list[MAVLinkMessage]:
        """Every valid message in one datagram from ``peer``; a partial frame at its end is
        dropped (a datagram holds whole frames, and senders on one UDP port must not mix)."""
        messages = self.parse(data, peer)
        if self._pending:
            self.counters.bad += 1
            self._pending = b""
        return messages

    def parse(self, data: bytes, peer: Any = None) -> list[MAVLinkMessage]:
        """Every complete, valid message in ``data`` (plus what earlier calls left over);
        ``peer`` is the UDP peer it came from (per-drone keys are looked up for it).

        Frames are split here (start marker, header, length) and the signing policy is
        applied here; pymavlink decodes the payloads: at once for the message types in
        ``eager_types`` (every type when that is None; its ``decode`` checks their CRC), and
        on first use for the others (:class:`jinghang.mavlink.lazy.LazyMessage`; their CRC
        is checked here, with fastcrc).

        The one resync rule: a frame that fails its checksum, length or flags (or has an
        unknown message id, which cannot be checksummed) is counted in ``counters.bad`` and
        not thrown away whole: parsing restarts one byte after its start marker, as
        ArduPilot's own parser does. A run of bytes before a start marker is skipped and
        counted once. A frame the signing policy refuses (:meth:`_signature_accepted`) is
        counted in ``counters.signing_rejected`` and its bytes are consumed.
        """
        counters = self.counters
        counters.bytes_received += len(data)
        buf = self._pending + data if self._pending else data
        self._pending = b""
        messages: list[MAVLinkMessage] = []
        verifies = self.mav.signing.secret_key is not None
        eager = self._eager_ids
        size = len(buf)
        i = 0
        while i < size:
            marker = buf[i]
            if marker != _MARKER_V2 and marker != _MARKER_V1:
                counters.bad += 1  # junk before a start marker: skipped as one run
                i = _next_marker(buf, i + 1)
                if i < 0:
                    return messages
                marker = buf[i]
            if marker == _MARKER_V2:
                if size - i < _V2_HEADER_LEN:
                    break
                flags = buf[i + 2]
                if flags & ~_IFLAG_SIGNED:  # a flag this MAVLink does not know: not a frame
                    counters.bad += 1
                    i += 1
                    continue
                length, compat = buf[i + 1], buf[i + 3]
                payload_end = i + _V2_HEADER_LEN + length
                msgid = buf[i + 7] | (buf[i + 8] << 8) | (buf[i + 9] << 16)
                seq, source_system, source_component = buf[i + 4], buf[i + 5], buf[i + 6]
            else:
                if size - i < _V1_HEADER_LEN:
                    break
                flags = compat = 0
                length = buf[i + 1]
                payload_end = i + _V1_HEADER_LEN + length
                msgid = buf[i + 5]
                seq, source_system, source_component = buf[i + 2], buf[i + 3], buf[i + 4]
            end = payload_end + 2 + (_SIGNATURE_LEN if flags else 0)
            if size < end:
                break
            msgtype = _TYPES.get(msgid)
            if msgtype is None:  # an unknown id cannot be checksummed: as suspect as a bad one
                counters.bad += 1
                i += 1
                continue
            frame = bytearray(buf[i:end])
            message: Any
            if eager is None or msgid in eager:
                try:  # pymavlink checks the CRC as it decodes
                    message = _decode(frame)
                except Exception:  # a bad checksum (or a payload it cannot read)
                    counters.bad += 1
                    i += 1
                    continue
            elif _crc16(_CRC_EXTRA[msgid], _crc16(frame[1 : payload_end - i])) != (
                buf[payload_end] | (buf[payload_end + 1] << 8)
            ):
                counters.bad += 1
                i += 1
                continue
            else:
                message = None  # decoded when first read
            i = end
            signed = False
            if verifies:
                accepted, signed = self._signature_accepted(
                    frame, msgid, bool(flags), source_system, source_component, peer
                )
                if not accepted:
                    counters.signing_rejected += 1
                    continue
            if message is None:
                header = mavlink.MAVLink_header(
                    msgid, flags, compat, length, seq, source_system, source_component
                )
                message = LazyMessage(
                    msgtype.msgname, frame, header, signed, frame[-13] if signed else None
                )
            elif signed:
                message._signed = True
                message._link_id = frame[-13]
            counters.received += 1
            messages.append(message)
        if i < size:
            self._pending = bytes(buf[i:])  # a frame still waiting for its bytes
        return messages

    def _signature_accepted(
        self, frame: bytearray, msgid: int, has_signature: bool, system_id: int,
        component_id: int, peer: Any,
    ) -> tuple[bool, bool]:
        """Whether a channel with a key accepts this frame, and whether its signature was
        good: a good signature (a growing timestamp, :func:`signing.check_frame`; with
        per-drone keys, under the key of the drone that is this system id from this peer) is
        accepted; otherwise only a message id the policy lets through unsigned."""
        state = self.mav.signing
        if has_signature:
            key_for = self._key_for
            if key_for is None:
                if signing.check_frame(state, frame, system_id, component_id):
                    return True, True
            else:  # per-drone keys: the sender's own key only
                drone = key_for(peer, system_id)
                if drone is not None and signing.check_frame(
                    state, frame, system_id, component_id, key=drone[1], stream_source=drone[0]
                ):
                    self._last_signer = (peer, system_id)
                    return True, True
        allow = state.allow_unsigned_callback
        return (allow is not None and bool(allow(self.mav, msgid))), False

    def encode(self, message: MAVLinkMessage, *, signer: int = 0, peer: Any = None) -> bytes:
        """The wire bytes of a message from this channel's ids, with the next sequence number.

        With per-drone keys the frame is signed with the key of the drone that is ``signer``
        (the system id it speaks) at ``peer`` (its UDP peer, None on other links), else of the
        message's target system there, else of the last source that signed here; unsigned when
        none of them has a key."""
        key_for = self._key_for
        if key_for is not None:
            target = signer or int(getattr(message, "target_system", 0) or 0)
            if not target:
                peer, target = self._last_signer
            drone = key_for(peer, target) if target else None
            key = None if drone is None else drone[1]
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
