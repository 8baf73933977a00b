"""The console's operations in Debian's chromium against the demo, in Chinese, checked for
English after each step:

- the map: a legend, every shipped no-fly zone reachable (two of them lie far south of the
  city), coordinates typed in decimal degrees or d°m's" (a bad one refused with why), and a
  click on a drone while a point is picked picks the drone's position;
- commands with care: cancelling and recalling a case ask first; a take-over shows "已执行"
  only once the drone accepted it, a goto shows "已发送"; the card always says who has control;
- the planner: the template's parameters with their limits, the estimate following a change,
  a 1.9 km2 survey too big for one battery split into sorties, a plan checked against a chosen
  drone, and a timetable built from a form with its next runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.console.browser import chromium_page, demo_server, log_in, save_screenshot
from tests.console.test_console_zh import WORD, english_on

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

WAIT_MS = 60_000
#: Weihai's detention centre and the airport, the nuclear plant and Liugong Island.
ZONES = 4

VISIBLE_ZONE_JS = """() => {
  const map = document.getElementById('map').getBoundingClientRect();
  let best = 0;
  for (const p of document.querySelectorAll(".leaflet-overlay-pane path[stroke='#d0312d']")) {
    const r = p.getBoundingClientRect();
    if (r.width < 2 || r.height < 2) continue;
    const w = Math.min(r.right, map.right) - Math.max(r.left, map.left);
    const h = Math.min(r.bottom, map.bottom) - Math.max(r.top, map.top);
    if (w > 0 && h > 0) best = Math.max(best, (w * h) / (r.width * r.height));
  }
  return best;
}"""


async def confirm(page: Any, ok: bool = True) -> str:
    dialog = page.locator("#confirm-dialog[open]")
    await dialog.wait_for()
    text = str(await page.locator("#confirm-text").inner_text())
    await page.locator("#confirm-ok" if ok else "#confirm-cancel").click()
    await dialog.wait_for(state="detached")
    return text


async def report_form_position(page: Any) -> tuple[float, float]:
    text = await page.locator("#report-form .muted.small").first.inner_text()
    lat, lon = (float(x) for x in text.split(","))
    return lat, lon


async def test_map_commands_and_planner_in_chinese(tmp_path: Path) -> None:
    async with (
        demo_server(tmp_path, speedup=7.0, video=False) as run,
        chromium_page(tmp_path, width=1600, height=1000) as (page, log),
    ):
        names: set[str] = set()
        problems: list[str] = []

        async def check(step: str) -> None:
            problems.extend(await english_on(page, step, names))
            await save_screenshot(page, f"ops-{step}")

        await log_in(page, run.url, "commander", run.passwords["commander"])
        await page.locator(".drone-card").nth(2).wait_for(timeout=WAIT_MS)
        for name in await page.locator(".drone-card .drone-name").all_inner_texts():
            names.update(WORD.findall(name))

        # ---- the map: legend, every no-fly zone can be shown
        legend = page.locator("#map-legend")
        await legend.locator(".legend-zone").nth(ZONES - 1).wait_for()
        assert "禁飞区" in await legend.inner_text()
        assert await page.locator(".base-icon").count() == 3
        await check("legend")
        for n in range(ZONES):
            await legend.locator(".legend-zone").nth(n).click()
            await page.wait_for_timeout(300)
            shown = await page.evaluate(VISIBLE_ZONE_JS)
            zone = await legend.locator(".legend-zone").nth(n).inner_text()
            assert shown > 0.9, f"no-fly zone {zone} cannot be brought into view ({shown:.2f})"
        await page.locator(".drone-card[data-drone='2'] .drone-body").click()  # back to the city
        await page.locator(".leaflet-control-zoom-out").click()

        # ---- a point typed by hand: refused with why, then placed
        await page.locator("#report-start").click()
        entry = page.locator("#coord-input")
        await entry.wait_for()
        await entry.fill("122.12, 37.51")
        await page.locator("#coord-go").click()
        error = page.locator("#coord-error[data-code='ops.coord.lat_range']")
        await error.wait_for()
        assert "纬度" in await error.inner_text()
        await check("coordinates-refused")
        await entry.fill("37°30'44\"N 122°07'13\"E")
        await page.locator("#coord-go").click()
        await page.locator("#report-form").wait_for()
        lat, lon = await report_form_position(page)
        assert abs(lat - (37 + 30 / 60 + 44 / 3600)) < 1e-4
        assert abs(lon - (122 + 7 / 60 + 13 / 3600)) < 1e-4
        await page.locator("#report-form button.link").click()

        # ---- a click on a drone while picking picks the drone's position
        fleet = {str(v["drone_id"]): v for v in await (await page.request.get(
            run.url + "/api/fleet",
            headers={"Authorization": "Bearer " + await page.evaluate(
                "() => sessionStorage.getItem('jinghang.token')")},
        )).json()}
        await page.locator("#report-start").click()
        await page.locator(".drone-icon[data-drone='2']").click()
        await page.locator("#report-form").wait_for()
        lat, lon = await report_form_position(page)
        live = fleet["2"]["live"]
        assert abs(lat - live["latitude_deg"]) < 2e-4 and abs(lon - live["longitude_deg"]) < 2e-4

        # ---- dispatch, then cancel asks first (and "no" keeps the case), recall asks too
        await page.locator("#report-type").select_option("P01")
        await page.locator("#proposal .chosen").wait_for(timeout=WAIT_MS)
        await page.locator("#dispatch-button").click()
        row = page.locator(".incident-row").first
        await row.wait_for(timeout=WAIT_MS)
        await row.locator("button[data-act=cancel]").click()
        asked = await confirm(page, ok=False)
        assert "撤销" in asked
        assert await page.locator(".incident-row").count() == 1
        recall = row.locator("button[data-act=recall]")
        await recall.wait_for(timeout=WAIT_MS)
        await recall.click()
        await page.locator("#confirm-dialog[open]").wait_for()
        await check("recall-confirm")
        asked = await confirm(page)
        assert "召回" in asked
        await page.locator("#toast").filter(has_text="召回指令已发送").wait_for()
        await check("recalled")

        # ---- who has control is on every card; take over says 已执行, goto says 已发送
        card = page.locator(".drone-card[data-drone='3']")
        control = card.locator(".drone-control")
        await control.filter(has_text="控制权").wait_for(timeout=WAIT_MS)
        await card.locator(".pilot-panel summary").click()
        await card.locator("button[data-action=take_over]").click()
        assert "接管" in await confirm(page)
        done = card.locator(".pilot-result[data-result=done]")
        await done.wait_for(timeout=WAIT_MS)
        assert "已执行" in await done.inner_text()
        await card.locator(".drone-last-command").wait_for(timeout=WAIT_MS)
        await card.locator("button[data-action=goto]").click()
        await page.locator("#coord-input").fill("37.40, 122.03")
        await page.locator("#coord-go").click()
        await confirm(page)
        sent = card.locator(".pilot-result[data-result=sent]")
        await sent.wait_for(timeout=WAIT_MS)
        assert "已发送" in await sent.inner_text() and "已执行" not in await sent.inner_text()
        await check("commands")

        # ---- the planner: parameters with limits, re-estimate, split into sorties
        await page.locator("#tabs [data-view=plan]").click()
        await page.locator("#plan-template option").nth(1).wait_for(state="attached")
        await page.locator("#plan-template").select_option("RUR-01")
        overlap = page.locator("#plan-param-side_overlap_pct")
        await overlap.wait_for()
        assert await overlap.input_value() == "70"
        assert await overlap.get_attribute("max") == "95"
        await page.locator("#plan-draw").click()
        for point in ("37.440, 122.020", "37.440, 122.0356", "37.4524, 122.0356",
                      "37.4524, 122.020"):
            await page.locator("#coord-input").fill(point)
            await page.locator("#coord-go").click()
        await page.locator("#plan-finish").click()
        await page.locator("#plan-compute").click()
        await page.locator("#plan-result [data-code='mission.out_of_battery']").wait_for(
            timeout=WAIT_MS
        )
        before = await page.locator("#plan-time").inner_text()
        await overlap.fill("99")
        await page.locator("#plan-param-error").filter(has_text="95").wait_for()
        await check("planner-parameter-refused")
        await overlap.fill("55")
        await page.wait_for_function(
            "(before) => { const el = document.getElementById('plan-time');"
            " return el && el.textContent !== before; }",
            arg=before,
            timeout=WAIT_MS,
        )
        await page.locator("#plan-split").click()
        head = page.locator("#plan-parts-head[data-fits=true]")
        await head.wait_for(timeout=WAIT_MS)
        count = int(await head.get_attribute("data-count") or 0)
        assert count >= 2
        assert await page.locator(".sortie-part-row").count() == count
        assert await page.locator(".leaflet-overlay-pane path.sortie-part").count() == count
        await check("planner-split")

        # ---- a small field: checked against a chosen drone, scheduled on a weekday timetable
        await page.locator("#plan-draw").click()
        for point in ("37.500, 122.135", "37.500, 122.139", "37.503, 122.139", "37.503, 122.135"):
            await page.locator("#coord-input").fill(point)
            await page.locator("#coord-go").click()
        await page.locator("#plan-finish").click()
        await page.locator("#plan-compute").click()
        await page.locator("#plan-drone").select_option("1")
        await page.locator("#plan-check").click()
        verdict = page.locator("#plan-check-result li[data-vehicle='1']")
        await verdict.wait_for(timeout=WAIT_MS)
        assert await verdict.get_attribute("data-fits") == "true"
        assert "%" in await verdict.inner_text()
        await page.locator("#timetable-kind").select_option("weekdays")
        await page.locator("#timetable-time").fill("07:30")
        await page.wait_for_function(
            "() => document.getElementById('patrol-cron').value === '30 7 * * 1-5'"
        )
        runs = page.locator("#timetable-runs .next-runs li")
        await runs.nth(4).wait_for(timeout=WAIT_MS)
        await page.locator("#timetable-kind").select_option("hours")
        await page.wait_for_function(
            "() => document.getElementById('patrol-cron').value === '30 */4 * * *'"
        )
        await page.locator("#patrol-cron").fill("61 * * * *")
        await page.locator("#timetable-error").filter(has_text="时间表").wait_for()
        await check("timetable-refused")
        await page.locator("#timetable-kind").select_option("weekdays")
        await runs.nth(4).wait_for(timeout=WAIT_MS)
        await check("timetable")
        await page.locator(".schedule button[type=submit]").click()
        patrol = page.locator(".patrol-row").first
        await patrol.wait_for(timeout=WAIT_MS)
        assert "30 7 * * 1-5" in await patrol.inner_text()

        assert not problems, "English in the Chinese console:\n" + "\n".join(problems)
        assert log.outside == [], f"requests left the machine: {log.outside}"
        assert log.errors == [], log.errors


async def test_a_pilot_phone_shows_the_console_stacked(tmp_path: Path) -> None:
    """390 x 844: nothing wider than the screen, the map above the panel, the pilot's buttons
    within reach; then the same console in English refuses a swapped coordinate."""
    async with (
        demo_server(tmp_path, speedup=5.0, video=False) as run,
        chromium_page(tmp_path, width=390, height=844) as (page, log),
    ):
        await log_in(page, run.url, "pilot", run.passwords["pilot"])
        card = page.locator(".drone-card[data-drone='1']")
        await card.wait_for(timeout=WAIT_MS)
        await card.locator(".pilot-panel summary").click()
        layout = await page.evaluate("""() => {
            const box = (sel) => document.querySelector(sel).getBoundingClientRect();
            const buttons = [...document.querySelectorAll(
                ".drone-card[data-drone='1'] .pilot-panel button")]
                .map((b) => b.getBoundingClientRect());
            return {
                scroll: document.scrollingElement.scrollWidth, map: box('#map'),
                side: box('#sidebar'),
                card: box(".drone-card[data-drone='1']"),
                right: Math.max(...buttons.map((r) => r.right)), count: buttons.length,
            };
        }""")
        await save_screenshot(page, "ops-phone-pilot")
        assert layout["scroll"] <= 390, layout  # nothing runs off the side of the screen
        assert layout["map"]["height"] >= 250 and layout["map"]["width"] >= 380, layout
        assert layout["side"]["top"] >= layout["map"]["bottom"] - 1, layout  # stacked below
        assert layout["card"]["width"] >= 340, layout
        assert layout["count"] >= 5 and layout["right"] <= 390, layout
        # the card says who has control without opening anything
        assert "未被接管" in await card.locator(".drone-control").inner_text()

        # in English too: a point typed with latitude and longitude swapped is refused
        await page.locator("#topbar .lang-toggle").click()
        panel = page.locator(".drone-card[data-drone='1'] .pilot-panel")
        if not await panel.evaluate("(p) => p.open"):
            await panel.locator("summary").click()
        await panel.locator("button[data-action=goto]").click()
        await page.locator("#coord-input").fill("122.12, 37.51")
        await page.locator("#coord-go").click()
        refused = page.locator("#coord-error[data-code='ops.coord.lat_range']")
        await refused.filter(has_text="Latitude").wait_for()
        await save_screenshot(page, "ops-phone-coordinates-en")
        assert log.errors == [], log.errors
