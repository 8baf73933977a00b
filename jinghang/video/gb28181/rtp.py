"""RTP (RFC 3550) for a GB/T 28181 PS stream: payload type 96, 90 kHz clock, the SSRC the
platform chose in its SDP ``y=`` line; each access unit's pack split into payloads of at
most ``max_payload`` bytes, the marker bit on the last. Over TCP every packet is framed with
a 16-bit length in front (RFC 4571)."""

from __future__ import annotations

import secrets
import struct

PAYLOAD_TYPE_PS = 96
CLOCK_RATE_HZ = 90_000
DEFAULT_MAX_PAYLOAD = 1400


class RtpPacketiser:
    """Sequence numbers and timestamps of one outgoing stream."""

    def __init__(self, ssrc: int, *, payload_type: int = PAYLOAD_TYPE_PS,
                 max_payload: int = DEFAULT_MAX_PAYLOAD) -> None:
        self.ssrc = ssrc & 0xFFFFFFFF
        self.payload_type = payload_type
        self.max_payload = max_payload
        self.sequence = secrets.randbelow(1 << 16)
        self.packets_sent = 0
        self.octets_sent = 0

    def packets(self, payload: bytes, timestamp_90khz: int) -> list[bytes]:
        """RTP packets carrying ``payload`` (one access unit's pack)."""
        out = []
        chunks = [payload[i:i + self.max_payload]
                  for i in range(0, len(payload), self.max_payload)] or [b""]
        for index, chunk in enumerate(chunks):
            marker = 0x80 if index == len(chunks) - 1 else 0x00
            header = struct.pack(">BBHII", 0x80, marker | self.payload_type, self.sequence,
                                 timestamp_90khz & 0xFFFFFFFF, self.ssrc)
            self.sequence = (self.sequence + 1) & 0xFFFF
            out.append(header + chunk)
            self.packets_sent += 1
            self.octets_sent += len(chunk)
        return out


def frame_rfc4571(packet: bytes) -> bytes:
    """An RTP packet as sent on a TCP connection: its length (16 bits) then the packet."""
    return struct.pack(">H", len(packet)) + packet


def parse_header(packet: bytes) -> tuple[int, bool, int, int, int, bytes]:
    """(payload type, marker, sequence, timestamp, SSRC, payload) of an RTP packet without
    CSRCs or extension (what :class:`RtpPacketiser` writes); ValueError otherwise."""
    if len(packet) < 12 or packet[0] >> 6 != 2:
        raise ValueError("not an RTP version 2 packet")
    first, second, sequence, timestamp, ssrc = struct.unpack(">BBHII", packet[:12])
    offset = 12 + 4 * (first & 0x0F)
    if first & 0x10:
        if len(packet) < offset + 4:
            raise ValueError("RTP extension header is cut short")
        offset += 4 + 4 * struct.unpack(">H", packet[offset + 2:offset + 4])[0]
    return second & 0x7F, bool(second & 0x80), sequence, timestamp, ssrc, packet[offset:]
