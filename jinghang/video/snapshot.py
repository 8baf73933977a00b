"""Stills of a drone's live video, saved server-side with what they show and who took them.

``still_jpeg(picture)`` decodes a relay's :class:`~jinghang.video.relay.LatestPicture` (the
packets from the last keyframe to the newest) with PyAV and encodes its last frame as JPEG,
so a snapshot is the picture of "now" whatever the viewer's browser decodes.
:class:`SnapshotStore` keeps each still as ``<root>/<id>.jpg`` with its metadata beside it in
``<id>.json`` (drone, time, position, the user, the case, the JPEG's SHA-256), lists them by
case or drone and finds one by id. :class:`SnapshotThrottle` bounds how many stills one user
takes in a window. Errors carry stable codes: ``video.snapshot.no_frame`` (409),
``video.snapshot.rate_limited`` (429), ``video.snapshot.unknown`` (404).
"""

from __future__ import annotations

import collections
import datetime as dt
import hashlib
import json
import os
import re
import secrets
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import av
import cv2

from jinghang.errors import VideoError
from jinghang.video.recording import safe_name
from jinghang.video.relay import LatestPicture

JPEG_QUALITY = 90
SNAPSHOT_ID = re.compile(r"^[A-Za-z0-9._-]{1,120}$")


class NoPicture(VideoError):
    """No picture has arrived from the drone's camera yet (or its stream just restarted)."""

    code = "video.snapshot.no_frame"
    status_code = 409
    title = "No picture to take"


class SnapshotRateLimited(VideoError):
    """This user took as many snapshots as the window allows."""

    code = "video.snapshot.rate_limited"
    status_code = 429
    title = "Too many snapshots"


class UnknownSnapshot(VideoError):
    """No snapshot has this id."""

    code = "video.snapshot.unknown"
    status_code = 404
    title = "Unknown snapshot"


@dataclass(frozen=True, slots=True)
class Still:
    """A decoded and encoded picture."""

    jpeg: bytes
    width_px: int
    height_px: int


def still_jpeg(picture: LatestPicture, quality: int = JPEG_QUALITY) -> Still:
    """The newest frame of ``picture`` as JPEG; NoPicture when its packets decode to none."""
    decoder: Any = av.CodecContext.create(picture.info.codec_name, "r")
    decoder.thread_count = 1
    if picture.info.extradata:
        decoder.extradata = picture.info.extradata
    last: Any = None
    for data in picture.packets:
        try:
            for frame in decoder.decode(av.Packet(data)):
                last = frame
        except av.FFmpegError:
            continue  # a damaged packet: keep the frames decoded before it
    try:
        for frame in decoder.decode(None):
            last = frame
    except av.FFmpegError:
        pass
    if last is None:
        raise NoPicture("the camera's packets decode to no picture yet", field="drone_id")
    bgr = last.to_ndarray(format="bgr24")
    ok, encoded = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise NoPicture("the picture could not be encoded as JPEG", field="drone_id")
    return Still(encoded.tobytes(), int(last.width), int(last.height))


@dataclass(frozen=True, slots=True)
class SnapshotMeta:
    """What a snapshot shows and who took it (the sidecar JSON and the API's answer)."""

    id: str
    drone_id: str
    taken_by: str
    taken_at: str  # ISO 8601, UTC
    frame_at: str  # when the newest packet of the picture arrived, ISO 8601 UTC
    incident_id: int | None
    latitude_deg: float | None
    longitude_deg: float | None
    relative_altitude_m: float | None
    heading_deg: float | None
    width_px: int
    height_px: int
    size_bytes: int
    sha256: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def utc_iso(seconds: float) -> str:
    return dt.datetime.fromtimestamp(seconds, dt.UTC).isoformat(timespec="milliseconds")


class SnapshotStore:
    """Snapshots as files under ``root`` (made on first save)."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def new_id(self, drone_id: str, taken_at_s: float) -> str:
        stamp = dt.datetime.fromtimestamp(taken_at_s, dt.UTC).strftime("%Y%m%dT%H%M%S%f")
        return f"{safe_name(drone_id, 'drone_id')}-{stamp}Z-{secrets.token_hex(3)}"

    def save(self, still: Still, meta: SnapshotMeta) -> SnapshotMeta:
        """Write the JPEG, then its metadata (each atomically: no half file is ever listed)."""
        self.root.mkdir(parents=True, exist_ok=True)
        for suffix, data in ((".jpg", still.jpeg),
                             (".json", json.dumps(meta.as_dict(), ensure_ascii=False).encode())):
            target = self.root / f"{meta.id}{suffix}"
            tmp = target.with_name(target.name + ".tmp")
            tmp.write_bytes(data)
            os.replace(tmp, target)
        return meta

    def jpeg_path(self, snapshot_id: str) -> Path:
        """The file of a snapshot; UnknownSnapshot for an id that names none."""
        if not SNAPSHOT_ID.match(snapshot_id) or snapshot_id.startswith("."):
            raise UnknownSnapshot("no snapshot has this id", field="snapshot_id",
                                  value=snapshot_id[:120])
        path = self.root / f"{snapshot_id}.jpg"
        if not path.is_file():
            raise UnknownSnapshot("no snapshot has this id", field="snapshot_id",
                                  value=snapshot_id)
        return path

    def list(self, *, incident_id: int | None = None, drone_id: str | None = None,
             limit: int = 500) -> list[dict[str, Any]]:
        """Snapshots' metadata, oldest first, of one case and/or one drone."""
        if not self.root.is_dir():
            return []
        found: list[dict[str, Any]] = []
        for path in self.root.glob("*.json"):
            try:
                meta = json.loads(path.read_text())
            except (OSError, ValueError):
                continue
            if not isinstance(meta, dict):
                continue
            if incident_id is not None and meta.get("incident_id") != incident_id:
                continue
            if drone_id is not None and meta.get("drone_id") != drone_id:
                continue
            found.append(meta)
        found.sort(key=lambda m: str(m.get("taken_at", "")))
        return found[-limit:]


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class SnapshotThrottle:
    """At most ``max_per_window`` snapshots per user in any ``window_s`` seconds."""

    def __init__(self, max_per_window: int = 10, window_s: float = 60.0) -> None:
        self.max_per_window = max_per_window
        self.window_s = window_s
        self._taken: dict[str, collections.deque[float]] = {}

    def admit(self, user: str, now_s: float | None = None) -> None:
        """Count one snapshot of ``user``, or raise SnapshotRateLimited (with when to retry)."""
        now = time.monotonic() if now_s is None else now_s
        taken = self._taken.setdefault(user, collections.deque())
        while taken and now - taken[0] >= self.window_s:
            taken.popleft()
        if len(taken) >= self.max_per_window:
            retry_after_s = max(1, round(self.window_s - (now - taken[0]) + 0.5))
            raise SnapshotRateLimited(
                f"at most {self.max_per_window} snapshots per {self.window_s:g} s; "
                f"try again in {retry_after_s} s",
                field="snapshots", value=len(taken), limit=self.max_per_window,
                window_s=self.window_s, retry_after_s=retry_after_s)
        taken.append(now)
