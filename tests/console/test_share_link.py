"""The field view of a shared case in Debian's chromium against the demo: a commander opens
the case's share panel in the console, makes a link and finds the case and a drone with the
search boxes; on a phone-sized page (390x844, zh) the link shows the case, its drone on the
map and in the list, and the drone's live video playing, all without English; once the
commander revokes the link in the console the page says it no longer opens the case."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.console.browser import (
    WAIT_MS,
    chromium_page,
    commander_in,
    demo_server,
    dispatched_case,
    save_screenshot,
)
from tests.console.test_console_zh import english_on

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]


async def test_a_shared_case_on_a_phone_then_revoked(tmp_path: Path) -> None:
    async with (
        demo_server(tmp_path, speedup=8.0) as run,
        chromium_page(tmp_path) as (page, log),
        httpx.AsyncClient(base_url=run.url, timeout=30) as client,
    ):
        names = await commander_in(run, page, client)
        incident_id, drone = await dispatched_case(client, title="东门盗窃")
        drone_name = await page.locator(
            f".drone-card[data-drone='{drone}'] .drone-name").inner_text()

        # the search boxes: by the case's title, by a drone's name
        await page.locator("#case-search").fill("东门")
        row = page.locator(f".incident-row[data-incident='{incident_id}']")
        await row.wait_for(timeout=WAIT_MS)
        await page.locator("#case-search").fill("没有这个案件")
        await row.wait_for(state="hidden")
        await page.locator("#case-search-empty").filter(has_text="没有匹配").wait_for()
        await page.locator("#case-search").fill("")
        await page.locator("#fleet-search").fill(drone_name)
        assert await page.locator(".drone-card:visible").count() == 1
        await page.locator("#fleet-search").fill("")
        assert await page.locator(".drone-card:visible").count() == 3

        # the commander's share panel: a link valid for 15 min, copied from the field
        await row.locator("[data-act=share]").click()
        panel = page.locator(f".share-panel[data-incident='{incident_id}']")
        await panel.locator(".share-validity").select_option("900")
        await panel.locator("[data-act=share-create]").click()
        link = await panel.locator(".share-url").input_value()
        assert link.startswith(run.url + "/share/")
        await panel.locator(".share-list li").first.wait_for()
        await panel.locator(".share-list").filter(has_text="撤销").wait_for()
        problems = await english_on(page, "share-panel", names)
        await save_screenshot(page, "share-panel")

        # on a phone: the case, its drone, its live video
        phone = await page.context.new_page()
        await phone.set_viewport_size({"width": 390, "height": 844})
        await phone.goto(link)
        await phone.locator("#share-case-title").filter(has_text=f"案件 #{incident_id}").wait_for(
            timeout=WAIT_MS)
        await phone.locator(".share-state").filter(has_text="未结").wait_for()
        await phone.locator(".share-playbook").filter(has_text="P01").wait_for()
        await phone.locator(f".share-drone[data-drone='{drone}']").wait_for(timeout=WAIT_MS)
        assert await phone.locator(".share-drone").count() == 1  # only the case's drone
        await phone.locator(f".share-drone-icon[data-drone='{drone}']").wait_for(timeout=WAIT_MS)
        await phone.locator(f".share-drone[data-drone='{drone}'] .share-drone-facts").filter(
            has_text="高度").wait_for(timeout=WAIT_MS)
        await phone.locator(f".share-tile[data-drone='{drone}'][data-whep=answered]").wait_for(
            timeout=WAIT_MS)
        await phone.locator(f".share-tile[data-drone='{drone}'][data-state=playing]").wait_for(
            timeout=WAIT_MS)
        playing = await phone.evaluate(
            """() => { const v = document.querySelector('.share-tile video');
                       return {w: v.videoWidth, t: v.currentTime, ready: v.readyState}; }""")
        assert playing["w"] > 0 and playing["ready"] >= 2, playing
        problems += await english_on(phone, "share-page", names)
        await save_screenshot(phone, "share-phone")

        # English one click away
        await phone.locator(".lang-toggle").click()
        await phone.locator("#share-case-title").filter(has_text=f"Case #{incident_id}").wait_for()
        await phone.locator(".lang-toggle").click()
        await phone.locator("#share-case-title").filter(has_text=f"案件 #{incident_id}").wait_for()

        # the commander revokes it in the console: the phone says the link no longer works
        await panel.locator(".share-revoke").first.click()
        await page.locator("#confirm-ok").click()
        await panel.locator(".share-list").wait_for(state="detached")
        await phone.locator("#share-stopped[data-code='share.revoked']").wait_for(timeout=WAIT_MS)
        await phone.locator("#share-stopped-reason").filter(has_text="撤销").wait_for()
        assert await phone.locator(".share-tile").count() == 0
        problems += await english_on(phone, "share-revoked", names)
        await save_screenshot(phone, "share-revoked")
        reopened = await phone.goto(link)
        assert reopened is not None and reopened.status == 403
        await phone.locator("#share-stopped[data-code='share.revoked']").wait_for()

        assert not problems, "\n".join(problems)
        assert not log.errors, log.errors
        assert not log.outside, log.outside
