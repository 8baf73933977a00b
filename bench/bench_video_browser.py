"""Video in a real browser: how soon Debian's chromium shows the gateway's picture.

    python bench/bench_video_browser.py               # about a minute
    python bench/bench_video_browser.py --runs 10 --gop-s 10

The gateway, the simulator camera (640x360, 15 fps) and the page are in this process, chromium
(Playwright, /usr/bin/chromium, never downloaded) beside it; WHEP and WebRTC on 127.0.0.1.

- first picture: from asking for a session (offer made, POST) to the video element having a
  decoded frame (videoWidth > 0), for H.264 passthrough and the VP8 transcode path; each run
  is a new peer connection joining at a random point of the camera's 1 s keyframe interval.
- late viewer on a long-GOP camera (--gop-s): time to a picture (the relay's held keyframe)
  and time until the picture moves (the source's next keyframe), joining at random points.

Measured once (2 cores shared with other work): of the ~1.2 s to a first picture, ~1.15 s is
the page's offer and chromium's ICE gathering to "complete"; the gateway answers in ~2 ms and
ICE/DTLS connect ~20 ms after the answer.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aioice.ice

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._common import NotMeasured, require, run  # noqa: E402
from jinghang.video.simcam import build_world  # noqa: E402
from tests.conftest import free_udp_port  # noqa: E402
from tests.console.browser import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.video.conftest import SMALL, Camera  # noqa: E402
from tests.video.test_browser import serving_gateway  # noqa: E402


async def _until(page: Any, name: str, test: str, timeout_s: float) -> float:
    """Seconds until ``test`` (JS over the viewer's state ``s``) holds."""
    started = time.perf_counter()
    state = None
    try:
        async with asyncio.timeout(timeout_s):
            while True:
                state = await page.evaluate("(name) => state(name)", name)
                if await page.evaluate(f"(s) => {test}", state):
                    return time.perf_counter() - started
                await asyncio.sleep(0.02)
    except TimeoutError:
        raise NotMeasured(f"viewer {name} never had {test} in {timeout_s:g} s (last state: "
                          f"{state})") from None


def _line(label: str, values: list[float]) -> str:
    values = sorted(values)
    p95 = values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]
    return (f"{label:<38} n={len(values):<3} median {statistics.median(values) * 1000:6.0f} ms"
            f"   p95 {p95 * 1000:6.0f} ms   max {values[-1] * 1000:6.0f} ms")


async def _measure(gop_s: float, runs: int, modes: list[str], late: bool) -> list[str]:
    from playwright.async_api import async_playwright

    world = build_world(size_px=1024, metres_per_px=1.0)
    camera = Camera(free_udp_port(), world, dataclasses.replace(SMALL, keyframe_interval_s=gop_s))
    lines: list[str] = []
    async with asyncio.TaskGroup() as group:
        camera.start(group)
        try:
            async with serving_gateway(camera) as (url, gateway), async_playwright() as pw:
                browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                                   headless=True)
                page = await browser.new_page()
                await page.goto(url + "/")
                relay = gateway.relay("drone-1")
                for _ in range(int((gop_s + 10) / 0.05)):  # the source's first keyframe
                    if relay.keyframe_held:
                        break
                    await asyncio.sleep(0.05)
                require(relay.keyframe_held, "the camera's first keyframe never reached the relay")
                number = 0
                for mode in modes:
                    picture, moving = [], []
                    for _ in range(runs):
                        await asyncio.sleep(random.uniform(0.0, gop_s))
                        number += 1
                        name = f"v{number}"
                        started = time.perf_counter()
                        await page.evaluate("([n, m]) => watch(n, m)", [name, mode])
                        await _until(page, name, "s.width > 0", 30)
                        picture.append(time.perf_counter() - started)
                        if late:
                            await _until(page, name, "s.decoded >= 3", gop_s + 10)
                            moving.append(time.perf_counter() - started)
                        await page.evaluate(
                            "(n) => { viewers[n].pc.close(); viewers[n].video.remove(); }", name)
                    label = f"{mode}, camera GOP {gop_s:g} s"
                    lines.append(_line(f"first picture, {label}", picture))
                    if late:
                        lines.append(_line(f"moving picture, {label}", moving))
                lines.append(f"(keyframes primed by the relay: {relay.stats.keyframes_primed})")
                await browser.close()
        finally:
            await camera.stop()
    return lines


async def bench() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=6)
    parser.add_argument("--gop-s", type=float, default=10.0)
    args = parser.parse_args()
    aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: (  # type: ignore[assignment]
        ["127.0.0.1"] if use_ipv4 else [])
    with tempfile.TemporaryDirectory():
        lines = await _measure(1.0, args.runs, ["passthrough", "transcode"], late=False)
        lines += await _measure(args.gop_s, args.runs, ["passthrough"], late=True)
    for line in lines:
        print(line)


def main() -> None:
    asyncio.run(bench())


if __name__ == "__main__":
    run(main)
