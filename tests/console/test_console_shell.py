"""The console without a fleet, in a real browser: it loads with no internet (every request
stays on 127.0.0.1), speaks Chinese first and English on a click, refuses a wrong password
with the reason, draws the Weihai base map and the no-fly zones; plans from an imported KML, a
clicked point or a drawn area show their figures or the reason they were refused, and a plan
is scheduled as a patrol."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.console.browser import chromium_page, console_server, log_in, save_screenshot

SAMPLES = Path(__file__).resolve().parents[2] / "jinghang" / "missions" / "samples"

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]


async def test_login_language_and_offline_map(tmp_path: Path) -> None:
    async with console_server(tmp_path) as (url, passwords), chromium_page(tmp_path) as (page, log):
        await page.goto(url + "/")
        submit = page.locator("#login-submit")
        assert await submit.inner_text() == "登录"
        await page.locator("#login .lang-toggle").click()
        assert await submit.inner_text() == "Log in"

        await page.locator("#login-username").fill("commander")
        await page.locator("#login-password").fill("not-the-password")
        await submit.click()
        error = page.locator("#login-error")
        await error.filter(has_text="wrong user name or password").wait_for()

        await log_in(page, url, "commander", passwords["commander"])
        # the offline base: land, islands and roads drawn from the shipped GeoJSON
        await page.locator(".leaflet-base-pane path").first.wait_for()
        assert await page.locator(".leaflet-base-pane path").count() > 10
        await page.locator(".map-label", has_text="Liugong Island").wait_for()
        # the sample no-fly zones from the API
        await page.locator(".leaflet-overlay-pane path[stroke='#d0312d']").first.wait_for(
            state="attached"
        )
        assert await page.locator("#tabs button.active").inner_text() == "Command"
        await page.locator("#topbar .lang-toggle").click()
        assert await page.locator("#tabs button.active").inner_text() == "指挥"
        await page.locator(".map-label", has_text="刘公岛").wait_for()
        await save_screenshot(page, "shell-map")
        assert log.outside == [], f"requests left the machine: {log.outside}"
        assert log.errors == [], log.errors


async def test_plan_import_schedule_and_refusal(tmp_path: Path) -> None:
    async with console_server(tmp_path) as (url, passwords), chromium_page(tmp_path) as (page, log):
        await log_in(page, url, "commander", passwords["commander"])
        await page.locator("#tabs [data-view=plan]").click()
        options = page.locator("#plan-template option")
        await options.nth(32).wait_for(state="attached")
        assert await options.count() == 33

        # a point template takes a click; a huge hand-drawn area is refused with the reason
        # (drawn at the first view, before an import zooms the map in)
        await page.locator("#plan-template").select_option("SAF-02")
        await page.locator("#plan-draw").click()
        box = await page.locator("#map").bounding_box()
        assert box is not None
        cx, cy = box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.45
        await page.mouse.click(cx, cy)
        await page.locator("#plan-compute").click()
        await page.locator("#plan-time").wait_for()

        await page.locator("#plan-template").select_option("RUR-01")
        await page.locator("#plan-draw").click()
        for dx, dy in ((-200, -150), (200, -150), (200, 150), (-200, 150)):
            await page.mouse.click(cx + 150 + dx, cy + dy)
        await page.locator("#plan-finish").click()
        await page.locator("#plan-compute").click()
        refusal = page.locator("#plan-result .refusal")
        await refusal.wait_for()
        assert await refusal.locator("[data-code=\"mission.out_of_battery\"]").count() == 1
        assert await page.locator(".schedule").count() == 0  # nothing to schedule when refused
        await save_screenshot(page, "shell-plan-refused")

        # import the shipped farmland KML, plan it: the figures, and the path on the map
        await page.locator("#plan-template").select_option("RUR-01")
        await page.locator("#plan-file").set_input_files(str(SAMPLES / "farmland.kml"))
        await page.locator("#plan-compute").click()
        await page.locator("#plan-time").wait_for()
        assert await page.locator(".plan-figures dd").count() == 4
        assert await page.locator(".leaflet-overlay-pane path[stroke='#e85d04']").count() >= 1
        await save_screenshot(page, "shell-plan-farmland")

        # schedule it as a daily patrol: it is created and drawn on the map
        await page.locator("#patrol-cron").fill("0 6 * * *")
        await page.locator(".schedule button[type=submit]").click()
        await page.locator("#toast").filter(has_text="巡逻").wait_for()
        await page.locator(".leaflet-overlay-pane path[stroke='#1f7a8c']").first.wait_for(
            state="attached"
        )
        patrol = page.locator(".patrol-row").first
        await patrol.wait_for()
        assert "0 6 * * *" in await patrol.inner_text()
        await patrol.locator("button[data-act=toggle]").click()
        await page.locator(".patrol-row.off").wait_for()

        assert log.outside == []
        assert log.errors == [], log.errors


QGC_PLAN = {
    "fileType": "Plan",
    "version": 1,
    "groundStation": "QGroundControl",
    "mission": {
        "version": 2,
        "firmwareType": 3,
        "vehicleType": 2,
        "cruiseSpeed": 10,
        "hoverSpeed": 5,
        "plannedHomePosition": [37.4500, 122.0000, 20],
        "items": [
            {
                "type": "ComplexItem",
                "complexItemType": "survey",
                "version": 5,
                "polygon": [
                    [37.4510, 121.9975],
                    [37.4513, 122.0012],
                    [37.4489, 122.0014],
                    [37.4486, 121.9978],
                ],
            }
        ],
    },
    "geoFence": {"version": 2, "polygons": [], "circles": []},
    "rallyPoints": {"version": 2, "points": []},
}


@pytest.mark.parametrize(
    ("template_id", "file_name"),
    [("ENV-03", "river.geojson"), ("SEA-05", "beach.geojson"), ("RUR-01", "field.plan")],
)
async def test_plan_from_imported_files(tmp_path: Path, template_id: str, file_name: str) -> None:
    """A route (GeoJSON line), broadcast spots (GeoJSON points) and a QGroundControl survey
    polygon (.plan) each plan from their file."""
    path = SAMPLES / file_name
    if file_name.endswith(".plan"):
        path = tmp_path / file_name
        path.write_text(json.dumps(QGC_PLAN), encoding="utf-8")
    async with console_server(tmp_path) as (url, passwords), chromium_page(tmp_path) as (page, log):
        await log_in(page, url, "observer", passwords["observer"])
        await page.locator("#tabs [data-view=plan]").click()
        await page.locator("#plan-template option").nth(32).wait_for(state="attached")
        await page.locator("#plan-template").select_option(template_id)
        await page.locator("#plan-file").set_input_files(str(path))
        await page.locator("#plan-compute").click()
        await page.locator("#plan-time").wait_for()
        assert await page.locator(".leaflet-overlay-pane path[stroke='#e85d04']").count() >= 1
        assert log.errors == [], log.errors
