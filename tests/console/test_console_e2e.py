"""The whole job in the console, in Debian's chromium against the demo (three simulated drones
at Weihai with their cameras, the dispatcher, the sample no-fly zones) served on a free port:
log in, report an incident by clicking the map, see the proposed drone, dispatch, watch the
marker move and the progress bar advance, see the drone's video playing (frames decoded,
time advancing), take the drone over, fly it to a clicked point and send it home, find every
step in the audit view, and open the closed incident's flight record.

Screenshots of the main screens go to test-artifacts/console/; the README's screenshot
(docs/screenshots/console.png: a flight in progress with live video) is written when it is
missing or when JINGHANG_UPDATE_SCREENSHOTS=1.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from tests.console.browser import chromium_page, demo_server, log_in, save_screenshot

pytestmark = [pytest.mark.browser, pytest.mark.timeout(240)]

README_SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "console.png"
WAIT_MS = 60_000


def read_json(path: Any) -> Any:
    return json.loads(Path(path).read_text(encoding="utf-8"))


async def marker_center(page: Any, drone: str) -> tuple[float, float]:
    """Where the drone's marker is on the screen (its icon is redrawn as the heading changes,
    so ask again until one is in the page)."""
    icon = page.locator(f".drone-icon[data-drone='{drone}']")
    for _ in range(50):
        await icon.wait_for(timeout=WAIT_MS)
        box = await icon.bounding_box()
        if box is not None:
            return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        await page.wait_for_timeout(100)
    raise AssertionError(f"the marker of drone {drone} never settles on the map")


async def progress_of(page: Any, drone: str) -> int:
    bar = page.locator(f".progress-bar[data-drone='{drone}']")
    await bar.wait_for(timeout=WAIT_MS)
    return int(await bar.get_attribute("aria-valuenow") or 0)


async def video_state(page: Any, drone: str) -> dict[str, float]:
    return dict(
        await page.evaluate(
            """(drone) => {
                const v = document.querySelector(`video[data-drone="${drone}"]`);
                return v ? {time: v.currentTime, width: v.videoWidth, ready: v.readyState}
                         : {time: -1, width: 0, ready: 0};
            }""",
            drone,
        )
    )


async def wait_for_picture(page: Any, drone: str) -> None:
    """Until the tile shows a picture (not a black box) in a screenshot of it."""
    import cv2
    import numpy as np

    tile = page.locator(f"video[data-drone='{drone}']")
    for _ in range(20):
        png = await tile.screenshot()
        image = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_GRAYSCALE)
        if image is not None and float(image.std()) > 10.0:
            return
        await page.wait_for_timeout(250)
    raise AssertionError("the video tile stays black in screenshots")


async def confirm(page: Any) -> None:
    await page.locator("#confirm-dialog[open]").wait_for()
    await page.locator("#confirm-ok").click()
    await page.locator("#confirm-dialog[open]").wait_for(state="detached")


async def test_report_dispatch_follow_video_take_over_and_audit(tmp_path: Path) -> None:
    async with (
        demo_server(tmp_path, speedup=7.0) as run,
        chromium_page(tmp_path) as (page, log),
    ):
        await log_in(page, run.url, "commander", run.passwords["commander"])
        cards = page.locator(".drone-card")
        await cards.nth(2).wait_for(timeout=WAIT_MS)
        await page.locator(".drone-icon[data-drone='2']").wait_for(timeout=WAIT_MS)
        await save_screenshot(page, "01-command-fleet")

        # report: click the map a little south-west of the city-centre drone
        x, y = await marker_center(page, "2")
        await page.locator("#report-start").click()
        await page.mouse.click(x - 40, y + 40)
        await page.locator("#report-type").select_option("P01")
        chosen = page.locator("#proposal .chosen")
        await chosen.wait_for(timeout=WAIT_MS)
        drone = await chosen.get_attribute("data-vehicle")
        assert drone in {"1", "2", "3"}
        assert "ETA" in await chosen.inner_text() or "预计" in await chosen.inner_text()
        await save_screenshot(page, "02-report-proposal")
        await page.locator("#dispatch-button").click()

        # the incident is open with the drone assigned, and the flight is followed
        row = page.locator(".incident-row").first
        await row.wait_for(timeout=WAIT_MS)
        start = await marker_center(page, drone)
        await page.locator(f".drone-card[data-drone='{drone}'].flying").wait_for(timeout=WAIT_MS)
        first_progress = await progress_of(page, drone)
        await page.wait_for_function(
            """([drone, x, y]) => {
                const el = document.querySelector(`.drone-icon[data-drone="${drone}"]`);
                if (!el) return false;
                const r = el.getBoundingClientRect();
                return Math.hypot(r.x + r.width / 2 - x, r.y + r.height / 2 - y) > 15;
            }""",
            arg=[drone, start[0], start[1]],
            timeout=WAIT_MS,
        )
        await page.wait_for_function(
            """([drone, before]) => {
                const bar = document.querySelector(`.progress-bar[data-drone="${drone}"]`);
                return bar && Number(bar.getAttribute("aria-valuenow")) > before;
            }""",
            arg=[drone, first_progress],
            timeout=WAIT_MS,
        )
        assert "m" in await page.locator(f".drone-card[data-drone='{drone}'] .to-go").inner_text()
        incident = await row.get_attribute("data-incident")
        on_incident = page.locator(f".drone-card[data-drone='{drone}'] .on-incident")
        await on_incident.filter(has_text=f"#{incident}").wait_for()

        # the video tile of the flying drone plays: frames decoded and time advancing
        tile = page.locator(f".video-tile[data-drone='{drone}'][data-state='playing']")
        await tile.wait_for(timeout=WAIT_MS)
        before = await video_state(page, drone)
        await page.wait_for_function(
            """([drone, t]) => {
                const v = document.querySelector(`video[data-drone="${drone}"]`);
                return v && v.videoWidth > 0 && v.currentTime > t + 0.5;
            }""",
            arg=[drone, before["time"]],
            timeout=WAIT_MS,
        )
        after = await video_state(page, drone)
        assert after["width"] > 0 and after["time"] > before["time"]
        # the tile enlarged beside the map: a flight in progress with live video
        await page.locator(f".video-tile[data-drone='{drone}']").click()
        await page.locator(".video-tile.enlarged").wait_for()
        await wait_for_picture(page, drone)
        shot = await save_screenshot(page, "03-flight-in-progress-with-video")
        if not README_SCREENSHOT.exists() or os.environ.get("JINGHANG_UPDATE_SCREENSHOTS"):
            README_SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
            README_SCREENSHOT.write_bytes(shot.read_bytes())
        await page.locator(".video-tile.enlarged").click()

        # the video wall view, one tile enlarged
        await page.locator("#tabs [data-view=video]").click()
        await page.locator(f".video-tile[data-drone='{drone}']").click()
        await page.locator(".video-tile.enlarged").wait_for()
        await save_screenshot(page, "04-video-wall-enlarged")
        await page.locator(".video-tile.enlarged").click()
        await page.locator("#tabs [data-view=command]").click()

        # take over (the drone stops and loiters), then send it home
        card = page.locator(f".drone-card[data-drone='{drone}']")
        await card.locator(".pilot-panel summary").click()
        await card.locator("button[data-action=take_over]").click()
        await confirm(page)
        await (
            card.locator(".pill.mode[data-mode=LOITER]")
            .or_(card.locator(".pill.mode[data-mode=BRAKE]"))
            .wait_for(timeout=WAIT_MS)
        )
        await save_screenshot(page, "05-taken-over")
        if not await card.locator(".pilot-panel[open]").count():
            await card.locator(".pilot-panel summary").click()

        # fly it by hand to a point clicked on the map
        x, y = await marker_center(page, drone)
        await card.locator("button[data-action=goto]").click()
        await page.locator("#map-hint").wait_for()
        await page.mouse.click(x + 60, y - 40)
        await confirm(page)
        await card.locator(".pill.mode[data-mode=GUIDED]").wait_for(timeout=WAIT_MS)
        await card.locator("button[data-action=rtl]").click()
        await confirm(page)
        await card.locator(".pill.mode[data-mode=RTL]").wait_for(timeout=WAIT_MS)

        # every step is in the audit trail, with who did it
        await page.locator("#tabs [data-view=audit]").click()
        rows = page.locator("#audit-rows tr")
        await rows.first.wait_for()
        actions = set(
            await page.locator("#audit-rows tr").evaluate_all(
                "rows => rows.map(r => r.dataset.action)"
            )
        )
        steps = ("auth.login", "incident.report", "vehicle.pause", "vehicle.goto", "vehicle.rtl")
        for wanted in steps:
            assert any(a.startswith(wanted) for a in actions), (wanted, sorted(actions))
        await page.locator("#audit-actor").fill("commander")
        await page.locator("#audit-action").fill("vehicle.")
        await page.locator("#audit-apply").click()
        await page.wait_for_function(
            """() => [...document.querySelectorAll('#audit-rows tr')].every(
                r => (r.dataset.action || '').startsWith('vehicle.'))"""
        )
        await save_screenshot(page, "06-audit")

        # once the drone has landed the case stays open until the commander closes it with
        # an outcome; its flight record shows the path on the map and the timeline with the
        # take-over and the return
        await page.locator("#tabs [data-view=command]").click()
        landed = page.locator(".incident-row.status-landed")
        await landed.wait_for(timeout=WAIT_MS)
        await landed.locator("button[data-act=close]").click()
        await landed.locator("form.close-case select").select_option("resolved")
        await save_screenshot(page, "06b-close-case")
        await landed.locator("form.close-case button[type=submit]").click()
        await page.locator(".incident-row").first.wait_for(state="detached", timeout=WAIT_MS)
        await page.locator("#tabs [data-view=records]").click()
        await page.locator(".record-item").first.click()
        await page.locator("#record-track").wait_for(timeout=WAIT_MS)
        # (the lines are in the operator's language; each keeps its raw step and actor)
        lines = await page.locator("ol.timeline li").evaluate_all(
            "items => items.map(li => [li.dataset.what, li.dataset.who, li.dataset.state])"
        )
        for what, who in (("incident.report", None), ("pause", "commander"), ("rtl", "commander")):
            assert any(w == what and who in (None, u) for w, u, _ in lines), (what, lines)
        assert any(state == "closed" for _, _, state in lines), lines
        await page.locator(".leaflet-overlay-pane path[stroke='#e85d04']").first.wait_for()
        await page.locator(".leaflet-overlay-pane path.flown-track").wait_for()
        async with page.expect_download() as download_info:
            await page.locator("#record-detail button[data-mission]").first.click()
        download = await download_info.value
        track = read_json(await download.path())
        assert track["geometry"]["type"] == "LineString"
        assert len(track["geometry"]["coordinates"]) >= 2
        await save_screenshot(page, "07-flight-record")
        assert log.outside == [], f"requests left the machine: {log.outside}"
        assert log.errors == [], log.errors
