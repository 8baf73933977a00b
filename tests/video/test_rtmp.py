"""RTMP in, as DJI aircraft and field encoders push it: a real RTMP server (nginx with
Debian's ``libnginx-mod-rtmp``) receives a push from ffmpeg (the simulator camera's H.264,
copied into FLV as an encoder sends it) and the relay pulls ``rtmp://127.0.0.1:<port>/live/<key>``
to WebRTC viewers. The servers are started and stopped by each test.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

from jinghang.video.gateway import VideoGateway
from jinghang.video.sources import VideoSource
from tests.video.conftest import Camera, Viewer
from tests.video.media_servers import RtmpPush, RtmpServer, missing_rtmp_server

pytestmark = pytest.mark.skipif(bool(missing_rtmp_server()), reason=missing_rtmp_server())


@pytest.fixture
async def gateway() -> AsyncIterator[VideoGateway]:
    async with VideoGateway(source_open_wait_s=15) as gw:
        yield gw


async def _watch(gateway: VideoGateway, drone_id: str, codec: str) -> Viewer:
    viewer = Viewer(codec)
    session = await gateway.open_session(drone_id, await viewer.offer())
    await viewer.accept(session.answer_sdp)
    return viewer


async def test_pushed_rtmp_stream_plays_through_the_relay(camera: Camera,
                                                          gateway: VideoGateway) -> None:
    async with RtmpServer() as server:
        url = server.url("drone-7")
        # the gateway is up before the drone starts pushing: it keeps trying
        relay = gateway.add_drone("d1", VideoSource(url, backoff_max_s=1.0))
        await asyncio.sleep(1.0)
        async with RtmpPush(camera.port, url, server.dir):
            await relay.source.wait_open(30)
            viewers = [await _watch(gateway, "d1", "H264"), await _watch(gateway, "d1", "VP8")]
            try:
                await asyncio.gather(*(v.wait_frames(15, timeout_s=30) for v in viewers))
            finally:
                for viewer in viewers:
                    await viewer.close()
    passthrough, transcoded = viewers
    # the camera's own frames, in order, out of FLV and into H.264 and VP8
    assert len(passthrough.stamps_ms) >= 10
    assert passthrough.stamps_ms == sorted(passthrough.stamps_ms)
    assert transcoded.stamps_ms
    assert passthrough.last_size_px == transcoded.last_size_px == (640, 360)
    source = relay.describe()["source"]
    assert (source["codec"], source["width_px"], source["url"]) == ("h264", 640, url)


async def test_encoder_stopping_and_pushing_again_resumes_the_viewer(
    camera: Camera, gateway: VideoGateway
) -> None:
    """A drone's link drops and its encoder pushes again: the viewer's WebRTC session stays
    and the picture comes back."""
    async with RtmpServer() as server:
        url = server.url("drone-7")
        push = RtmpPush(camera.port, url, server.dir)
        await push.start()
        try:
            relay = gateway.add_drone("d1", VideoSource(url, backoff_max_s=1.0))
            await relay.source.wait_open(30)
            viewer = await _watch(gateway, "d1", "H264")
            try:
                await viewer.wait_frames(10, timeout_s=30)
                (session_id,) = gateway.sessions
                await push.stop()
                async with asyncio.timeout(15):
                    await relay.source.wait_closed()
                stopped_at = viewer.frames
                pushed_again_ms = time.time() * 1000
                await push.start()
                await viewer.wait_frames(stopped_at + 15, timeout_s=40)
                assert list(gateway.sessions) == [session_id]
            finally:
                await viewer.close()
        finally:
            await push.stop()
    assert relay.source.stats.opens >= 2
    assert sum(stamp > pushed_again_ms for stamp in viewer.stamps_ms) >= 10
