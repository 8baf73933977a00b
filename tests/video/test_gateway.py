"""The gateway end to end: the simulator camera over UDP MPEG-TS, through a drone relay, to
browser-free aiortc viewers over WHEP on 127.0.0.1."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

import httpx
import pytest
import uvicorn

from jinghang.video.gateway import VideoGateway
from jinghang.video.sources import VideoSource
from tests.conftest import free_tcp_port
from tests.video.conftest import AUTH, Camera, Viewer, make_app


async def test_viewer_pulls_simulator_camera_over_whep(camera: Camera) -> None:
    port = free_tcp_port()
    async with VideoGateway() as gateway, asyncio.TaskGroup() as group:
        gateway.add_drone("drone-1", camera.url)
        server = uvicorn.Server(uvicorn.Config(make_app(gateway), host="127.0.0.1", port=port,
                                               log_level="warning", lifespan="off"))
        group.create_task(server.serve())
        viewer = Viewer("H264")
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
                for _ in range(100):
                    if server.started:
                        break
                    await asyncio.sleep(0.05)
                response = await http.post(
                    "/video/drone-1/whep", content=await viewer.offer(),
                    headers={**AUTH, "Content-Type": "application/sdp"},
                )
                assert response.status_code == 201, response.text
                assert response.headers["content-type"].startswith("application/sdp")
                location = response.headers["location"]
                assert location.startswith("/video/drone-1/whep/")
                assert response.headers["x-video-mode"] == "passthrough"
                await viewer.accept(response.text)
                await viewer.wait_frames(20)
                # the frames are the camera's: their capture stamps read back, in order
                assert len(viewer.stamps_ms) >= 15
                assert viewer.stamps_ms == sorted(viewer.stamps_ms)
                assert abs(viewer.stamps_ms[-1] - time.time() * 1000) < 10_000

                status = (await http.get("/video/status", headers=AUTH)).json()
                assert status["drones"]["drone-1"]["viewers"]["passthrough"] == 1

                deleted = await http.delete(location, headers=AUTH)
                assert deleted.status_code == 204
                assert not gateway.sessions
                again = await http.delete(location, headers=AUTH)
                assert again.status_code == 404
        finally:
            await viewer.close()
            server.should_exit = True


async def test_viewer_offering_vp8_first_gets_h264_it_can_decode(camera: Camera) -> None:
    """Browsers offer VP8 before H.264: the answer must then carry H.264 alone, or the
    packets go out under VP8's payload type and nothing decodes."""
    async with VideoGateway() as gateway:
        gateway.add_drone("drone-1", camera.url)
        viewer = Viewer(codec=None)
        try:
            offer = await viewer.offer()
            video_line = next(line for line in offer.splitlines() if line.startswith("m=video"))
            first_offered = video_line.split()[3]
            assert f"a=rtpmap:{first_offered} VP8/90000" in offer
            session = await gateway.open_session("drone-1", offer)
            assert session.mode == "passthrough"
            answered = [line.split(maxsplit=1)[1] for line in session.answer_sdp.splitlines()
                        if line.startswith("a=rtpmap:")]
            assert answered and all(c.startswith(("H264/", "rtx/")) for c in answered)
            await viewer.accept(session.answer_sdp)
            await viewer.wait_frames(10)
            assert viewer.stamps_ms  # the camera's own frames, decoded as H.264
        finally:
            await viewer.close()


async def _viewers(gateway: VideoGateway, drone_id: str, codec: str, count: int
                   ) -> list[Viewer]:
    viewers = [Viewer(codec) for _ in range(count)]
    for viewer in viewers:
        session = await gateway.open_session(drone_id, await viewer.offer())
        await viewer.accept(session.answer_sdp)
    return viewers


