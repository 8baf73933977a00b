"""The README's screenshot (docs/console-zh.png): the console in Chinese in headless Debian
chromium, 1600x1000, against the demo, a drone flying to a case with its live video (overlay
drawn from telemetry), who has control on each card, the map's legend and no-fly zones.

Run ``PYTHONPATH=$PWD python3 -m tests.console.readme_screenshot`` after a visible change of
the console (it is not a test; it takes about a minute).
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

import httpx

from tests.console.browser import (
    WAIT_MS,
    chromium_page,
    commander_in,
    demo_server,
    dispatched_case,
)

OUT = Path(__file__).resolve().parents[2] / "docs" / "console-zh.png"


async def take(out: Path = OUT) -> Path:
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        async with (
            demo_server(tmp_path, speedup=8.0) as run,
            chromium_page(tmp_path, width=1600, height=1000) as (page, _log),
            httpx.AsyncClient(base_url=run.url, timeout=30) as client,
        ):
            await commander_in(run, page, client)
            _incident, drone = await dispatched_case(client)
            tile = f".video-tile[data-drone='{drone}']"
            await page.locator(f"{tile}[data-state=playing]").wait_for(timeout=WAIT_MS)
            await page.locator(f"{tile} .tile-osd .osd-flight").wait_for(timeout=WAIT_MS)
            await page.wait_for_function(
                """(sel) => { const bar = document.querySelector(`.progress-bar`);
                              return document.querySelector(sel) && bar; }""",
                arg=tile, timeout=WAIT_MS)
            await page.wait_for_timeout(4000)  # a stretch flown, the picture settled
            # every camera up (on a loaded machine they may take a while to send)
            await page.locator("#health-state").wait_for(state="hidden", timeout=WAIT_MS)
            await page.mouse.move(0, 0)
            await page.screenshot(path=str(out))
    return out


if __name__ == "__main__":
    print(asyncio.run(take()))
