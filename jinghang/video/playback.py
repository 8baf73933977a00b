"""Playing a recorded flight in a browser: verify its segments, join them into one MP4.

``segment_statuses(segments)`` checks each stored segment (its file's SHA-256 against the
stored one, and its ``prev_sha256`` against the previous segment's, the chain of custody) and
says per segment ``ok``, ``missing``, ``sha256_differs`` or ``chain_broken``.
:class:`PlaybackCache` remuxes a verified list of segments (H.264 or H.265 fragmented MP4, as
the recorder writes them) into one ordinary MP4 with its index in front (``faststart``), no
re-encoding, so that a browser seeks in it with HTTP Range requests; Debian's chromium plays
H.264 in MP4. The result is cached under a name derived from the segments' hashes (a changed
segment gives a new name), with the suffix ``.m4v`` so that it is never taken for a
recorded segment. ``PlaybackLinks`` signs a short-lived URL token for one cached file, since
a ``<video>`` element cannot send the bearer token.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import os
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

import av

from jinghang.errors import VideoError
from jinghang.video.blocking import run_blocking
from jinghang.video.recording import sha256_file

SegmentState = Literal["ok", "missing", "sha256_differs", "chain_broken"]
CACHE_SUFFIX = ".m4v"
_KEY = re.compile(r"^[0-9a-f]{40}$")


class NoRecording(VideoError):
    """No recorded segment matches."""

    code = "recording.none"
    status_code = 404
    title = "No recording"


class RecordingUnverified(VideoError):
    """A segment of the recording does not match its fingerprint: it is not played."""

    code = "recording.unverified"
    status_code = 409
    title = "Recording fails verification"


class BadPlaybackLink(VideoError):
    """A playback link that is malformed, forged or expired."""

    code = "recording.link_invalid"
    status_code = 403
    title = "Invalid playback link"


class StoredSegment(Protocol):
    """What the store holds of one segment."""

    @property
    def id(self) -> int: ...
    @property
    def segment_path(self) -> str: ...
    @property
    def sha256(self) -> str: ...
    @property
    def prev_sha256(self) -> str: ...


@dataclass(frozen=True, slots=True)
class SegmentStatus:
    """One segment's verification."""

    recording_id: int
    file: str
    sha256: str
    state: SegmentState

    def as_dict(self) -> dict[str, Any]:
        return {"recording_id": self.recording_id, "file": self.file, "sha256": self.sha256,
                "state": self.state}


_hash_cache: dict[tuple[str, int, int], str] = {}


def _file_sha256(path: Path) -> str | None:
    """The file's SHA-256 (remembered per path, size and mtime), or None when it is missing."""
    try:
        stat = path.stat()
    except OSError:
        return None
    key = (str(path), stat.st_size, stat.st_mtime_ns)
    if key not in _hash_cache:
        if len(_hash_cache) > 4096:
            _hash_cache.clear()
        _hash_cache[key] = sha256_file(path)
    return _hash_cache[key]


def segment_statuses(segments: Sequence[StoredSegment]) -> list[SegmentStatus]:
    """Each segment's state, in order (blocking: it reads every file)."""
    out: list[SegmentStatus] = []
    previous = ""
    for segment in segments:
        path = Path(segment.segment_path)
        actual = _file_sha256(path)
        state: SegmentState = "ok"
        if actual is None:
            state = "missing"
        elif actual != segment.sha256:
            state = "sha256_differs"
        elif previous and segment.prev_sha256 and segment.prev_sha256 != previous:
            state = "chain_broken"
        out.append(SegmentStatus(segment.id, path.name, segment.sha256, state))
        previous = segment.sha256
    return out


def refuse_unless_verified(statuses: Sequence[SegmentStatus]) -> None:
    """RecordingUnverified naming the segments that fail, if any does."""
    bad = [s for s in statuses if s.state != "ok"]
    if bad:
        names = ", ".join(f"{s.file} ({s.state})" for s in bad)
        raise RecordingUnverified(
            f"{len(bad)} of {len(statuses)} segments fail verification: {names}",
            field="segments", value=names, count=len(bad), total=len(statuses),
            segments=[s.as_dict() for s in statuses])