async def test_four_viewers_share_one_source_read_and_one_encoding(camera: Camera) -> None:
    async with VideoGateway() as gateway:
        relay = gateway.add_drone("drone-1", camera.url)
        passthrough = await _viewers(gateway, "drone-1", "H264", 4)
        transcoded = await _viewers(gateway, "drone-1", "VP8", 4)
        try:
            await asyncio.gather(*(v.wait_frames(10, timeout_s=30) for v in
                                   passthrough + transcoded))
            assert relay.describe()["viewers"] == {"passthrough": 4, "transcode": 4}
            # the source was opened once and every packet read once
            assert relay.source.stats.opens == 1
            assert relay.stats.packets_in == relay.source.stats.packets_read
            # one passthrough fan-out per packet, not one per viewer
            assert relay.stats.passthrough_packets_out <= relay.stats.packets_in
            # one transcoder, each source frame decoded and encoded once for all four viewers
            assert relay.stats.transcoders_created == 1
            assert relay.stats.frames_encoded == relay.stats.frames_decoded
            assert relay.stats.frames_encoded <= relay.stats.packets_in
            assert all(v.stamps_ms for v in transcoded)  # the stamp survives VP8 and the OSD
        finally:
            for viewer in passthrough + transcoded:
                await viewer.close()


@pytest.mark.parametrize("codec", ["H264", "VP8"])
async def test_source_drop_recovers_without_viewer_reconnecting(
    small_world: Any, codec: str
) -> None:
    from tests.conftest import free_udp_port

    cam = Camera(free_udp_port(), small_world)
    source = VideoSource(cam.url, read_timeout_s=0.5, backoff_initial_s=0.1, backoff_max_s=0.5)
    async with asyncio.TaskGroup() as group, VideoGateway() as gateway:
        cam.start(group)
        relay = gateway.add_drone("drone-1", source)
        viewer = (await _viewers(gateway, "drone-1", codec, 1))[0]
        try:
            await viewer.wait_frames(10)
            await cam.stop()
            dropped_at_ms = time.time() * 1000
            frames_at_drop = viewer.frames
            async with asyncio.timeout(10):
                await source.wait_closed()
            cam.start(group)
            await viewer.wait_frames(frames_at_drop + 10, timeout_s=20)
            # the same peer connection carries the new stream's frames
            assert viewer.pc.connectionState == "connected"
            assert max(viewer.stamps_ms) > dropped_at_ms
            assert relay.stats.source_opens == 2
            assert len(gateway.sessions) == 1
        finally:
            await viewer.close()
            await cam.stop()


async def test_mp4_source_passes_through_as_annexb(small_world: Any, tmp_path: Any) -> None:
    """An MP4 (length-prefixed H.264, like RTMP) is turned into Annex-B for WebRTC."""
    import av

    from jinghang.video.simcam import SimCamera, fixed_pose
    from tests.video.conftest import SMALL

    clip = tmp_path / "clip.ts"
    camera = SimCamera(fixed_pose(), str(clip), SMALL, world=small_world)
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(2.5):
            await camera.run()
    mp4 = tmp_path / "clip.mp4"
    with av.open(str(clip)) as src, av.open(str(mp4), "w", format="mp4") as dst:
        out = dst.add_stream_from_template(src.streams.video[0])
        for packet in src.demux(src.streams.video[0]):
            if packet.size:
                packet.stream = out
                dst.mux(packet)
    async with VideoGateway() as gateway:
        relay = gateway.add_drone("drone-1", str(mp4))
        info = await relay.source.wait_open(5)
        assert info.extradata is None  # parameter sets go in-band after the filter
        viewer = (await _viewers(gateway, "drone-1", "H264", 1))[0]
        try:
            await viewer.wait_frames(10)
            assert viewer.stamps_ms
        finally:
            await viewer.close()


async def test_transcode_viewers_one_after_another_start_on_a_keyframe(camera: Camera) -> None:
    """Each new transcode viewer, after the last one left, is sent a VP8 keyframe first (it
    used to wait, dropping frames, for the encoder's own next keyframe, 4 s away)."""
    async with VideoGateway() as gateway:
        relay = gateway.add_drone("drone-1", camera.url)
        await relay.source.wait_open(10)
        for _ in range(3):
            viewer = Viewer("VP8")
            session = await gateway.open_session("drone-1", await viewer.offer())
            try:
                await viewer.accept(session.answer_sdp)
                await viewer.wait_frames(5)
                assert session.track.packets_dropped == 0
            finally:
                await viewer.close()
                if session.session_id in gateway.sessions:
                    await gateway.close_session(session.session_id)
        assert relay.stats.transcoders_created == 3  # a fresh decoder for each
