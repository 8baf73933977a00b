"""The video gateway: every drone's relay, and the WebRTC sessions of the viewers.

``async with VideoGateway(ice_servers=settings.ice_servers) as gateway`` runs one
:class:`~jinghang.video.relay.DroneRelay` per drone in a task group; ``open_session`` answers
a viewer's SDP offer (WHEP) with a peer connection whose only track is a viewer of that
drone's relay, ``close_session`` ends it. ICE servers come from configuration and default to
none: aiortc's public default STUN server is never used.

Sessions are bounded in all (``max_sessions``), per drone and per user. A session whose ICE
has not connected ``connect_timeout_s`` after its answer is closed (an offer that never
connects holds no slot). Roles rank: a commander's or pilot's session, when a limit of all or
of the drone is reached, closes the oldest session of an observer or admin instead of being
refused. Refusals name their limit and carry a stable ``code``: 429
``video.sessions.per_user``, 503 ``video.sessions.per_drone`` and ``video.sessions.total``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Coroutine, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

from aiortc import (
    RTCConfiguration,
    RTCIceServer,
    RTCPeerConnection,
    RTCRtpCodecCapability,
    RTCRtpSender,
    RTCSessionDescription,
)

from jinghang.errors import VideoError
from jinghang.events import EventBus
from jinghang.video.analytics import VideoAnalytics
from jinghang.video.ground import CameraGeometry
from jinghang.video.ice_hosts import apply_loopback_policy
from jinghang.video.osd import OsdSource
from jinghang.video.recording import FlightRecorder, SegmentClosedHook
from jinghang.video.relay import DroneRelay, Mode
from jinghang.video.sdp_check import BadOffer, check_offer
from jinghang.video.sources import VideoSource
from jinghang.video.tracks import ViewerTrack

log = logging.getLogger(__name__)

RequestedMode = Literal["auto", "passthrough", "transcode"]
MODES: tuple[str, ...] = ("auto", "passthrough", "transcode")


class UnknownDrone(VideoError):
    """No video is configured for this drone."""

    code = "video.unknown_drone"
    status_code = 404
    title = "Unknown drone"


class UnknownSession(VideoError):
    """No viewing session has this id (it ended, or never existed)."""

    code = "video.unknown_session"
    status_code = 404
    title = "Unknown session"


class TooManySessions(VideoError):
    """The gateway, or this drone, already serves as many viewers as it is allowed to."""

    code = "video.too_many_viewers"
    status_code = 503
    title = "Too many viewers"


class TooManyUserSessions(VideoError):
    """This user already holds as many viewing sessions as one user may."""

    code = "video.too_many_user_sessions"
    status_code = 429
    title = "Too many viewing sessions for this user"


#: How much a role's session counts when the slots are full: a higher rank closes the oldest
#: session of a lower one instead of being refused (operators of a drone before onlookers).
ROLE_RANK: dict[str, int] = {"commander": 2, "pilot": 2, "admin": 0, "observer": 0}
OBSERVER = "observer"


@dataclass(slots=True)
class ViewerSession:
    """One viewer's peer connection to one drone, who opened it and when (loop time)."""

    session_id: str
    drone_id: str
    mode: Mode
    answer_sdp: str
    peer: RTCPeerConnection
    track: ViewerTrack
    user: str = "anonymous"
    role: str = OBSERVER
    opened_at_s: float = 0.0
    connected: bool = False

    @property
    def rank(self) -> int:
        return ROLE_RANK.get(self.role, 0)


def ice_configuration(ice_servers: Sequence[Mapping[str, Any]]) -> RTCConfiguration:
    """aiortc configuration with exactly the configured ICE servers (an empty list, not None,
    so aiortc does not fall back to its public STUN server)."""
    servers = []
    for number, server in enumerate(ice_servers):
        if "urls" not in server:
            raise VideoError("an ICE server needs 'urls'", field=f"ice_servers[{number}].urls")
        servers.append(RTCIceServer(urls=server["urls"], username=server.get("username"),
                                    credential=server.get("credential")))
    return RTCConfiguration(iceServers=servers)


