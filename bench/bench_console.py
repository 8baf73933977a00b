"""Console timings in Debian's chromium against the demo (three simulated drones, cameras):
sign-in to a live map with the fleet, a drone's video tile to its first decoded frame (the
server's choice of stream, and the transcoded stream), and report-and-dispatch to the drone's
marker moving on the map. Prints the figures; a step that never happens fails the run (exit 1,
one line on stderr naming it).

    python3 bench/bench_console.py [--runs 3] [--speedup 10]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable
from pathlib import Path
from typing import Any, TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import NotMeasured, require, run
from tests.console.browser import chromium_page, demo_server, log_in

T = TypeVar("T")


async def step(what: str, job: Awaitable[T]) -> T:
    """``job``, or :class:`NotMeasured` saying ``what`` did not happen when it times out."""
    from playwright.async_api import TimeoutError as PageTimeout

    try:
        return await job
    except (PageTimeout, TimeoutError) as exc:
        raise NotMeasured(f"{what} did not happen ({str(exc).splitlines()[0]})") from exc


async def first_frame_s(page: Any, drone: str, mode: str) -> float:
    """Open the drone's tile by hand and time it to a decoded frame."""
    await page.evaluate(
        "(mode) => mode ? sessionStorage.setItem('jinghang.video_mode', mode)"
        " : sessionStorage.removeItem('jinghang.video_mode')",
        mode,
    )
    start = time.perf_counter()
    await page.locator(f".drone-card[data-drone='{drone}'] .video-toggle").click()
    await step(f"a decoded video frame of drone {drone} ({mode or 'server choice'})",
               page.wait_for_function(
        """(drone) => {
            const v = document.querySelector(`video[data-drone="${drone}"]`);
            return v && v.videoWidth > 0 && v.currentTime > 0;
        }""",
        arg=drone,
        timeout=60_000,
    ))
    elapsed = time.perf_counter() - start
    await page.locator(f".drone-card[data-drone='{drone}'] .video-toggle").click()
    await page.locator(f".video-tile[data-drone='{drone}']").wait_for(state="detached")
    return elapsed


async def one_run(tmp: Path, speedup: float) -> dict[str, float]:
    out: dict[str, float] = {}
    async with demo_server(tmp, speedup=speedup) as run, chromium_page(tmp) as (page, _log):
        start = time.perf_counter()
        await log_in(page, run.url, "commander", run.passwords["commander"])
        await step("drone 3 on the map after sign-in",
                   page.locator(".drone-icon[data-drone='3']").wait_for(timeout=60_000))
        out["sign-in to live fleet on the map (s)"] = time.perf_counter() - start
        out["video first frame, server's choice (s)"] = await first_frame_s(page, "1", "")
        out["video first frame, transcoded (s)"] = await first_frame_s(page, "2", "transcode")

        icon = page.locator(".drone-icon[data-drone='2']")
        box = await icon.bounding_box()
        require(box, "drone 2 has no marker on the map")
        assert box is not None
        await page.locator("#report-start").click()
        await page.mouse.click(box["x"] - 30, box["y"] + 50)
        await page.locator("#report-type").select_option("P01")
        await step("a drone proposed for the report",
                   page.locator("#proposal .chosen").wait_for(timeout=60_000))
        drone = await page.locator("#proposal .chosen").get_attribute("data-vehicle")
        where = await page.locator(f".drone-icon[data-drone='{drone}']").bounding_box()
        require(where, f"the proposed drone {drone} has no marker on the map")
        assert where is not None
        start = time.perf_counter()
        await page.locator("#dispatch-button").click()
        await step(f"drone {drone}'s marker moving after the dispatch", page.wait_for_function(
            """([drone, x, y]) => {
                const el = document.querySelector(`.drone-icon[data-drone="${drone}"]`);
                if (!el) return false;
                const r = el.getBoundingClientRect();
                return Math.hypot(r.x - x, r.y - y) > 3;
            }""",
            arg=[drone, where["x"], where["y"]],
            timeout=120_000,
        ))
        out[f"dispatch click to marker moving, speedup {speedup:g} (s)"] = (
            time.perf_counter() - start
        )
    return out


async def bench() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--speedup", type=float, default=10.0)
    args = parser.parse_args()
    results: dict[str, list[float]] = {}
    for i in range(args.runs):
        with tempfile.TemporaryDirectory() as tmp:
            for name, value in (await one_run(Path(tmp), args.speedup)).items():
                results.setdefault(name, []).append(value)
        print(f"run {i + 1}/{args.runs} done", flush=True)
    print(f"\nconsole timings over {args.runs} runs (median, min, max):")
    for name, values in results.items():
        print(
            f"  {name:<48} {statistics.median(values):7.2f} {min(values):7.2f} {max(values):7.2f}"
        )


def main() -> None:
    asyncio.run(bench())


if __name__ == "__main__":
    run(main)
