"""Recorded video and stills: the segments with their SHA-256 chain, playback of a recorded
flight in a browser, and snapshots of a drone's live video.

- ``GET /api/recordings``: the stored segments (read-only).
- ``POST /api/recordings/playback`` ``{incident_id, drone_id?}``: verifies every
  segment (409 ``recording.unverified`` naming those that fail, 404 ``recording.none``), joins
  them into one MP4 (cached) and answers a signed link valid for an hour with each segment's
  state; ``GET /api/recordings/play/{token}`` serves that MP4 with HTTP Range support (a
  ``<video>`` element cannot send the bearer token; the link is the permission).
- ``POST /api/video/{drone_id}/snapshot`` ``{incident_id?}``: a JPEG of the relay's newest
  picture with the drone's position, the time and the user, filed with the case (given, or the
  drone's current sortie's); pilots and commanders; audited; at most 10 per user per minute
  (429 ``video.snapshot.rate_limited``), 409 ``video.snapshot.no_frame`` before any picture.
- ``GET /api/video/snapshots?incident_id=&drone_id=`` lists them, ``GET
  /api/video/snapshots/{id}.jpg`` downloads one.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from jinghang.api.deps import Flyer, Reader, ServicesDep, note_audit
from jinghang.api.limits import MAX_DB_INT, DroneIdFilter, RowIdFilter
from jinghang.api.services import Services
from jinghang.api.video_telemetry import fleet_osd
from jinghang.errors import VideoError
from jinghang.limits import MAX_DRONE_ID
from jinghang.store.incidents import get_incident, list_sorties
from jinghang.store.recordings import list_recordings
from jinghang.store.schemas import RecordingPublic
from jinghang.video.blocking import run_blocking
from jinghang.video.gateway import UnknownDrone
from jinghang.video.playback import PlaybackCache, PlaybackLinks
from jinghang.video.snapshot import (
    NoPicture,
    SnapshotMeta,
    SnapshotStore,
    SnapshotThrottle,
    sha256_hex,
    still_jpeg,
    utc_iso,
)

router = APIRouter(tags=["recordings"])

PLAYBACK_LINK_LIFETIME_S = 3600.0


class PlaybackRequest(BaseModel):
    incident_id: int = Field(ge=1, le=MAX_DB_INT, description="the case whose video to play")
    drone_id: int | None = Field(
        default=None, ge=1, le=MAX_DRONE_ID,
        description="one drone's video (the first recorded if none)",
    )


class SegmentState(BaseModel):
    recording_id: int
    file: str
    sha256: str
    state: str = Field(description="ok, missing, sha256_differs or chain_broken")


class Playback(BaseModel):
    url: str = Field(description="the joined MP4 (Range requests work); no token needed")
    expires_at: float = Field(description="when the link stops working (Unix time, s)")
    incident_id: int
    drone_id: int
    started_at: str = Field(description="when the first segment began (ISO 8601)")
    segments: list[SegmentState]


class SnapshotRequest(BaseModel):
    incident_id: int | None = Field(
        default=None, ge=1, le=MAX_DB_INT,
        description="the case to file the still with (default: the drone's current sortie's)",
    )


class Snapshot(BaseModel):
    id: str
    drone_id: str
    taken_by: str
    taken_at: str
    frame_at: str
    incident_id: int | None
    latitude_deg: float | None
    longitude_deg: float | None
    relative_altitude_m: float | None
    heading_deg: float | None
    width_px: int
    height_px: int
    size_bytes: int
    sha256: str
    url: str = Field(description="where to download the JPEG (bearer token needed)")


def _app_object(request: Request, name: str, make: Any) -> Any:
    """One object per app (made on first use), kept on ``app.state``."""
    found = getattr(request.app.state, name, None)
    if found is None:
        found = make()
        setattr(request.app.state, name, found)
    return found


def _recordings_root(services: Services) -> Path:
    return Path(services.settings.recordings_dir)


def _snapshots(request: Request, services: Services) -> SnapshotStore:
    return _app_object(request, "snapshot_store",
                       lambda: SnapshotStore(_recordings_root(services) / "snapshots"))


def _playback_cache(request: Request, services: Services) -> PlaybackCache:
    return _app_object(request, "playback_cache",
                       lambda: PlaybackCache(_recordings_root(services) / "playback-cache"))


def _playback_links(request: Request, services: Services) -> PlaybackLinks:
    return _app_object(request, "playback_links", lambda: PlaybackLinks(
        services.settings.secret_key, PLAYBACK_LINK_LIFETIME_S))


@router.get("/recordings", response_model=list[RecordingPublic])
async def recordings(
    services: ServicesDep,
    _: Reader,
    drone_id: DroneIdFilter = None,
    incident_id: RowIdFilter = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
) -> list[RecordingPublic]:
    with services.store.read_session() as session:
        return list_recordings(
            session, drone_id=drone_id, incident_id=incident_id, limit=limit
        )


@router.post(
    "/recordings/playback",
    responses={404: {"description": "no recorded video of this case (recording.none)"},
               409: {"description": "a segment fails verification (recording.unverified)"}},
)
async def playback(
    services: ServicesDep, request: Request, _: Reader, body: PlaybackRequest
) -> Playback:
    """Verify a case's recorded segments and give a link that plays them in a browser."""
    with services.store.read_session() as session:
        rows = list_recordings(session, incident_id=body.incident_id,
                               drone_id=body.drone_id, limit=5000)
    if rows and body.drone_id is None:
        rows = [r for r in rows if r.drone_id == rows[0].drone_id]
    key, statuses = await _playback_cache(request, services).prepare(rows)
    token, expires_s = _playback_links(request, services).issue(key)
    return Playback(
        url=f"/api/recordings/play/{token}",
        expires_at=expires_s,
        incident_id=body.incident_id,
        drone_id=rows[0].drone_id,
        started_at=_utc_iso(rows[0].started_at),
        segments=[SegmentState(**s.as_dict()) for s in statuses],
    )


