"""A video jitter buffer that completes a frame on its RTP marker bit, as browsers do.

aiortc's own jitter buffer hands a frame on only when the first packet of the next frame
arrives, which adds a whole frame period (33 ms at 30 fps) that a browser viewer does not
have. The benchmark's viewers install this one so that their latency is the latency an
operator's browser sees. It has the interface aiortc's receiver uses: ``add(packet)``
returning ``(pli_wanted, frame_or_None)``.
"""

from __future__ import annotations

from typing import Any

from aiortc.jitterbuffer import JitterFrame

_SEQ_MOD = 1 << 16


class MarkerJitterBuffer:
    """Packets by sequence number; a frame leaves when it is contiguous up to its marker."""

    def __init__(self, capacity: int, prefetch: int = 0, is_video: bool = False) -> None:
        self.capacity = capacity
        self._is_video = is_video
        self._packets: dict[int, Any] = {}
        self._next: int | None = None  # sequence number where the next frame starts

    def add(self, packet: Any) -> tuple[bool, JitterFrame | None]:
        seq = packet.sequence_number
        if self._next is None:
            self._next = seq
        elif (seq - self._next) % _SEQ_MOD >= _SEQ_MOD // 2:
            return False, None  # older than what was already handed on
        self._packets[seq] = packet
        frame = self._complete()
        if frame is None and len(self._packets) > self.capacity:
            # a loss that never healed: start again after the newest marker and ask for
            # a keyframe
            self._packets.clear()
            self._next = (seq + 1) % _SEQ_MOD if packet.marker else None
            return self._is_video, None
        return False, frame

    def _complete(self) -> JitterFrame | None:
        assert self._next is not None
        parts: list[Any] = []
        seq = self._next
        while seq in self._packets:
            packet = self._packets[seq]
            if parts and packet.timestamp != parts[0].timestamp:
                return None  # a frame without its marker: wait (or be reset on overflow)
            parts.append(packet)
            if packet.marker:
                for p in parts:
                    del self._packets[p.sequence_number]
                self._next = (seq + 1) % _SEQ_MOD
                return JitterFrame(data=b"".join(p._data for p in parts),
                                   timestamp=parts[0].timestamp)
            seq = (seq + 1) % _SEQ_MOD
        return None


def install() -> None:
    """Make aiortc's receivers (created after this call) use the marker-bit buffer."""
    import aiortc.rtcrtpreceiver as receiver

    original = receiver.JitterBuffer

    def choose(capacity: int, prefetch: int = 0, is_video: bool = False) -> Any:
        if is_video:
            return MarkerJitterBuffer(capacity, prefetch, is_video)
        return original(capacity, prefetch, is_video)

    receiver.JitterBuffer = choose  # type: ignore[assignment,misc]