def preferred_codecs(mode: Mode) -> list[RTCRtpCodecCapability]:
    """The codecs a session in this mode may send: H.264 for passthrough, VP8 transcoded,
    each with RTX (retransmissions on their own stream, for lossy radio links)."""
    wanted = ("video/h264" if mode == "passthrough" else "video/vp8", "video/rtx")
    capabilities = RTCRtpSender.getCapabilities("video").codecs
    return [c for c in capabilities if c.mimeType.lower() in wanted]


async def _run_both(first: Coroutine[Any, Any, None], second: Coroutine[Any, Any, None]) -> None:
    async with asyncio.TaskGroup() as tasks:
        tasks.create_task(first)
        tasks.create_task(second)


class VideoGateway:
    """All drones' video relays and viewer sessions in one process."""

    def __init__(
        self,
        ice_servers: Sequence[Mapping[str, Any]] = (),
        *,
        max_sessions: int = 256,
        max_sessions_per_drone: int = 64,
        max_sessions_per_user: int = 8,
        connect_timeout_s: float = 20.0,
        source_open_wait_s: float = 2.0,
        bus: EventBus | None = None,
    ) -> None:
        self.bus = bus
        self.analytics: dict[str, VideoAnalytics] = {}
        self.configuration = ice_configuration(ice_servers)
        self._ice_servers = list(ice_servers)
        self.max_sessions = max_sessions
        self.max_sessions_per_drone = max_sessions_per_drone
        self.max_sessions_per_user = max_sessions_per_user
        self.connect_timeout_s = connect_timeout_s
        #: Sessions closed because ICE did not connect in time, and closed for a higher rank.
        self.expired_sessions = 0
        self.evicted_sessions = 0
        self.source_open_wait_s = source_open_wait_s
        self.relays: dict[str, DroneRelay] = {}
        self.sessions: dict[str, ViewerSession] = {}
        self._relay_tasks: dict[str, asyncio.Task[None]] = {}
        self.recorders: dict[str, tuple[FlightRecorder, asyncio.Task[None]]] = {}
        self._stack: contextlib.AsyncExitStack | None = None
        self._tasks: asyncio.TaskGroup | None = None
        self._reaper: asyncio.Task[None] | None = None
        #: Runs each relay (restarting it when it fails) when set: the server's supervisor.
        self.supervisor: Any | None = None

    @classmethod
    def from_settings(cls, settings: Any, **kwargs: Any) -> VideoGateway:
        """Build from :class:`jinghang.config.Settings` (its ``ice_servers`` and
        ``video_*`` session limits and ``ice_loopback`` policy)."""
        apply_loopback_policy(settings.ice_loopback)
        options: dict[str, Any] = {
            "max_sessions": settings.video_max_sessions,
            "max_sessions_per_drone": settings.video_max_sessions_per_drone,
            "max_sessions_per_user": settings.video_max_sessions_per_user,
            "connect_timeout_s": settings.video_connect_timeout_s,
        }
        options.update(kwargs)
        return cls(settings.ice_servers, **options)

    # -- lifecycle ------------------------------------------------------------------------

    async def __aenter__(self) -> VideoGateway:
        self._stack = contextlib.AsyncExitStack()
        self._tasks = await self._stack.enter_async_context(asyncio.TaskGroup())
        for drone_id in self.relays:
            self._start_relay(drone_id)
        self._reaper = self._tasks.create_task(self._expire_idle_forever())
        return self

    def _start_relay(self, drone_id: str) -> None:
        assert self._tasks is not None
        relay = self.relays[drone_id]
        analytics = self.analytics.get(drone_id)

        def run() -> Coroutine[Any, Any, None]:
            return relay.run() if analytics is None else _run_both(relay.run(), analytics.run())

        supervisor = self.supervisor
        work = run() if supervisor is None else supervisor.supervise(f"relay {drone_id}", run)
        self._relay_tasks[drone_id] = self._tasks.create_task(work)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            for session_id in list(self.sessions):
                await self.close_session(session_id)
            for drone_id in list(self.recorders):
                await self.stop_recording(drone_id)
            for task in self._relay_tasks.values():
                task.cancel()
            if self._reaper is not None:
                self._reaper.cancel()
        finally:
            self._reaper = None
            stack, self._stack, self._tasks = self._stack, None, None
            self._relay_tasks.clear()
            if stack is not None:
                await stack.__aexit__(exc_type, exc, tb)

    # -- drones ---------------------------------------------------------------------------

    def add_drone(
        self,
        drone_id: str,
        source: str | VideoSource,
        osd_source: OsdSource | None = None,
        analytics: bool = False,
        analytics_interval_s: float = 1.0,
        analytics_camera: CameraGeometry | None = None,
        **relay_options: Any,
    ) -> DroneRelay:
        """Give a drone its video source (a URL or a configured :class:`VideoSource`).

        ``osd_source`` feeds the on-screen display (and the positions of analytics events);
        ``analytics`` turns on the detector, publishing on the gateway's ``bus``;
        ``analytics_camera`` is the camera's field of view and gimbal pitch, for the ground
        positions of what it finds (a nadir camera with an 80 degree field of view if not given).
        """
        if not drone_id or len(drone_id) > 64:
            raise VideoError("drone id must be 1..64 characters", field="drone_id",
                             value=drone_id, limit=64)
        if drone_id in self.relays:
            raise VideoError(f"drone {drone_id} already has a video source", field="drone_id",
                             value=drone_id)
        video_source = source if isinstance(source, VideoSource) else VideoSource(source)
        relay = DroneRelay(drone_id, video_source, osd_source, **relay_options)
        self.relays[drone_id] = relay
        if analytics:
            if self.bus is None:
                raise VideoError("analytics need the gateway's event bus", field="analytics")
            hook = VideoAnalytics(self.bus, drone_id, osd_source, analytics_interval_s,
                                  camera=analytics_camera)
            relay.keyframe_consumers.append(hook.offer_keyframe)
            self.analytics[drone_id] = hook
        if self._tasks is not None:
            self._start_relay(drone_id)
        return relay

    async def remove_drone(self, drone_id: str) -> None:
        relay = self.relay(drone_id)
        if drone_id in self.recorders:
            await self.stop_recording(drone_id)
        for session in [s for s in self.sessions.values() if s.drone_id == drone_id]:
            await self.close_session(session.session_id)
        task = self._relay_tasks.pop(drone_id, None)
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        del self.relays[relay.drone_id]
        self.analytics.pop(drone_id, None)

    # -- recording ------------------------------------------------------------------------

    def start_recording(
        self,
        drone_id: str,
        flight_id: str,
        root: Path | str,
        on_segment_closed: SegmentClosedHook | None = None,
        segment_duration_s: float = 60.0,
    ) -> FlightRecorder:
        """Record a drone's flight into ``root/<drone_id>/<flight_id>/`` until stopped."""
        relay = self.relay(drone_id)
        if self._tasks is None:
            raise VideoError("the gateway is not running", field="gateway")
        if drone_id in self.recorders:
            raise VideoError(f"drone {drone_id} is already being recorded", field="drone_id",
                             value=drone_id)
        recorder = FlightRecorder(root, drone_id, flight_id,
                                  segment_duration_s=segment_duration_s,
                                  on_segment_closed=on_segment_closed)
        relay.packet_consumers.append(recorder.on_packet)
        self.recorders[drone_id] = (recorder, self._tasks.create_task(recorder.run()))
        return recorder

    async def stop_recording(self, drone_id: str) -> FlightRecorder:
        """Close the flight's last segment (its hook has run when this returns)."""
        try:
            recorder, task = self.recorders.pop(drone_id)
        except KeyError:
            raise VideoError(f"drone {drone_id} is not being recorded", field="drone_id",
                             value=drone_id) from None
        relay = self.relays.get(drone_id)
        if relay is not None and recorder.on_packet in relay.packet_consumers:
            relay.packet_consumers.remove(recorder.on_packet)
        recorder.finish()
        await task
        return recorder

    def relay(self, drone_id: str) -> DroneRelay:
        try:
            return self.relays[drone_id]
        except KeyError:
            raise UnknownDrone(f"no video for drone {drone_id}", field="drone_id",
                               value=drone_id) from None

    # -- sessions -------------------------------------------------------------------------

    def _choose_mode(self, relay: DroneRelay, takes_h264: bool, takes_vp8: bool,
                     requested: str) -> Mode:
        if requested not in MODES:
            raise VideoError("unknown video mode", field="mode", value=requested,
                             limit=list(MODES), code="video.unknown_mode")
        source_h264 = relay.source_is_h264
        if requested == "passthrough":
            if not takes_h264:
                raise BadOffer("passthrough needs a viewer that takes H264", field="mode",
                               value=requested, code="video.viewer_lacks_h264")
            if source_h264 is False:
                raise VideoError("passthrough needs an H.264 source", field="mode",
                                 value=requested, code="video.source_not_h264")
            return "passthrough"
        if requested == "auto" and takes_h264 and source_h264 is not False:
            return "passthrough"
        if not takes_vp8:
            raise BadOffer("the viewer takes no codec the gateway can send for this source",
                           field="sdp.a=rtpmap", limit=["H264 (H.264 sources)", "VP8"])
        return "transcode"

    # -- session limits ---------------------------------------------------------------

    def _admit(self, drone_id: str, user: str, role: str, *, evict: bool) -> list[ViewerSession]:
        """Check a new session of ``user`` (``role``) on ``drone_id`` against the limits; the
        sessions it displaces (taken out of ``sessions`` when ``evict``, for the caller to
        close), or a refusal."""
        displaced: list[ViewerSession] = []
        mine = sum(1 for s in self.sessions.values() if s.user == user)
        if mine >= self.max_sessions_per_user:
            raise TooManyUserSessions(
                f"user {user} already holds {mine} viewing sessions; close one first",
                field="sessions.per_user", value=mine, limit=self.max_sessions_per_user,
                code="video.sessions.per_user")
        rank = ROLE_RANK.get(role, 0)
        limits = (
            ("per_drone", lambda s: s.drone_id == drone_id, self.max_sessions_per_drone,
             f"drone {drone_id} already has its maximum number of viewers"),
            ("total", lambda s: True, self.max_sessions,
             "the gateway serves its maximum number of viewers"),
        )
        for name, counted, limit, message in limits:
            held = [s for s in self.sessions.values() if counted(s) and s not in displaced]
            if len(held) < limit:
                continue
            lower = [s for s in held if s.rank < rank]
            if not lower:
                raise TooManySessions(message, field=f"sessions.{name}", value=len(held),
                                      limit=limit, code=f"video.sessions.{name}")
            displaced.append(min(lower, key=lambda s: s.opened_at_s))
        if evict:
            for session in displaced:
                self.sessions.pop(session.session_id, None)
        return displaced

    def _idle(self, now_s: float) -> list[str]:
        return [s.session_id for s in self.sessions.values()
                if not s.connected and now_s - s.opened_at_s >= self.connect_timeout_s]

    async def expire_idle_sessions(self) -> int:
        """Close every session whose ICE did not connect in time; how many."""
        idle = self._idle(asyncio.get_running_loop().time())
        for session_id in idle:
            log.info("viewer %s: ICE not connected after %g s; closed", session_id,
                     self.connect_timeout_s)
            await self._forget(session_id)
        self.expired_sessions += len(idle)
        return len(idle)

    async def _expire_idle_forever(self) -> None:
        period_s = min(max(self.connect_timeout_s / 4, 0.05), 2.0)
        while True:
            await asyncio.sleep(period_s)
            await self.expire_idle_sessions()

    async def _evict(self, sessions: list[ViewerSession], by: str, role: str) -> None:
        for session in sessions:
            log.info("viewer %s (%s, %s) on drone %s closed for %s (%s)", session.session_id,
                     session.user, session.role, session.drone_id, by, role)
            await self._close(session)
        self.evicted_sessions += len(sessions)

    async def open_session(
        self,
        drone_id: str,
        offer: bytes | str,
        mode: str = "auto",
        *,
        user: str = "anonymous",
        role: str = OBSERVER,
    ) -> ViewerSession:
        """Answer a viewer's SDP offer; the answer carries all our ICE candidates.

        ``user`` and ``role`` say who asks (for the session limits, see the module)."""
        relay = self.relay(drone_id)
        text, summary = check_offer(offer)
        await self.expire_idle_sessions()
        self._admit(drone_id, user, role, evict=False)  # refuse before any work
        if relay.source.info is None and self.source_open_wait_s > 0:
            with contextlib.suppress(VideoError):
                await relay.source.wait_open(self.source_open_wait_s)
        chosen = self._choose_mode(relay, summary.takes_h264, "VP8" in summary.video_codecs,
                                   mode)
        peer = RTCPeerConnection(configuration=self.configuration)
        track = relay.add_viewer(chosen)
        try:
            # The transceiver and its codec preference must exist before the offer is applied:
            # aiortc settles the session's codecs in setRemoteDescription, and the sender
            # uses the first of them. Set afterwards, the preference is ignored, and a browser
            # offering VP8 first would get H.264 bytes in VP8 packets (it decodes nothing).
            transceiver = peer.addTransceiver(track, direction="sendonly")
            transceiver.setCodecPreferences(preferred_codecs(chosen))
            await peer.setRemoteDescription(RTCSessionDescription(sdp=text, type="offer"))
            answer = await peer.createAnswer()
            await peer.setLocalDescription(answer)
        except Exception as exc:
            track.stop()
            await peer.close()
            if isinstance(exc, VideoError):
                raise
            raise BadOffer(f"the SDP offer cannot be answered: {exc}", field="sdp") from None
        try:
            displaced = self._admit(drone_id, user, role, evict=True)  # others may have come
        except VideoError:
            track.stop()
            relay.remove_viewer(track)
            await peer.close()
            raise
        session = ViewerSession(secrets.token_urlsafe(16), drone_id, chosen,
                                peer.localDescription.sdp, peer, track, user=user, role=role,
                                opened_at_s=asyncio.get_running_loop().time())
        self.sessions[session.session_id] = session

        @peer.on("connectionstatechange")
        async def _on_state() -> None:
            if peer.connectionState == "connected":
                session.connected = True
            if peer.connectionState in ("failed", "closed"):
                await self._forget(session.session_id)

        await self._evict(displaced, user, role)

        log.info("viewer %s on drone %s (%s)", session.session_id, drone_id, chosen)
        return session

    async def close_session(self, session_id: str) -> None:
        """End a viewer's session (WHEP DELETE)."""
        if session_id not in self.sessions:
            raise UnknownSession("no such viewing session", field="session_id",
                                 value=session_id)
        await self._forget(session_id)

    async def _forget(self, session_id: str) -> None:
        session = self.sessions.pop(session_id, None)
        if session is not None:
            await self._close(session)

    async def _close(self, session: ViewerSession) -> None:
        session.track.stop()
        relay = self.relays.get(session.drone_id)
        if relay is not None:
            relay.remove_viewer(session.track)
        await session.peer.close()

    def ice_link_headers(self) -> list[str]:
        """WHEP ``Link: <url>; rel="ice-server"`` values for the configured ICE servers, so a
        browser uses the private network's STUN/TURN too (none when none are configured)."""
        links = []
        for server in self._ice_servers:
            urls = server["urls"] if isinstance(server["urls"], list) else [server["urls"]]
            for url in urls:
                link = f'<{url}>; rel="ice-server"'
                if server.get("username"):
                    link += f'; username="{server["username"]}"'
                if server.get("credential"):
                    link += f'; credential="{server["credential"]}"; credential-type="password"'
                links.append(link)
        return links

    def describe(self) -> dict[str, Any]:
        return {
            "drones": {drone_id: relay.describe() for drone_id, relay in self.relays.items()},
            "sessions": len(self.sessions),
            "limits": {
                "total": self.max_sessions,
                "per_drone": self.max_sessions_per_drone,
                "per_user": self.max_sessions_per_user,
                "connect_timeout_s": self.connect_timeout_s,
            },
            "expired_sessions": self.expired_sessions,
            "evicted_sessions": self.evicted_sessions,
        }
