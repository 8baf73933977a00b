"""A video tile tells the truth when its picture stops, in Debian's chromium (zh) against the
demo: drone 1's tile says LIVE while its decoder's frame counter rises; once the simulated
camera stops sending, the tile says "no signal" with the time of the last picture within
3 s (whatever the still-connected peer connection claims); when the camera sends again the
tile says LIVE again and frames arrive."""

from __future__ import annotations

import asyncio
import contextlib
import re
from pathlib import Path
from typing import Any

import pytest

from jinghang.video.simcam import CameraSettings, SimCamera, build_world, fixed_pose
from tests.console.browser import WAIT_MS, chromium_page, demo_server, log_in, save_screenshot
from tests.console.test_console_zh import english_on

pytestmark = [pytest.mark.browser, pytest.mark.timeout(240)]

NO_SIGNAL_WITHIN_MS = 3000
SETTINGS = CameraSettings(width_px=640, height_px=360, fps=15, bitrate_bps=800_000)


class SwitchableCamera:
    """Drone 1's camera, which the test turns off (the task cancelled: nothing more is sent)
    and on again; it replaces the demo's cameras' runner (the other drones send nothing)."""

    def __init__(self) -> None:
        self.url = ""
        self.on = asyncio.Event()
        self.off = asyncio.Event()
        self.stopped = asyncio.Event()
        self.on.set()

    def prepare(self, services: Any, simulators: list[Any]) -> None:
        self.url = services.video_gateway.relay("1").source.url
        services.runners["cameras"] = self.run

    async def run(self) -> None:
        world = await asyncio.to_thread(build_world, size_px=1024, metres_per_px=1.0)
        while True:
            await self.on.wait()
            camera = asyncio.create_task(
                SimCamera(fixed_pose(37.505, 122.13), self.url, SETTINGS, world=world).run())
            try:
                await self.off.wait()
            finally:
                camera.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await camera
            self.stopped.set()

    async def stop(self) -> None:
        self.on.clear()
        self.stopped.clear()
        self.off.set()
        await self.stopped.wait()

    def start(self) -> None:
        self.off.clear()
        self.on.set()


#: Records in the page when drone 1's decoder counts a new frame and each change of the tile's
#: state (performance.now() ms), so that the test measures from the last picture shown.
WATCH_JS = """() => {
    const tile = document.querySelector(".video-tile[data-drone='1']");
    const video = tile.querySelector('video');
    const watched = window.watched = {lastFrameAt: performance.now(), states: []};
    let frames = video.getVideoPlaybackQuality().totalVideoFrames;
    setInterval(() => {
        const now = video.getVideoPlaybackQuality().totalVideoFrames;
        if (now !== frames) { frames = now; watched.lastFrameAt = performance.now(); }
    }, 50);
    new MutationObserver(() => watched.states.push([performance.now(), tile.dataset.state]))
        .observe(tile, {attributes: true, attributeFilter: ['data-state']});
}"""


async def tile_state(page: Any) -> dict[str, Any]:
    return dict(await page.evaluate(
        """() => {
            const tile = document.querySelector(".video-tile[data-drone='1']");
            const video = tile.querySelector('video');
            return {state: tile.dataset.state,
                    status: tile.querySelector('.tile-status').textContent,
                    frames: video.getVideoPlaybackQuality().totalVideoFrames};
        }"""))


async def frames_rising(page: Any, by: int) -> dict[str, Any]:
    before = (await tile_state(page))["frames"]
    await page.wait_for_function(
        """(at_least) => document.querySelector(".video-tile[data-drone='1'] video")
              .getVideoPlaybackQuality().totalVideoFrames >= at_least""",
        arg=before + by, timeout=WAIT_MS)
    return await tile_state(page)


async def test_a_tile_that_loses_its_picture_says_no_signal_and_recovers(tmp_path: Path) -> None:
    camera = SwitchableCamera()
    async with (
        demo_server(tmp_path, speedup=8.0, prepare=camera.prepare) as run,
        chromium_page(tmp_path) as (page, log),
    ):
        await log_in(page, run.url, "pilot", run.passwords["pilot"])
        names: set[str] = set()
        await page.locator(".drone-card").nth(2).wait_for(timeout=WAIT_MS)
        for name in await page.locator(".drone-card .drone-name").all_inner_texts():
            names.update(re.findall(r"[A-Za-z]+", name))
        await page.locator(".video-toggle[data-drone='1']").click()
        tile = page.locator(".video-tile[data-drone='1']")
        await page.locator(".video-tile[data-drone='1'][data-state=playing]").wait_for(
            timeout=WAIT_MS)
        live = await frames_rising(page, 10)
        assert live["state"] == "playing" and live["status"] == "● 直播", live

        # the camera stops sending; what was already on its way (a loaded machine lags)
        # still arrives. Within 3 s of the last decoded frame the tile says so, with the time
        await page.evaluate(WATCH_JS)
        await camera.stop()
        await page.wait_for_function(
            "() => performance.now() - window.watched.lastFrameAt > 5000", timeout=WAIT_MS)
        watched = await page.evaluate("() => window.watched")
        after = [(at, name) for at, name in watched["states"] if at > watched["lastFrameAt"]]
        dark_at = next((at for at, name in after if name == "no-signal"), None)
        assert dark_at is not None, watched
        assert dark_at - watched["lastFrameAt"] < NO_SIGNAL_WITHIN_MS, watched
        dark = await tile_state(page)
        assert dark["state"] == "no-signal", dark
        assert re.fullmatch(r"无信号（最后画面 \d{2}:\d{2}:\d{2}）", dark["status"]), dark
        problems = [p for p in await english_on(page, "no-signal", names)
                    if "figure.video-tile" in p]
        await save_screenshot(page, "video-no-signal")

        # the camera sends again: LIVE, and the decoder counts new frames
        camera.start()
        await page.locator(".video-tile[data-drone='1'][data-state=playing]").wait_for(
            timeout=WAIT_MS)
        back = await frames_rising(page, 10)
        assert back["state"] == "playing" and back["status"] == "● 直播", back
        assert await tile.locator(".tile-status").inner_text() == "● 直播"
        assert problems == [], problems
        assert log.outside == [], f"requests left the machine: {log.outside}"
        assert log.errors == [], log.errors
