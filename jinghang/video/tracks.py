"""The per-viewer track: a small queue of already-encoded packets for one peer connection.

aiortc's sender calls ``recv()``; when it gets an ``av.Packet`` instead of a frame it only
packetises it (``Encoder.pack``), so the relay encodes at most once per drone and each viewer
just copies bytes into RTP. A viewer starts on a keyframe; a viewer that falls too far behind
loses its backlog and waits for the next keyframe instead of slowing the others. A new viewer
can be primed with the relay's last keyframe so it has a picture before the next one.
"""

from __future__ import annotations

import asyncio
import fractions
import time

import av
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

VIDEO_CLOCK_HZ = 90_000
VIDEO_TIME_BASE = fractions.Fraction(1, VIDEO_CLOCK_HZ)


def wallclock_packet(data: bytes, start_monotonic_s: float, keyframe: bool) -> av.Packet:
    """A packet stamped on a 90 kHz clock that runs from the relay's start, so RTP time keeps
    going forward across source reconnects (the viewer's jitter buffer never sees it jump)."""
    packet = av.Packet(data)
    packet.pts = int((time.monotonic() - start_monotonic_s) * VIDEO_CLOCK_HZ)
    packet.dts = packet.pts
    packet.time_base = VIDEO_TIME_BASE
    packet.is_keyframe = keyframe
    return packet


class ViewerTrack(MediaStreamTrack):
    """A video track fed by a drone relay; ``mode`` is ``"passthrough"`` or ``"transcode"``."""

    kind = "video"

    def __init__(self, drone_id: str, mode: str, max_queue: int = 30) -> None:
        super().__init__()
        self.drone_id = drone_id
        self.mode = mode
        self.packets_sent = 0
        self.packets_dropped = 0
        self._queue: asyncio.Queue[av.Packet | None] = asyncio.Queue(max_queue)
        self._need_keyframe = True

    @property
    def waiting_for_keyframe(self) -> bool:
        return self._need_keyframe

    def offer(self, packet: av.Packet) -> None:
        """Queue a packet for this viewer (on the event loop; never blocks)."""
        if self.readyState != "live":
            return
        if self._need_keyframe and not packet.is_keyframe:
            self.packets_dropped += 1
            return
        if self._queue.full():
            self.packets_dropped += self._queue.qsize()
            while not self._queue.empty():
                self._queue.get_nowait()
            if not packet.is_keyframe:
                self._need_keyframe = True
                self.packets_dropped += 1
                return
        self._need_keyframe = False
        self._queue.put_nowait(packet)

    def prime(self, keyframe: av.Packet) -> None:
        """Send a held keyframe first (a picture at once); live packets are still taken from
        the next keyframe on, since the ones before it refer to frames this viewer lacks."""
        if self.readyState == "live" and self._queue.empty():
            self._queue.put_nowait(keyframe)

    def restart(self) -> None:
        """The stream restarted (new source connection): resume at the next keyframe."""
        self._need_keyframe = True

    async def recv(self) -> av.Packet:  # type: ignore[override]
        if self.readyState != "live":
            raise MediaStreamError
        packet = await self._queue.get()
        if packet is None:
            raise MediaStreamError
        self.packets_sent += 1
        return packet

    def stop(self) -> None:
        super().stop()
        if not self._queue.full():
            self._queue.put_nowait(None)
