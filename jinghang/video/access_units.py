"""Whole access units from an MPEG-TS input read without FFmpeg's bitstream parser.

Without the parser (``fflags=noparse``) FFmpeg's MPEG-TS demuxer hands on each PES as it
is, and a PES is one frame as cameras send it. Except a big one: a video PES larger than
65 535 bytes cannot carry its length (the field is 16 bits), and the demuxer cuts such a
PES into pieces of at most ``MAX_PES_PAYLOAD`` (200 KiB). The first piece has the frame's
timestamps; the rest have none and begin in the middle of a NAL unit, without a start code.
The parser would have joined them. Passed on as they are, the MP4 muxer drops each tail
piece silently (it finds no NAL unit in it: the recorder's segment came out shorter than
what it was given) and a viewer gets a keyframe cut short.

:class:`AccessUnitJoiner` joins them again: a packet that filled the demuxer's buffer is
held until the next packet shows whether it continues; every other packet (nearly all)
goes on at once, so a frame still leaves when its last datagram has arrived.
"""

from __future__ import annotations

import av

#: FFmpeg's MPEG-TS demuxer buffer for a PES of unknown length (libavformat/mpegts.c).
MAX_PES_PAYLOAD = 200 * 1024
#: A piece this large may have been cut at the buffer's end (one 188-byte TS packet short).
_MAYBE_CUT_BYTES = MAX_PES_PAYLOAD - 188
_START_CODE = b"\x00\x00\x01"


def _starts_access_unit(packet: av.Packet) -> bool:
    head = bytes(memoryview(packet)[:4])  # type: ignore[arg-type]
    return head.startswith(_START_CODE) or head == b"\x00" + _START_CODE


def _is_continuation(packet: av.Packet) -> bool:
    return packet.pts is None and packet.dts is None and not _starts_access_unit(packet)


def _joined(first: av.Packet, pieces: list[bytes]) -> av.Packet:
    packet = av.Packet(b"".join(pieces))
    packet.pts, packet.dts, packet.time_base = first.pts, first.dts, first.time_base
    return packet


class AccessUnitJoiner:
    """Feed it the demuxer's packets in order; it returns the whole access units ready."""

    def __init__(self) -> None:
        self._held: av.Packet | None = None
        self._pieces: list[bytes] = []
        #: Tail pieces joined back onto their frame, and stray ones dropped (no head).
        self.pieces_joined = 0
        self.pieces_dropped = 0

    def feed(self, packet: av.Packet) -> list[av.Packet]:
        """The access units complete once ``packet`` has arrived (usually just it)."""
        out: list[av.Packet] = []
        if _is_continuation(packet):
            if self._held is None:  # its head was lost (or passed on): no frame to join
                self.pieces_dropped += 1
                return out
            self._pieces.append(bytes(packet))
            self.pieces_joined += 1
            if packet.size < _MAYBE_CUT_BYTES:
                out.append(self._release())
            return out
        if self._held is not None:
            out.append(self._release())
        if packet.size >= _MAYBE_CUT_BYTES:
            self._held, self._pieces = packet, [bytes(packet)]
        else:
            out.append(packet)
        return out

    def flush(self) -> list[av.Packet]:
        """The held access unit, if any (the input ended)."""
        return [self._release()] if self._held is not None else []

    def _release(self) -> av.Packet:
        held, pieces = self._held, self._pieces
        self._held, self._pieces = None, []
        if held is None:
            raise RuntimeError("no access unit is held")
        return held if len(pieces) == 1 else _joined(held, pieces)
