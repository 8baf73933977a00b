"""RTSP in, against a real RTSP server: GStreamer's gst-rtsp-server (Debian packages that
``scripts/test`` installs), serving the simulator camera, started and stopped by each test.

Over TCP and UDP transport; the server restarted mid-stream (the viewer keeps its WebRTC
session and the picture resumes); behind digest authentication (credentials in the URL or in
the source settings, never in status, errors or logs; a wrong password is reported and not
retried at full speed); H.265 transcoded once for viewers; a camera changing its picture size
mid-stream while viewers keep decoding.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from jinghang.video.gateway import VideoGateway
from jinghang.video.simcam import CameraSettings
from jinghang.video.sources import SourceUnavailable, VideoSource
from tests.conftest import free_udp_port
from tests.video.conftest import Camera, Viewer
from tests.video.media_servers import RtspServer, missing_rtsp_server

pytestmark = pytest.mark.skipif(bool(missing_rtsp_server()), reason=missing_rtsp_server())

PASSWORD = "s3cr@t:/pw"  # characters that must be percent-encoded in a URL
PASSWORD_IN_URL = "s3cr%40t%3A%2Fpw"


@pytest.fixture
async def gateway() -> AsyncIterator[VideoGateway]:
    async with VideoGateway(source_open_wait_s=15) as gw:
        yield gw


async def _watch(gateway: VideoGateway, drone_id: str, codec: str | None = "H264") -> Viewer:
    viewer = Viewer(codec)
    session = await gateway.open_session(drone_id, await viewer.offer())
    await viewer.accept(session.answer_sdp)
    return viewer


def _leaks(secret: str, *texts: Any) -> list[str]:
    return [str(t)[:200] for t in texts if secret in json.dumps(t, default=str)]


@pytest.mark.parametrize("transport", ["tcp", "udp"])
async def test_relay_plays_an_rtsp_camera(camera: Camera, gateway: VideoGateway,
                                          transport: str) -> None:
    async with RtspServer(camera.port) as server:
        relay = gateway.add_drone("d1", f"{server.url}#transport={transport}")
        viewer = await _watch(gateway, "d1")
        try:
            await viewer.wait_frames(20, timeout_s=30)
        finally:
            await viewer.close()
    # the camera's own frames, in order, through the RTSP server and the relay
    assert len(viewer.stamps_ms) >= 15
    assert viewer.stamps_ms == sorted(viewer.stamps_ms)
    assert viewer.last_size_px == (640, 360)
    source = relay.describe()["source"]
    assert (source["transport"], source["codec"], source["width_px"]) == (transport, "h264",
                                                                          640)
    assert source["opens"] == 1


async def test_rtsp_server_restart_mid_stream_keeps_the_viewer_session(
    camera: Camera, gateway: VideoGateway
) -> None:
    async with RtspServer(camera.port) as server:
        relay = gateway.add_drone("d1", server.url)
        viewer = await _watch(gateway, "d1")
        try:
            await viewer.wait_frames(10, timeout_s=30)
            (session_id,) = gateway.sessions
            await server.stop()
            async with asyncio.timeout(10):
                await relay.source.wait_closed()
            await asyncio.sleep(1.0)
            stopped_at = viewer.frames
            restarted_ms = time.time() * 1000
            await server.start()
            await viewer.wait_frames(stopped_at + 15, timeout_s=40)
            assert list(gateway.sessions) == [session_id]  # the same WHEP session
        finally:
            await viewer.close()
    assert server.starts == 2
    assert relay.source.stats.opens >= 2
    # the picture resumed with frames captured after the restart
    assert sum(stamp > restarted_ms for stamp in viewer.stamps_ms) >= 10


@pytest.mark.parametrize("given", ["url", "settings"])
async def test_rtsp_camera_behind_digest_authentication(
    camera: Camera, gateway: VideoGateway, caplog: pytest.LogCaptureFixture, given: str
) -> None:
    caplog.set_level(logging.DEBUG)
    async with RtspServer(camera.port, user="pilot", password=PASSWORD) as server:
        if given == "url":
            source = VideoSource(server.url.replace("rtsp://", f"rtsp://pilot:{PASSWORD_IN_URL}@"))
        else:
            source = VideoSource(server.url, username="pilot", password=PASSWORD)
        relay = gateway.add_drone("d1", source)
        viewer = await _watch(gateway, "d1")
        try:
            await viewer.wait_frames(10, timeout_s=30)
        finally:
            await viewer.close()
        status = gateway.describe()
    assert viewer.stamps_ms
    assert status["drones"]["d1"]["source"]["url"] == server.url.replace("rtsp://",
                                                                         "rtsp://***@")
    for secret in (PASSWORD, PASSWORD_IN_URL):
        assert not _leaks(secret, status, caplog.text, relay.source.url)


async def test_wrong_password_is_reported_and_not_retried_at_full_speed(
    camera: Camera, gateway: VideoGateway, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with RtspServer(camera.port, user="pilot", password=PASSWORD) as server:
        wrong = server.url.replace("rtsp://", "rtsp://pilot:wrong-pw@")
        relay = gateway.add_drone("d1", VideoSource(wrong, backoff_initial_s=0.05))
        anonymous = gateway.add_drone("d2", VideoSource(server.url, backoff_initial_s=0.05))
        with pytest.raises(SourceUnavailable) as error:
            await relay.source.wait_open(3.0)
        await asyncio.sleep(1.0)
        status = gateway.describe()["drones"]
    d1 = status["d1"]["source"]
    assert d1["last_error_code"] == "video_source_unauthorized"
    assert "refused the user name or password (401 Unauthorized)" in d1["last_error"]
    assert d1["open_failures"] == 1  # retried every 30 s, not in a loop
    assert error.value.to_dict()["code"] == "video_source_unauthorized"
    d2 = status["d2"]["source"]
    assert d2["last_error_code"] == "video_source_unauthorized"
    assert "refused to stream without credentials" in d2["last_error"]
    assert not _leaks("wrong-pw", status, error.value.to_dict(), caplog.text)
    assert anonymous.source.stats.open_failures == 1


async def test_h265_camera_is_transcoded_once_for_viewers(
    camera: Camera, gateway: VideoGateway
) -> None:
    async with RtspServer(camera.port, codec="h265") as server:
        relay = gateway.add_drone("d1", server.url)
        await relay.source.wait_open(30)
        viewers = [await _watch(gateway, "d1", codec=None) for _ in range(2)]
        try:
            await asyncio.gather(*(v.wait_frames(10, timeout_s=40) for v in viewers))
        finally:
            for viewer in viewers:
                await viewer.close()
    assert relay.describe()["source"]["codec"] == "hevc"
    assert {s.mode for s in gateway.sessions.values()} <= {"transcode"}
    assert relay.stats.transcoders_created == 1  # decoded and encoded once for both
    assert all(v.stamps_ms for v in viewers)  # the camera's frames, through H.265 and VP8


async def test_server_repeating_parameter_sets_before_every_slice(
    camera: Camera, gateway: VideoGateway
) -> None:
    """Some camera servers put SPS/PPS before every slice of a keyframe; FFmpeg then cuts
    the keyframe in two, and frames decoded against its top half alone lose the rest of the
    picture (here: the capture stamp of every frame but the keyframes' first part)."""
    async with RtspServer(camera.port, config_interval=-1) as server:
        gateway.add_drone("d1", server.url)
        viewer = await _watch(gateway, "d1")
        try:
            await viewer.wait_frames(45, timeout_s=40)
        finally:
            await viewer.close()
    assert len(viewer.stamps_ms) >= 35  # nearly every frame whole, not one in fifteen
    # (x264 cuts frames into one slice per thread: a one-core machine has nothing to join)


async def test_camera_changing_resolution_mid_stream(
    small_world: Any, gateway: VideoGateway
) -> None:
    camera = Camera(free_udp_port(), small_world)
    async with asyncio.TaskGroup() as group, RtspServer(camera.port) as server:
        camera.start(group)
        try:
            relay = gateway.add_drone("d1", server.url)
            passthrough = await _watch(gateway, "d1", "H264")
            transcoded = await _watch(gateway, "d1", "VP8")
            viewers = [passthrough, transcoded]
            try:
                await asyncio.gather(*(v.wait_frames(10, timeout_s=30) for v in viewers))
                assert passthrough.last_size_px == (640, 360)
                await camera.stop()
                camera.settings = CameraSettings(width_px=960, height_px=540, fps=15,
                                                 bitrate_bps=1_000_000)
                camera.start(group)
                async with asyncio.timeout(40):
                    for viewer in viewers:  # each decodes the new size
                        while viewer.last_size_px != (960, 540):
                            await viewer.wait_frames(viewer.frames + 1, timeout_s=40)
                counts = [v.frames for v in viewers]
                await asyncio.gather(*(v.wait_frames(n + 10, timeout_s=20)
                                       for v, n in zip(viewers, counts, strict=True)))
            finally:
                for viewer in viewers:
                    await viewer.close()
        finally:
            await camera.stop()
    assert all(v.last_size_px == (960, 540) for v in viewers)
    assert relay.source.stats.opens >= 1
