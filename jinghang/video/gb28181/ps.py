"""MPEG-2 program stream (ISO/IEC 13818-1 §2.5) for one H.264 video stream, as GB/T 28181
platforms take it over RTP.

Every access unit becomes one pack: a pack header (SCR), and in front of a keyframe the
system header and the program stream map (PSM, stream type 0x1B for H.264: GB/T 28181
receivers such as ZLMediaKit choose the codec from it), then the frame in PES packets of at
most 64 KiB (stream id 0xE0, the first with PTS and, where it differs, DTS). FFmpeg's own
``mpeg``/``vob`` muxer writes no PSM, which is why this is written here.
"""

from __future__ import annotations

import struct

STREAM_ID_VIDEO = 0xE0
STREAM_TYPE_H264 = 0x1B
_MUX_RATE_50BPS = 0x3FFF  # program_mux_rate in units of 50 byte/s (about 6.5 Mbit/s)
_TIMESTAMP_MASK = (1 << 33) - 1


def crc32_mpeg2(data: bytes) -> int:
    """CRC-32/MPEG-2 (polynomial 0x04C11DB7, no reflection), as the PSM carries."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7) if crc & 0x80000000 else (crc << 1)
            crc &= 0xFFFFFFFF
    return crc


def pack_header(scr_90khz: int) -> bytes:
    scr = scr_90khz & _TIMESTAMP_MASK
    ext = 0
    return bytes((
        0x00, 0x00, 0x01, 0xBA,
        0x44 | ((scr >> 27) & 0x38) | ((scr >> 28) & 0x03),
        (scr >> 20) & 0xFF,
        ((scr >> 12) & 0xF8) | 0x04 | ((scr >> 13) & 0x03),
        (scr >> 5) & 0xFF,
        ((scr << 3) & 0xF8) | 0x04 | ((ext >> 7) & 0x03),
        ((ext << 1) & 0xFE) | 0x01,
        (_MUX_RATE_50BPS >> 14) & 0xFF,
        (_MUX_RATE_50BPS >> 6) & 0xFF,
        ((_MUX_RATE_50BPS << 2) & 0xFC) | 0x03,
        0xF8,  # reserved, no stuffing
    ))


def system_header() -> bytes:
    rate_bound = _MUX_RATE_50BPS
    body = bytes((
        0x80 | ((rate_bound >> 15) & 0x7F),
        (rate_bound >> 7) & 0xFF,
        ((rate_bound << 1) & 0xFE) | 0x01,
        0x00,  # audio_bound 0, not fixed rate, not constrained
        0xE1,  # audio and video locked, marker, video_bound 1
        0x7F,  # no packet rate restriction
        # the video stream: P-STD buffer in units of 1024 bytes, 2048 KiB
        STREAM_ID_VIDEO, 0xE0 | (2048 >> 8), 2048 & 0xFF,
    ))
    return b"\x00\x00\x01\xbb" + struct.pack(">H", len(body)) + body


def program_stream_map(stream_type: int = STREAM_TYPE_H264, version: int = 0) -> bytes:
    es_map = bytes((stream_type, STREAM_ID_VIDEO, 0x00, 0x00))
    body = (bytes((0x80 | 0x60 | (version & 0x1F), 0xFF)) + struct.pack(">H", 0)
            + struct.pack(">H", len(es_map)) + es_map)
    head = b"\x00\x00\x01\xbc" + struct.pack(">H", len(body) + 4)
    return head + body + struct.pack(">I", crc32_mpeg2(head + body))


def _timestamp(prefix: int, value: int) -> bytes:
    ts = value & _TIMESTAMP_MASK
    return bytes((
        (prefix << 4) | ((ts >> 29) & 0x0E) | 0x01,
        (ts >> 22) & 0xFF,
        ((ts >> 14) & 0xFE) | 0x01,
        (ts >> 7) & 0xFF,
        ((ts << 1) & 0xFE) | 0x01,
    ))


def pes_packets(payload: bytes, pts_90khz: int, dts_90khz: int | None = None) -> list[bytes]:
    """The access unit in PES packets; the first carries PTS (and DTS when it differs)."""
    packets = []
    offset = 0
    first = True
    while first or offset < len(payload):
        if first:
            if dts_90khz is not None and dts_90khz != pts_90khz:
                fields = _timestamp(0x3, pts_90khz) + _timestamp(0x1, dts_90khz)
                flags = 0xC0
            else:
                fields, flags = _timestamp(0x2, pts_90khz), 0x80
            alignment = 0x04  # data_alignment_indicator: the access unit starts here
        else:
            fields, flags, alignment = b"", 0x00, 0x00
        room = 0xFFFF - 3 - len(fields)  # PES_packet_length is 16 bits and counts these
        chunk = payload[offset:offset + room]
        offset += len(chunk)
        header = bytes((0x80 | alignment, flags, len(fields))) + fields
        packets.append(b"\x00\x00\x01" + bytes((STREAM_ID_VIDEO,))
                       + struct.pack(">H", len(header) + len(chunk)) + header + chunk)
        first = False
    return packets


def ps_access_unit(access_unit: bytes, pts_90khz: int, keyframe: bool,
                   dts_90khz: int | None = None, stream_type: int = STREAM_TYPE_H264) -> bytes:
    """One access unit (Annex-B) as a program stream pack, with the stream's description
    in front of a keyframe so a receiver can start there."""
    scr = dts_90khz if dts_90khz is not None else pts_90khz
    parts = [pack_header(scr)]
    if keyframe:
        parts += [system_header(), program_stream_map(stream_type)]
    parts += pes_packets(access_unit, pts_90khz, dts_90khz)
    return b"".join(parts)