def remux(paths: Sequence[Path], out: Path) -> float:
    """Join the segments into one MP4 at ``out`` (no re-encoding); its duration in seconds."""
    tmp = out.with_name(out.name + ".tmp")
    with av.open(str(paths[0])) as first:
        template = first.streams.video[0]
        output = av.open(str(tmp), "w", format="mp4", options={"movflags": "+faststart"})
        try:
            stream = output.add_stream_from_template(template)
            out_base = template.time_base
            stream.time_base = out_base
            offset = 0
            for path in paths:
                offset = _append(path, output, stream, out_base, offset)
        finally:
            output.close()
    os.replace(tmp, out)
    return float(offset * out_base) if out_base else 0.0


def _append(path: Path, output: Any, stream: Any, out_base: Any, offset: int) -> int:
    """Mux one segment's packets after ``offset`` (in ``out_base``); the new end."""
    end = offset
    last_duration = 0
    with av.open(str(path)) as source:
        video = source.streams.video[0]
        base = video.time_base
        start: int | None = None
        for packet in source.demux(video):
            if packet.dts is None or packet.size == 0:
                continue
            if start is None:
                start = packet.dts
            dts = offset + _rescale(packet.dts - start, base, out_base)
            pts = offset + _rescale((packet.pts if packet.pts is not None else packet.dts)
                                    - start, base, out_base)
            if dts < end and end > offset:
                dts = end  # never go back across segments
            last_duration = _rescale(packet.duration or 0, base, out_base)
            packet.dts, packet.pts = dts, max(pts, dts)
            packet.time_base = out_base
            packet.stream = stream
            output.mux(packet)
            end = dts + 1
    return end - 1 + max(last_duration, 1)


def _rescale(value: int, source: Any, target: Any) -> int:
    return round(value * source / target) if source and target else value


def cache_key(statuses: Sequence[SegmentStatus]) -> str:
    joined = ",".join(s.sha256 for s in statuses)
    return hashlib.sha256(joined.encode()).hexdigest()[:40]


class PlaybackCache:
    """Remuxed recordings under ``root``, one file per list of segments."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)
        self._locks: dict[str, asyncio.Lock] = {}

    def path_of(self, key: str) -> Path:
        if not _KEY.match(key):
            raise BadPlaybackLink("not a playback file", field="token")
        return self.root / f"{key}{CACHE_SUFFIX}"

    async def prepare(self, segments: Sequence[StoredSegment]) -> tuple[str, list[SegmentStatus]]:
        """Verify the segments and make (or find) their joined MP4; its key and the states.
        Raises NoRecording for none, RecordingUnverified when one fails."""
        if not segments:
            raise NoRecording("no recorded video matches", field="incident_id")
        statuses = await run_blocking(segment_statuses, list(segments))
        refuse_unless_verified(statuses)
        key = cache_key(statuses)
        path = self.path_of(key)
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            if not path.is_file():
                await run_blocking(self.root.mkdir, parents=True, exist_ok=True)
                try:
                    await run_blocking(remux, [Path(s.segment_path) for s in segments], path)
                except (av.FFmpegError, IndexError) as exc:
                    raise RecordingUnverified(f"the segments cannot be joined for playback: "
                                              f"{exc}", field="segments",
                                              code="recording.unplayable") from None
        self._locks.pop(key, None)
        return key, statuses


class PlaybackLinks:
    """Signed, expiring tokens naming one cached playback file."""

    def __init__(self, secret: str, lifetime_s: float = 3600.0) -> None:
        self._secret = hashlib.sha256(b"jinghang-playback:" + secret.encode()).digest()
        self.lifetime_s = lifetime_s

    def _mac(self, body: str) -> str:
        digest = hmac.new(self._secret, body.encode(), hashlib.sha256).digest()[:18]
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def issue(self, key: str, now_s: float | None = None) -> tuple[str, float]:
        """A token for ``key`` and when it expires (wall clock)."""
        expires_s = int((time.time() if now_s is None else now_s) + self.lifetime_s)
        body = f"{key}.{expires_s}"
        return f"{body}.{self._mac(body)}", float(expires_s)

    def check(self, token: str, now_s: float | None = None) -> str:
        """The key a valid token names; BadPlaybackLink otherwise."""
        parts = token.split(".")
        if len(parts) != 3 or not _KEY.match(parts[0]) or not parts[1].isdigit():
            raise BadPlaybackLink("malformed playback link", field="token")
        body = f"{parts[0]}.{parts[1]}"
        if not hmac.compare_digest(self._mac(body), parts[2]):
            raise BadPlaybackLink("the playback link's signature does not match", field="token")
        if int(parts[1]) < (time.time() if now_s is None else now_s):
            raise BadPlaybackLink("the playback link has expired; open the recording again",
                                  field="token", code="recording.link_expired")
        return parts[0]
