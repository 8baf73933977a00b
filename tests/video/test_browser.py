"""H.264 passthrough into a real browser: Debian's chromium, driven by Playwright, pulls the
simulator camera over WHEP from the gateway and must decode frames (not just receive RTP),
and a viewer joining between two keyframes must get a picture at once."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi.responses import HTMLResponse

from jinghang.video.gateway import VideoGateway
from tests.conftest import free_tcp_port, free_udp_port
from tests.console.browser import chromium_page, need_browser
from tests.video.conftest import SMALL, TEST_TOKEN, Camera, make_app

pytestmark = [pytest.mark.browser, pytest.mark.timeout(60)]

# A long keyframe interval, so "a picture at once" for a late viewer is the relay's doing.
KEYFRAME_INTERVAL_S = 10.0

PAGE = """<!doctype html><meta charset=utf-8><title>WHEP viewer</title><body><script>
window.viewers = {};
async function watch(name, mode) {
  const video = document.createElement('video');
  video.muted = true; video.autoplay = true; video.playsInline = true;
  document.body.appendChild(video);
  const pc = new RTCPeerConnection({iceServers: []});
  pc.addTransceiver('video', {direction: 'recvonly'});
  const viewer = {pc, video, presented: 0};
  window.viewers[name] = viewer;
  const count = () => { viewer.presented += 1; video.requestVideoFrameCallback(count); };
  video.requestVideoFrameCallback(count);
  pc.ontrack = (e) => { video.srcObject = new MediaStream([e.track]); };
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise((done) => {  // all candidates in the offer (WHEP has no trickle here)
    if (pc.iceGatheringState === 'complete') return done();
    pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && done();
    setTimeout(done, 3000);
  });
  const response = await fetch('/video/drone-1/whep?mode=' + mode, {
    method: 'POST', body: pc.localDescription.sdp,
    headers: {'Content-Type': 'application/sdp', 'Authorization': 'Bearer TOKEN'}});
  const answer = await response.text();
  if (response.status !== 201) return {status: response.status, body: answer};
  await pc.setRemoteDescription({type: 'answer', sdp: answer});
  return {status: response.status, mode: response.headers.get('X-Video-Mode')};
}
async function state(name) {
  const v = window.viewers[name];
  let decoded = 0, codec = '';
  (await v.pc.getStats()).forEach((s) => {
    if (s.type === 'inbound-rtp' && s.kind === 'video') { decoded = s.framesDecoded || 0; }
    if (s.type === 'codec') { codec = s.mimeType; }
  });
  return {width: v.video.videoWidth, readyState: v.video.readyState,
          currentTime: v.video.currentTime, presented: v.presented, decoded, codec,
          connection: v.pc.connectionState};
}
</script></body>""".replace("TOKEN", TEST_TOKEN)


@contextlib.asynccontextmanager
async def serving_gateway(camera: Camera) -> AsyncIterator[tuple[str, VideoGateway]]:
    """The gateway with the camera as drone-1 and the viewer page at /, on a free port."""
    port = free_tcp_port()
    async with VideoGateway() as gateway, asyncio.TaskGroup() as group:
        gateway.add_drone("drone-1", camera.url)
        app = make_app(gateway)

        @app.get("/", response_class=HTMLResponse)
        async def page() -> str:
            return PAGE

        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                               log_level="warning", lifespan="off"))
        group.create_task(server.serve())
        try:
            for _ in range(200):
                if server.started:
                    break
                await asyncio.sleep(0.05)
            await gateway.relay("drone-1").source.wait_open(10.0)
            yield f"http://127.0.0.1:{port}", gateway
        finally:
            server.should_exit = True


async def wait_state(page: Any, name: str, ready: Any, timeout_s: float) -> dict[str, Any]:
    """Poll the viewer's state until ``ready(state)``; fail with the last state seen."""
    state: dict[str, Any] = {}
    try:
        async with asyncio.timeout(timeout_s):
            while True:
                state = await page.evaluate("(name) => state(name)", name)
                if ready(state):
                    return state
                await asyncio.sleep(0.1)
    except TimeoutError:
        pytest.fail(f"viewer {name}: not there within {timeout_s:g} s; last state {state}")


@pytest.fixture
async def slow_keyframe_camera(small_world: Any) -> AsyncIterator[Camera]:
    settings = dataclasses.replace(SMALL, keyframe_interval_s=KEYFRAME_INTERVAL_S)
    cam = Camera(free_udp_port(), small_world, settings)
    async with asyncio.TaskGroup() as group:
        cam.start(group)
        yield cam
        await cam.stop()


async def test_chromium_decodes_passthrough_h264_and_a_late_viewer_gets_a_picture_at_once(
    slow_keyframe_camera: Camera, tmp_path: Path
) -> None:
    need_browser()
    async with serving_gateway(slow_keyframe_camera) as (url, gateway), \
            chromium_page(tmp_path, width=800, height=600) as (page, log):
        await page.goto(url + "/")
        first = await page.evaluate("() => watch('first', 'auto')")
        assert first == {"status": 201, "mode": "passthrough"}  # chromium offers H.264

        # it decodes frames: a picture of the camera's size, and time moving on with it
        shown = await wait_state(page, "first", lambda s: s["width"] > 0, 15)
        assert shown["codec"].lower() == "video/h264"
        assert (shown["width"], shown["readyState"] >= 2) == (SMALL.width_px, True)
        moving = await wait_state(
            page, "first", lambda s: s["decoded"] >= shown["decoded"] + 10
            and s["currentTime"] > shown["currentTime"] + 0.5,
            KEYFRAME_INTERVAL_S + 10)

        # a second viewer joins just after a keyframe, so the source's next one is ~10 s away:
        # it is started on the keyframe the relay holds, a picture within a couple of seconds
        primed_before = gateway.relay("drone-1").stats.keyframes_primed
        second = await page.evaluate("() => watch('second', 'passthrough')")
        assert second == {"status": 201, "mode": "passthrough"}
        late = await wait_state(page, "second", lambda s: s["width"] > 0, 5)
        assert late["width"] == SMALL.width_px
        assert gateway.relay("drone-1").stats.keyframes_primed == primed_before + 1
        # ...and then plays live from the source's next keyframe
        await wait_state(page, "second", lambda s: s["decoded"] >= late["decoded"] + 10,
                         KEYFRAME_INTERVAL_S + 10)
        still_first = await page.evaluate("(name) => state(name)", "first")
        assert still_first["decoded"] > moving["decoded"]
        assert not log.errors and not log.outside