@router.get(
    "/recordings/play/{token}",
    response_class=FileResponse,
    responses={200: {"content": {"video/mp4": {}}}, 403: {"description": "link invalid"}},
)
async def play(services: ServicesDep, request: Request, token: str) -> FileResponse:
    """The joined MP4 a playback link names (Range requests answer 206)."""
    key = _playback_links(request, services).check(token[:200])
    path = _playback_cache(request, services).path_of(key)
    if not path.is_file():
        raise VideoError("the playback file is gone; open the recording again",
                         field="token", code="recording.link_expired")
    return FileResponse(path, media_type="video/mp4",
                        headers={"Cache-Control": "private, max-age=3600"})


def _utc_iso(when: dt.datetime) -> str:
    """ISO 8601 with its offset (the store keeps UTC; SQLite gives it back without one)."""
    return (when if when.tzinfo else when.replace(tzinfo=dt.UTC)).isoformat()


def _case_of(services: Services, drone_id: str, incident_id: int | None) -> int | None:
    """The case a still is filed with: the one given (which must exist), else the drone's
    current sortie's, else none."""
    with services.store.read_session() as session:
        if incident_id is not None:
            return get_incident(session, incident_id).id
        if not drone_id.isdigit():
            return None
        active = [s for s in list_sorties(session, active_only=True)
                  if s.drone_id == int(drone_id)]
    return active[-1].incident_id if active else None


@router.post(
    "/video/{drone_id}/snapshot",
    status_code=201,
    responses={404: {"description": "no video for this drone"},
               409: {"description": "no picture yet (video.snapshot.no_frame)"},
               429: {"description": "too many snapshots (video.snapshot.rate_limited)"}},
)
async def take_snapshot(
    services: ServicesDep,
    request: Request,
    principal: Flyer,
    drone_id: str,
    body: Annotated[SnapshotRequest | None, Body()] = None,
) -> Snapshot:
    """Save a still of the drone's live video with its position, the time and the user."""
    gateway = services.video_gateway
    if gateway is None:
        raise UnknownDrone("this server relays no video", field="drone_id", value=drone_id[:64])
    relay = gateway.relay(drone_id[:64])
    incident_id = _case_of(services, drone_id, body.incident_id if body else None)
    picture = relay.latest_picture()
    if picture is None:
        raise NoPicture(f"no picture has arrived from drone {drone_id} yet",
                        field="drone_id", value=drone_id)
    _app_object(request, "snapshot_throttle", SnapshotThrottle).admit(principal.username)
    still = await run_blocking(still_jpeg, picture)
    taken_at_s = time.time()
    osd = fleet_osd(services, drone_id)
    store = _snapshots(request, services)
    meta = SnapshotMeta(
        id=store.new_id(drone_id, taken_at_s),
        drone_id=drone_id,
        taken_by=principal.username,
        taken_at=utc_iso(taken_at_s),
        frame_at=utc_iso(picture.received_at_s),
        incident_id=incident_id,
        latitude_deg=osd.latitude_deg,
        longitude_deg=osd.longitude_deg,
        relative_altitude_m=osd.relative_altitude_m,
        heading_deg=osd.heading_deg,
        width_px=still.width_px,
        height_px=still.height_px,
        size_bytes=len(still.jpeg),
        sha256=sha256_hex(still.jpeg),
    )
    await run_blocking(store.save, still, meta)
    note_audit(request, "video.snapshot", "incident" if incident_id else "vehicle",
               incident_id or drone_id, drone_id=drone_id, snapshot_id=meta.id,
               sha256=meta.sha256, latitude_deg=meta.latitude_deg,
               longitude_deg=meta.longitude_deg, relative_altitude_m=meta.relative_altitude_m)
    return _public(meta.as_dict())


def _public(meta: dict[str, Any]) -> Snapshot:
    return Snapshot(**meta, url=f"/api/video/snapshots/{meta['id']}.jpg")


@router.get("/video/snapshots")
async def snapshots(
    services: ServicesDep,
    request: Request,
    _: Reader,
    incident_id: RowIdFilter = None,
    drone_id: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
) -> list[Snapshot]:
    """Snapshots, oldest first, of one case and/or one drone."""
    found = await run_blocking(_snapshots(request, services).list, incident_id=incident_id,
                               drone_id=drone_id, limit=limit)
    out = []
    for meta in found:
        try:
            out.append(_public(meta))
        except (TypeError, ValueError):
            continue  # a sidecar not written by this version
    return out


@router.get(
    "/video/snapshots/{snapshot_id}.jpg",
    response_class=FileResponse,
    responses={200: {"content": {"image/jpeg": {}}}, 404: {"description": "no such snapshot"}},
)
async def snapshot_file(
    services: ServicesDep, request: Request, _: Reader, snapshot_id: str
) -> FileResponse:
    """One snapshot's JPEG."""
    path = _snapshots(request, services).jpeg_path(snapshot_id)
    return FileResponse(path, media_type="image/jpeg",
                        filename=f"{snapshot_id}.jpg")
