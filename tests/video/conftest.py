"""Fixtures of the video tests: ICE kept on 127.0.0.1, a small simulated camera, a viewer."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import aioice.ice
import pytest
from aiortc import RTCConfiguration, RTCPeerConnection, RTCRtpSender, RTCSessionDescription

from jinghang.video.simcam import CameraSettings, SimCamera, build_world, fixed_pose, udp_url
from jinghang.video.stamp import read_stamp_from_frame
from tests.conftest import free_udp_port

SMALL = CameraSettings(width_px=640, height_px=360, fps=15, bitrate_bps=800_000)


@pytest.fixture(autouse=True)
def loopback_ice(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Gather host ICE candidates on 127.0.0.1 only (no other interface, no STUN)."""
    monkeypatch.setattr(aioice.ice, "get_host_addresses",
                        lambda use_ipv4, use_ipv6: ["127.0.0.1"] if use_ipv4 else [])
    yield


@pytest.fixture(scope="session")
def small_world() -> Any:
    return build_world(size_px=1024, metres_per_px=1.0)


@dataclass
class Camera:
    """A running simulated camera and a way to stop and restart it (a source dropping)."""

    port: int
    world: Any
    settings: CameraSettings = SMALL
    task: asyncio.Task[None] | None = None
    pose_source: Any = None
    cameras: list[SimCamera] = field(default_factory=list)

    @property
    def url(self) -> str:
        return udp_url(self.port)

    def start(self, group: asyncio.TaskGroup) -> None:
        camera = SimCamera(self.pose_source or fixed_pose(), self.url, self.settings,
                           world=self.world)
        self.cameras.append(camera)
        self.task = group.create_task(camera.run())

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            try:
                await self.task
            except asyncio.CancelledError:
                if asyncio.current_task().cancelling():  # type: ignore[union-attr]
                    raise
            self.task = None


@pytest.fixture
async def camera(small_world: Any) -> AsyncIterator[Camera]:
    cam = Camera(free_udp_port(), small_world)
    async with asyncio.TaskGroup() as group:
        cam.start(group)
        yield cam
        await cam.stop()


class Viewer:
    """A browser-free WebRTC viewer: offers to receive video, counts the frames it decodes
    and reads their capture stamps."""

    def __init__(self, codec: str | None = "H264") -> None:
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        transceiver = self.pc.addTransceiver("video", direction="recvonly")
        if codec is not None:  # None: offer every codec, VP8 first (as browsers do)
            caps = RTCRtpSender.getCapabilities("video").codecs
            transceiver.setCodecPreferences(
                [c for c in caps if c.mimeType.lower() == f"video/{codec.lower()}"]
            )
        self.frames = 0
        self.last_size_px: tuple[int, int] | None = None
        self.stamps_ms: list[int] = []
        self.latencies_ms: list[float] = []
        self.frame_arrived = asyncio.Event()
        self._reader: asyncio.Task[None] | None = None

        @self.pc.on("track")
        def on_track(track: Any) -> None:
            self._reader = asyncio.ensure_future(self._read(track))

    async def offer(self) -> str:
        await self.pc.setLocalDescription(await self.pc.createOffer())
        return str(self.pc.localDescription.sdp)

    async def accept(self, answer_sdp: str) -> None:
        await self.pc.setRemoteDescription(RTCSessionDescription(answer_sdp, "answer"))

    async def _read(self, track: Any) -> None:
        while True:
            try:
                frame = await track.recv()
            except Exception:
                return
            self.frames += 1
            self.last_size_px = (int(frame.width), int(frame.height))
            stamp = read_stamp_from_frame(frame)
            if stamp is not None:
                self.stamps_ms.append(stamp)
                self.latencies_ms.append(time.time() * 1000 - stamp)
            self.frame_arrived.set()

    async def wait_frames(self, count: int, timeout_s: float = 15.0) -> None:
        async with asyncio.timeout(timeout_s):
            while self.frames < count:
                self.frame_arrived.clear()
                await self.frame_arrived.wait()

    async def close(self) -> None:
        await self.pc.close()
        if self._reader is not None:
            self._reader.cancel()
            with __import__("contextlib").suppress(asyncio.CancelledError):
                await self._reader


TEST_TOKEN = "video-test-token"


def make_app(gateway: Any) -> Any:
    """A FastAPI app with the video router behind a small bearer-token check (401 without),
    and a JinghangError handler like the API's."""
    from fastapi import FastAPI, Header, HTTPException, Request
    from fastapi.responses import JSONResponse

    from jinghang.errors import JinghangError
    from jinghang.video.api import router_for

    async def require_token(authorization: str | None = Header(default=None)) -> str:
        if authorization != f"Bearer {TEST_TOKEN}":
            raise HTTPException(401, "a bearer token is required",
                                headers={"WWW-Authenticate": "Bearer"})
        return "tester"

    app = FastAPI()
    app.include_router(router_for(gateway, require_token))

    @app.exception_handler(JinghangError)
    async def on_error(request: Request, exc: JinghangError) -> JSONResponse:
        return JSONResponse(exc.to_dict(), status_code=exc.status_code)

    return app


AUTH = {"Authorization": f"Bearer {TEST_TOKEN}"}
