"""Recording per flight: MP4 segments remuxed from the source without re-encoding, each one
fingerprinted with SHA-256 as soon as it is closed.

A :class:`FlightRecorder` writes ``ROOT/<drone_id>/<flight_id>/segment-00001.mp4``, ... A
segment starts on a keyframe and is closed at the first keyframe after
``segment_duration_s`` (or when the source reconnects, since its parameters may change). On
each closed segment the recorder calls ``on_segment_closed(path, sha256_hex, meta)`` (the
API wires it to the hash-chained audit trail) and rewrites ``manifest.json`` beside the
segments, which ``jinghang recordings verify`` checks. MP4s are fragmented (a crash loses at
most the last fragment). Muxing and hashing run in a worker thread; the relay only queues.
H.264 and H.265 sources are recorded; others are refused with a VideoError.
"""

from __future__ import annotations

import asyncio
import errno
import hashlib
import inspect
import io
import json
import logging
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import av

from jinghang.errors import VideoError
from jinghang.video.blocking import run_blocking
from jinghang.video.sources import StreamInfo

log = logging.getLogger(__name__)

MANIFEST_NAME = "manifest.json"
RECORDABLE_CODECS = {"h264": "h264", "hevc": "hevc"}
SegmentClosedHook = Callable[[Path, str, dict[str, Any]], Any]

_SAFE = re.compile(r"[^A-Za-z0-9._-]")


def safe_name(text: str, what: str) -> str:
    """A path component from an id: letters, digits, '.', '_' and '-' only."""
    cleaned = _SAFE.sub("_", text)[:64]
    if not cleaned or cleaned in {".", ".."}:
        raise VideoError(f"{what} cannot name a directory", field=what, value=text)
    return cleaned


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(slots=True)
class _Queued:
    data: bytes
    keyframe: bool
    pts: int | None
    dts: int | None
    time_base: Any
    info: StreamInfo
    wall_time_s: float


@dataclass
class _Segment:
    index: int
    path: Path
    container: Any
    stream: Any
    open_count: int
    base_ts: int
    first_wall_s: float
    last_wall_s: float
    first_ts: int
    last_ts: int
    time_base: Any
    codec_name: str
    packets: int = 0
    #: Bytes of video handed to the muxer (the file holds at least these once closed).
    payload_bytes: int = 0


@dataclass
class SegmentRecord:
    """A closed segment, as the manifest and the audit hook see it."""

    path: Path
    sha256_hex: str
    meta: dict[str, Any] = field(default_factory=dict)


