"""A MAVLink 2 channel for one connected client: bytes in, messages out, and back.

pymavlink only encodes and decodes here; the socket belongs to the server. A channel keeps
its own parser state, sequence numbers and signing state (MAVLink 2 signing with a 32-byte
key: when a key is set, outgoing packets are signed and unsigned or wrongly signed incoming
packets are dropped and counted).
"""

from __future__ import annotations

import time
from typing import Any

from pymavlink.dialects.v20 import ardupilotmega as mavlink

MAVLINK_EPOCH_S = 1420070400  # 2015-01-01, the origin of signing timestamps

MavMessage = Any  # pymavlink.dialects.v20.ardupilotmega.MAVLink_message


def signing_timestamp_now() -> int:
    """A MAVLink signing timestamp (10 microsecond units since 2015) for the wall clock now."""
    return int((time.time() - MAVLINK_EPOCH_S) * 100_000)


class MavChannel:
    """Parser and encoder for one link, with optional signing."""

    def __init__(self, system_id: int, component_id: int = 1, link_id: int = 0) -> None:
        self.mav = mavlink.MAVLink(None, srcSystem=system_id, srcComponent=component_id)
        self.mav.robust_parsing = True
        self.link_id = link_id & 0xFF
        self.bad_packets = 0
        self.unsigned_dropped = 0
        self.received = 0
        self.sent = 0

    @property
    def signing_key(self) -> bytes | None:
        key = self.mav.signing.secret_key
        return bytes(key) if key is not None else None

    def set_signing_key(self, key: bytes | None) -> None:
        """Require and produce signatures with ``key`` (None or all zeros: no signing)."""
        signing = self.mav.signing
        if key is None or not any(key):
            signing.secret_key = None
            signing.sign_outgoing = False
            signing.allow_unsigned_callback = None
            return
        signing.secret_key = bytes(key)
        signing.link_id = self.link_id
        signing.sign_outgoing = True
        signing.timestamp = max(signing.timestamp, signing_timestamp_now())
        signing.allow_unsigned_callback = _allow_radio_status_only

    def parse(self, data: bytes) -> list[MavMessage]:
        """Every complete, valid message in ``data`` (partial packets wait for more bytes)."""
        out: list[MavMessage] = []
        try:
            msgs = self.mav.parse_buffer(data) or []
        except Exception:  # a pymavlink decoder bug must not take the vehicle down
            self.bad_packets += 1
            self.mav = _fresh_parser_like(self.mav)
            return out
        for msg in msgs:
            if msg.get_type() == "BAD_DATA":
                reason = str(getattr(msg, "reason", ""))
                if "signature" in reason.lower():
                    self.unsigned_dropped += 1
                else:
                    self.bad_packets += 1
                continue
            self.received += 1
            out.append(msg)
        return out

    def encode(self, msg: MavMessage) -> bytes:
        buf: bytes = msg.pack(self.mav)
        self.mav.seq = (self.mav.seq + 1) % 256
        self.sent += 1
        return buf


def _allow_radio_status_only(_mav: Any, msg_id: int) -> bool:
    return msg_id == mavlink.MAVLINK_MSG_ID_RADIO_STATUS


def _fresh_parser_like(old: Any) -> Any:
    new = mavlink.MAVLink(None, srcSystem=old.srcSystem, srcComponent=old.srcComponent)
    new.robust_parsing = True
    new.seq = old.seq
    new.signing = old.signing
    return new
