"""The payload controls on a drone's card, against the demo's simulated fleet (no cameras):
a pilot sees only the controls for the payloads the register lists for that drone; playing a
loudspeaker message and dropping a load reach the simulator and show "accepted"; a command the
drone refuses shows why, and one it never answers shows "no answer"; the card says who has
control."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.console.browser import chromium_page, demo_server, log_in, save_screenshot

pytestmark = [pytest.mark.browser, pytest.mark.timeout(240)]

WAIT_MS = 60_000


async def test_payload_controls_reach_the_drone_and_show_each_result(tmp_path: Path) -> None:
    async with (
        demo_server(tmp_path, speedup=5.0, video=False) as run,
        chromium_page(tmp_path) as (page, log),
    ):
        await log_in(page, run.url, "pilot", run.passwords["pilot"])
        await page.locator(".drone-card").nth(2).wait_for(timeout=WAIT_MS)
        one = page.locator(".drone-card[data-drone='1'] .pilot-panel")
        await one.locator("summary").click()
        # drone 1 carries camera, zoom, loudspeaker: no spotlight, no release, no thermal
        assert await one.locator(".payload-row.loudspeaker").count() == 1
        assert await one.locator(".payload-row.zoom").count() == 1
        assert await one.locator(".payload-row.spotlight").count() == 0
        assert await one.locator(".payload-row.release").count() == 0
        assert await one.locator(".payload-row.camera").count() == 0
        await one.locator(".pilot-control").filter(has_text="未被接管").wait_for(timeout=WAIT_MS)

        await one.locator(".clip-id").fill("3")
        await one.locator("[data-action=play_clip]").click()
        result = one.locator(".pilot-result[data-result=accepted]")
        await result.wait_for(timeout=WAIT_MS)
        assert "已接受" in await result.inner_text()
        assert [p.clip_id for p in run.simulators[0].vehicle.payload.played] == [3]

        await one.locator(".tts-text").fill("请立即离开")
        await one.locator("[data-action=speak]").click()
        await page.wait_for_function(
            "() => document.querySelector(\".drone-card[data-drone='1'] .pilot-result\")"
            ".dataset.result === 'accepted'"
        )

        # on the ground, a new altitude is refused by the drone: the card says so
        await one.locator(".altitude-m").fill("30")
        await one.locator("[data-action=altitude]").click()
        refused = one.locator(".pilot-result[data-result=refused]")
        await refused.wait_for(timeout=WAIT_MS)
        assert "被拒绝" in await refused.inner_text()

        # a loudspeaker that hangs: no answer
        run.simulators[0].vehicle.payload.loudspeaker_silent = True
        await one.locator("[data-action=play_clip]").click()
        silent = one.locator(".pilot-result[data-result=no_answer]")
        await silent.wait_for(timeout=WAIT_MS)
        assert "无应答" in await silent.inner_text()
        await save_screenshot(page, "pilot-payload-controls")

        # drone 3 carries a release: dropping asks first, then reaches the simulator
        three = page.locator(".drone-card[data-drone='3'] .pilot-panel")
        await three.locator("summary").click()
        await three.locator("[data-action=drop]").click()
        await page.locator("#confirm-dialog[open]").wait_for()
        await page.locator("#confirm-ok").click()
        await three.locator(".pilot-result[data-result=accepted]").wait_for(timeout=WAIT_MS)
        assert run.simulators[2].vehicle.payload.releases == 1
        assert log.outside == []
        assert log.errors == [], log.errors
