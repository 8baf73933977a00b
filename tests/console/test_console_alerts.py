"""Alerts, roles and confirmations in the console, against the demo's simulated fleet (no
cameras): a drone whose battery runs low raises a flashing alert (the server's, one for the
cause) that stays on every view until someone acknowledges it, for everyone; pilots get the
pilot panel of every drone but cannot report incidents, and observers get neither; a playbook
that asks for a pilot's confirmation launches only once a pilot other than the dispatching
commander gives it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.console.browser import chromium_page, demo_server, log_in, save_screenshot

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]

WAIT_MS = 60_000


async def test_low_battery_alert_stays_until_acknowledged_and_roles(tmp_path: Path) -> None:
    async with (
        demo_server(tmp_path, speedup=5.0, video=False) as run,
        chromium_page(tmp_path) as (page, log),
    ):
        await log_in(page, run.url, "pilot", run.passwords["pilot"])
        await page.locator(".drone-card").nth(2).wait_for(timeout=WAIT_MS)
        assert await page.locator(".pilot-panel").count() == 3
        assert not await page.locator("#report-start").is_visible()

        # drone 3's battery is nearly used up (the simulator's own battery model)
        battery = run.simulators[2].vehicle.physics.battery
        battery.consumed_mah = battery.capacity_mah * 0.85
        alert = page.locator(".alert[data-code='vehicle.battery_low']")
        await alert.wait_for(timeout=WAIT_MS)
        assert "威海-3" in await alert.inner_text()
        await page.locator(".drone-card[data-drone='3'] .battery.bad").wait_for()
        await save_screenshot(page, "alert-low-battery")

        # it stays on other views until acknowledged, and does not come back while still low
        await page.locator("#tabs [data-view=audit]").click()
        assert await alert.is_visible()
        await alert.locator(".alert-ack").click()
        await alert.wait_for(state="detached")
        await page.wait_for_timeout(1500)
        assert await page.locator(".alert[data-code='vehicle.battery_low']").count() == 0

        # an observer sees the fleet but gets no pilot controls and no reporting
        observer = await page.context.new_page()
        await log_in(observer, run.url, "observer", run.passwords["observer"])
        await observer.locator(".drone-card").nth(2).wait_for(timeout=WAIT_MS)
        assert await observer.locator(".pilot-panel").count() == 0
        assert not await observer.locator("#report-start").is_visible()
        # a fresh sign-in does not see the alert the pilot acknowledged
        assert await observer.locator(".alert[data-code='vehicle.battery_low']").count() == 0
        assert log.outside == []
        assert log.errors == [], log.errors


async def test_playbook_waiting_for_the_pilot_launches_on_confirmation(tmp_path: Path) -> None:
    async with (
        demo_server(tmp_path, speedup=5.0, video=False) as run,
        chromium_page(tmp_path) as (page, log),
    ):
        await log_in(page, run.url, "commander", run.passwords["commander"])
        await page.locator(".drone-icon[data-drone='3']").wait_for(timeout=WAIT_MS)
        box = await page.locator(".drone-icon[data-drone='3']").bounding_box()
        assert box is not None

        # a drowning off the north shore: the playbook asks a pilot to confirm the launch
        await page.locator("#report-start").click()
        await page.mouse.click(box["x"] + 40, box["y"] - 30)
        await page.locator("#report-type").select_option("P13")
        await page.locator("#proposal .chosen").wait_for(timeout=WAIT_MS)
        await page.locator("#proposal .reason").wait_for()
        await page.locator("#dispatch-button").click()
        row = page.locator(".incident-row.status-waiting_pilot")
        await row.wait_for(timeout=WAIT_MS)
        await row.locator(".reason").first.wait_for(timeout=WAIT_MS)
        await save_screenshot(page, "confirm-waiting")
        # nothing flies until a pilot confirms; the commander who dispatched may not (the
        # two-person rule): he gets no button, only the note that another pilot must
        card = page.locator(".drone-card[data-drone='3']")
        assert not await card.evaluate("el => el.classList.contains('flying')")
        assert await row.locator("button[data-act=confirm]").count() == 0
        assert "另一名飞手" in await row.inner_text()
        pilot = await page.context.new_page()
        await log_in(pilot, run.url, "pilot", run.passwords["pilot"])
        pilot_row = pilot.locator(".incident-row.status-waiting_pilot")
        await pilot_row.locator("button[data-act=confirm]").click(timeout=WAIT_MS)
        await page.locator(".incident-row.status-en_route").wait_for(timeout=WAIT_MS)
        await page.locator(".drone-card[data-drone='3'].flying").wait_for(timeout=WAIT_MS)
        await save_screenshot(page, "case-en-route")

        # a console opened in the middle of the flight shows its progress and incident too
        late = await page.context.new_page()
        await log_in(late, run.url, "observer", run.passwords["observer"])
        await late.locator(".progress-bar[data-drone='3']").wait_for(timeout=WAIT_MS)
        await late.locator(".drone-card[data-drone='3'] .on-incident").wait_for()
        assert log.outside == []
        assert log.errors == [], log.errors
