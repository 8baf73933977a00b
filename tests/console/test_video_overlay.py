"""The video tile's overlay, its snapshot button and the flight record's player, in Debian's
chromium (zh) against the demo: a dispatched drone's tile shows its name, the time, its
position, altitude and heading in Chinese, drawn from telemetry, and the altitude changes as it
climbs; the snapshot button saves a still on the server, filed with the case; once the case is
cancelled its flight record plays the recorded, verified video (the video's time advances),
shows each segment verified and lists the snapshot."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.console.browser import (
    WAIT_MS,
    chromium_page,
    commander_in,
    demo_server,
    dispatched_case,
    eventually_api,
    save_screenshot,
)
from tests.console.test_console_zh import english_on

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]


async def overlay_of(page: Any, drone: str) -> dict[str, str]:
    return dict(await page.evaluate(
        """(drone) => {
            const tile = document.querySelector(`.video-tile[data-drone="${drone}"]`);
            const osd = tile && tile.querySelector('.tile-osd');
            if (!osd) return {};
            return {text: osd.innerText, flight: osd.querySelector('.osd-flight').textContent,
                    source: osd.dataset.source, mode: tile.dataset.mode || ''};
        }""", drone))


async def test_overlay_snapshot_and_recorded_playback_in_the_console(tmp_path: Path) -> None:
    async with (
        demo_server(tmp_path, speedup=8.0) as run,
        chromium_page(tmp_path) as (page, log),
        httpx.AsyncClient(base_url=run.url, timeout=30) as client,
    ):
        names = await commander_in(run, page, client)

        # a case near drone 1's base: a drone takes off and its tile opens
        incident_id, drone = await dispatched_case(client)
        tile = page.locator(f".video-tile[data-drone='{drone}']")
        await tile.locator(".tile-osd .osd-name").filter(has_text="威海").wait_for(timeout=WAIT_MS)
        await page.locator(f".video-tile[data-drone='{drone}'][data-state=playing]").wait_for(
            timeout=WAIT_MS)

        # the overlay in Chinese, from telemetry, saying where it is drawn; the altitude moves
        first = await overlay_of(page, drone)
        for word in ("世界时", "本地", "纬度", "经度", "高度", "航向"):
            assert word in first["text"], first
        expected_source = "gateway" if first["mode"] == "transcode" else "browser"
        assert first["source"] == expected_source, first
        if expected_source == "browser":
            assert "浏览器" in first["text"]
            await page.wait_for_function(
                """([drone, before]) => {
                    const el = document.querySelector(
                        `.video-tile[data-drone="${drone}"] .tile-osd .osd-flight`);
                    return el && el.textContent !== before;
                }""", arg=[drone, first["flight"]], timeout=WAIT_MS)
        english = [p for p in await english_on(page, "tile", names) if "figure.video-tile" in p]
        assert english == [], english
        await save_screenshot(page, "video-overlay")

        # a snapshot from the tile's button lands in the case, taken by the commander
        await tile.locator(".tile-snapshot").click()
        await page.locator("#toast:not([hidden])").filter(has_text="截图").wait_for(
            timeout=WAIT_MS)
        shots = await eventually_api(client, "/api/video/snapshots", bool,
                                     {"incident_id": incident_id})
        assert shots[0]["taken_by"] == "commander" and shots[0]["drone_id"] == drone
        assert shots[0]["latitude_deg"] is not None

        # once the drone has flown a stretch, cancel the case: the recording closes and the
        # flight record plays it, a marker on the track following (and seeking with) the video
        def moved(record: dict[str, Any]) -> bool:
            track = record.get("track") or []
            return len(track) >= 2 and abs(track[-1]["latitude_deg"]
                                           - track[0]["latitude_deg"]) > 0.0005
        await eventually_api(client, f"/api/incidents/{incident_id}/record", moved)
        cancelled = await client.post(f"/api/incidents/{incident_id}/cancel", json={})
        assert cancelled.status_code == 200, cancelled.text
        await eventually_api(client, "/api/recordings", bool, {"incident_id": incident_id})
        await page.locator("#tabs [data-view=records]").click()
        await page.locator(f".record-item[data-incident='{incident_id}']").click()
        player = page.locator("#record-video video.record-player")
        await player.wait_for(timeout=WAIT_MS)
        await page.locator("#record-video .segment[data-state=ok]").first.wait_for()
        await page.evaluate("() => document.querySelector('#record-video video').play()")
        await page.wait_for_function(
            "() => document.querySelector('#record-video video').currentTime > 0.5",
            timeout=WAIT_MS)
        marker = page.locator("path.playback-marker")
        await marker.wait_for(timeout=WAIT_MS)
        at_start = await marker.get_attribute("d")
        # seek to when the drone was farthest from where it started (it flew out and back)
        record = (await client.get(f"/api/incidents/{incident_id}/record")).json()
        track = record["track"]
        farthest = max(track, key=lambda p: abs(p["latitude_deg"] - track[0]["latitude_deg"]))
        recorded = (await client.get("/api/recordings", params={"incident_id": incident_id})).json()
        offset_s = (dt.datetime.fromisoformat(farthest["time"])
                    - dt.datetime.fromisoformat(recorded[0]["started_at"])).total_seconds()
        await page.evaluate("""(at) => { const v = document.querySelector('#record-video video');
                                         v.pause(); v.currentTime = at; }""", max(offset_s, 0.0))
        await page.wait_for_function(
            """(before) => {
                const m = document.querySelector('path.playback-marker');
                return m && m.getAttribute('d') !== before;
            }""", arg=at_start, timeout=WAIT_MS)
        await page.locator("#record-snapshots .snapshot").first.wait_for(timeout=WAIT_MS)
        english = [p for p in await english_on(page, "records", names)
                   if "#record-video" in p or "#record-snapshots" in p]
        assert english == [], english
        await save_screenshot(page, "record-playback")
        assert log.outside == [], f"requests left the machine: {log.outside}"
        assert log.errors == [], log.errors


async def test_a_transcoded_tile_says_the_gateway_burned_the_display_in(tmp_path: Path) -> None:
    async with (
        demo_server(tmp_path, speedup=8.0) as run,
        chromium_page(tmp_path) as (page, log),
    ):
        await page.goto(run.url + "/?video=transcode")
        await page.locator("#login-username").fill("pilot")
        await page.locator("#login-password").fill(run.passwords["pilot"])
        await page.locator("#login-submit").click()
        await page.locator("#link-state[data-state=online]").wait_for(timeout=WAIT_MS)
        await page.locator(".video-toggle[data-drone='1']").click()
        await page.locator(".video-tile[data-drone='1'][data-state=playing]").wait_for(
            timeout=WAIT_MS)
        shown = await overlay_of(page, "1")
        assert shown["mode"] == "transcode", shown
        assert shown["source"] == "gateway", shown
        assert "网关已烧录" in shown["text"] and "威海" in shown["text"], shown
        assert "纬度" not in shown["text"], shown  # not drawn twice
        assert log.errors == [], log.errors