class FlightRecorder:
    """Records one drone's flight. Feed it with ``on_packet``; run ``run()`` in a task group;
    ``finish()`` closes the last segment and ends ``run()``."""

    def __init__(
        self,
        root: Path | str,
        drone_id: str,
        flight_id: str,
        *,
        segment_duration_s: float = 60.0,
        on_segment_closed: SegmentClosedHook | None = None,
        max_queue: int = 900,
    ) -> None:
        if not 1.0 <= segment_duration_s <= 3600.0:
            raise VideoError("segment duration out of range", field="segment_duration_s",
                             value=segment_duration_s, limit=[1.0, 3600.0])
        self.drone_id = drone_id
        self.flight_id = flight_id
        self.directory = Path(root) / safe_name(drone_id, "drone_id") / safe_name(
            flight_id, "flight_id")
        self.segment_duration_s = segment_duration_s
        self.on_segment_closed = on_segment_closed
        self.segments: list[SegmentRecord] = []
        self.packets_dropped = 0
        self._queue: asyncio.Queue[_Queued | None] = asyncio.Queue(max_queue)
        self._segment: _Segment | None = None
        self._need_keyframe = True
        self._finished = False
        #: Why the recording stopped early (a disk error), or None.
        self.error: str | None = None
        #: Called with ``error`` when a disk error stops the recording.
        self.on_failed: Callable[[str], Any] | None = None

    # -- feeding (event loop, never blocks) -----------------------------------------------

    def on_packet(self, packet: av.Packet, info: StreamInfo) -> None:
        if self._finished:
            return
        if info.codec_name not in RECORDABLE_CODECS:
            self.packets_dropped += 1
            return
        if self._queue.full():  # the disk cannot keep up: lose packets, not the live path
            self.packets_dropped += 1
            return
        self._queue.put_nowait(_Queued(bytes(packet), bool(packet.is_keyframe), packet.pts,
                                       packet.dts, packet.time_base, info, time.time()))

    def finish(self) -> None:
        """Stop taking packets; ``run()`` closes the last segment and returns."""
        self._finished = True
        while self._queue.full():
            self._queue.get_nowait()
            self.packets_dropped += 1
        self._queue.put_nowait(None)

    # -- the writer -----------------------------------------------------------------------

    async def run(self) -> None:
        """Write until ``finish()``. A disk error (a full disk: ENOSPC) stops this recording
        only: the recorder keeps what it closed, sets ``error``, calls ``on_failed`` and
        returns; it never raises into the task group the live video and flights share."""
        try:
            await run_blocking(self.directory.mkdir, parents=True, exist_ok=True)
            await self._write_until_finished()
        except OSError as exc:
            self._fail(exc)
        try:
            last = await run_blocking(self._close_segment)
        except OSError as exc:
            self._fail(exc)
            return
        if last is not None:
            await self._publish(last)

    async def _write_until_finished(self) -> None:
        while True:
            item = await self._queue.get()
            batch: list[_Queued] = []
            done = item is None
            if item is not None:
                batch.append(item)
            while not done and not self._queue.empty():
                more = self._queue.get_nowait()
                if more is None:
                    done = True
                else:
                    batch.append(more)
            closed = await run_blocking(self._write_batch, batch)
            for record in closed:
                await self._publish(record)
            if done:
                return

    def _fail(self, exc: OSError) -> None:
        """Stop taking packets and say why (once)."""
        self._finished = True
        while not self._queue.empty():
            self._queue.get_nowait()
        if self.error is not None:
            return
        name = errno.errorcode.get(exc.errno or 0)
        self.error = f"{exc.strerror or exc}" + (f" ({name})" if name else "")
        log.error("recording of drone %s stopped: %s", self.drone_id, self.error)
        if self.on_failed is not None:
            try:
                self.on_failed(self.error)
            except Exception:  # the hook's failure must not hide the recorder's
                log.exception("the recording failure hook failed")

    def _write_batch(self, batch: list[_Queued]) -> list[SegmentRecord]:
        closed: list[SegmentRecord] = []
        for item in batch:
            segment = self._segment
            if segment is not None and item.keyframe and self._should_roll(segment, item):
                record = self._close_segment()
                if record is not None:
                    closed.append(record)
                segment = None
            if segment is None:
                if not item.keyframe:
                    continue
                segment = self._open_segment(item)
            self._mux(segment, item)
        return closed

    def _should_roll(self, segment: _Segment, item: _Queued) -> bool:
        if item.info.open_count != segment.open_count:
            return True
        if item.dts is None or item.time_base is None:
            return item.wall_time_s - segment.first_wall_s >= self.segment_duration_s
        elapsed_s = float((item.dts - segment.base_ts) * item.time_base)
        return elapsed_s < 0 or elapsed_s >= self.segment_duration_s

    def _open_segment(self, item: _Queued) -> _Segment:
        index = len(self.segments) + 1
        path = self.directory / f"segment-{index:05d}.mp4"
        template = av.open(io.BytesIO(item.data), format=RECORDABLE_CODECS[item.info.codec_name])
        try:
            container = av.open(str(path), "w", format="mp4",
                                options={"movflags": "frag_keyframe+empty_moov+default_base_moof"})
            stream = container.add_stream_from_template(template.streams.video[0])
        finally:
            template.close()
        stream.time_base = item.time_base
        base = item.dts if item.dts is not None else (item.pts or 0)
        self._segment = _Segment(index, path, container, stream, item.info.open_count, base,
                                 item.wall_time_s, item.wall_time_s, base, base, item.time_base,
                                 item.info.codec_name)
        return self._segment

    def _mux(self, segment: _Segment, item: _Queued) -> None:
        packet = av.Packet(item.data)
        if item.pts is not None:
            packet.pts = item.pts - segment.base_ts
        if item.dts is not None:
            packet.dts = item.dts - segment.base_ts
        packet.time_base = item.time_base
        packet.is_keyframe = item.keyframe
        packet.stream = segment.stream
        segment.container.mux(packet)
        segment.packets += 1
        segment.payload_bytes += len(item.data)
        segment.last_wall_s = item.wall_time_s
        if item.dts is not None:
            segment.last_ts = item.dts

    def _close_segment(self) -> SegmentRecord | None:
        segment, self._segment = self._segment, None
        if segment is None:
            return None
        try:
            segment.container.close()
        except OSError:
            if self.error is not None:  # the disk already failed: keep what reached it
                return None
            raise
        size = segment.path.stat().st_size
        if size < segment.payload_bytes:  # FFmpeg can lose a failed flush at close silently
            full = os.statvfs(segment.path.parent).f_bavail == 0
            code = errno.ENOSPC if full else errno.EIO
            raise OSError(code, f"{os.strerror(code)}: {segment.path.name} holds {size} of the "
                                f"{segment.payload_bytes} bytes written to it")
        digest = sha256_file(segment.path)
        duration_s = (float((segment.last_ts - segment.first_ts) * segment.time_base)
                      if segment.time_base else segment.last_wall_s - segment.first_wall_s)
        meta = {
            "drone_id": self.drone_id,
            "flight_id": self.flight_id,
            "segment": segment.index,
            "file": segment.path.name,
            "bytes": segment.path.stat().st_size,
            "packets": segment.packets,
            "start_time_s": round(segment.first_wall_s, 3),
            "end_time_s": round(segment.last_wall_s, 3),
            "duration_s": round(duration_s, 3),
            # (the source's codec: the stream copied from it is named after an encoder)
            "codec": segment.codec_name,
            "sha256": digest,
        }
        record = SegmentRecord(segment.path, digest, meta)
        self.segments.append(record)
        self._write_manifest()
        return record

    def _write_manifest(self) -> None:
        manifest = {
            "drone_id": self.drone_id,
            "flight_id": self.flight_id,
            "algorithm": "sha256",
            "segments": [record.meta for record in self.segments],
        }
        tmp = self.directory / (MANIFEST_NAME + ".tmp")
        tmp.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
        os.replace(tmp, self.directory / MANIFEST_NAME)

    async def _publish(self, record: SegmentRecord) -> None:
        log.info("recorded %s sha256=%s", record.path, record.sha256_hex)
        if self.on_segment_closed is None:
            return
        try:
            result = self.on_segment_closed(record.path, record.sha256_hex, dict(record.meta))
            if inspect.isawaitable(result):
                await result
        except asyncio.CancelledError:
            raise
        except Exception:  # the recording goes on; the manifest still holds the hash
            log.exception("audit hook failed for %s", record.path)
