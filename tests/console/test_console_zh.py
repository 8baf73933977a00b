"""The console in Chinese has no English: Debian's chromium walks the demo in zh (a wrong
password then the right one, the command view with the fleet, a plan refused for the battery
with its parameters and its split into sorties, an unreadable KML in the planner, a pilot
taking a drone over and its mode changing, a dispatch proposal rejecting a drone, a low
battery alert, the audit trail, the flight records and one record opened) and after each
step reads every visible text, toast and title. A Latin-only word that is not a drone name, a
code, a unit, an id or one of the app's own proper nouns fails the test, printed with the step
and the element it is in.

To check a new view: add a step to the walk that ends with ``await check(step_name)`` (or call
``english_on(page, step, names)`` from another test); to accept a new word, add it to
``PROPER_NOUNS`` (a name) or extend ``allowed`` (a form).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.console.browser import WORD, chromium_page, demo_server, log_in, save_screenshot

pytestmark = [pytest.mark.browser, pytest.mark.timeout(240)]

WAIT_MS = 60_000

#: Units that stay Latin in Chinese text.
UNITS = {"m", "km", "s", "ms", "km/h", "m/s", "mAh", "V", "Hz", "MB", "KB", "GB"}
#: Names the app shows as they are: its own, the language switch, formats and standards, the
#: demo's user names (ids), the map library's credit.
PROPER_NOUNS = {
    "Jinghang", "English", "KML", "KMZ", "GeoJSON", "JSON", "plan", "cron", "XML", "UTF-8",
    "HTTP", "SHA-256", "GB/T", "ADS-B", "GPS", "PX4", "ArduPilot", "ArduCopter", "MAVLink",
    "WebRTC", "WHEP", "H.264", "VP8", "Leaflet", "GET", "POST", "PUT", "PATCH", "DELETE",
    "admin", "commander", "pilot", "observer",
}

#: What the console said in zh for a server message without a code (none is left).
STOPGAP = "仅有英文原文"

#: Every visible text node with where it is, plus toasts, titles and placeholders.
COLLECT_JS = """() => {
  const where = (el) => {
    const parts = [];
    for (let e = el; e && e !== document.body && parts.length < 4; e = e.parentElement) {
      let p = e.tagName.toLowerCase();
      if (e.id) p += `#${e.id}`;
      else if (e.classList.length) p += `.${[...e.classList].slice(0, 2).join('.')}`;
      parts.unshift(p);
    }
    return parts.join(' > ');
  };
  const visible = (el) => {
    if (!el || !el.isConnected) return false;
    const style = getComputedStyle(el);
    if (style.display === 'none' || style.visibility === 'hidden') return false;
    return el.getClientRects().length > 0;
  };
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const text = n.textContent.trim();
    if (text && visible(n.parentElement) && !n.parentElement.closest('script,style')) {
      out.push([text, where(n.parentElement)]);
    }
  }
  for (const el of document.querySelectorAll('[title],[placeholder],[aria-label]')) {
    if (!visible(el)) continue;
    for (const attr of ['title', 'placeholder', 'aria-label']) {
      const value = el.getAttribute(attr);
      if (value) out.push([value, `${where(el)} @${attr}`]);
    }
  }
  const toast = document.getElementById('toast');
  if (toast && !toast.hidden && toast.textContent.trim()) out.push([toast.textContent, 'toast']);
  for (const tip of document.querySelectorAll('.leaflet-tooltip')) {
    out.push([tip.innerText, 'map tooltip']);
  }
  out.push([document.title, 'document.title']);
  return out;
}"""


def allowed(word: str, names: set[str]) -> bool:
    """A Latin word the Chinese console may show: a name, code, unit, id or proper noun."""
    return (
        word in names
        or word in UNITS
        or word in PROPER_NOUNS
        or any(c.isdigit() for c in word)  # ids, P01, RUR-01, coordinates
        or "." in word or "_" in word  # codes (mission.out_of_battery) and field names
        or word.startswith("api/")  # the API's paths (/api/incidents) in the audit trail
        or (word.isupper() and len(word) <= 2)  # compass points and other one-letter marks
    )


def latin_words(texts: list[list[str]], names: set[str]) -> list[tuple[str, str, str]]:
    """``(word, where, text)`` for each word outside the allowlist."""
    found = []
    for text, where in texts:
        for word in WORD.findall(text):
            if not allowed(word, names):
                found.append((word, where, text[:120]))
    return found


async def english_on(page: Any, step: str, names: set[str]) -> list[str]:
    """Each Latin word outside the allowlist on the page now, as "step: word in where: text"
    (for other walks: the case views check their steps with this after the merge)."""
    texts = await page.evaluate(COLLECT_JS)
    return [f"{step}: {word!r} in {where}: {text!r}" for word, where, text in
            latin_words(texts, names)]


async def test_the_chinese_console_shows_no_english(tmp_path: Path) -> None:
    async with (
        demo_server(tmp_path, speedup=7.0) as run,
        chromium_page(tmp_path) as (page, log),
    ):
        names: set[str] = set()
        problems: list[str] = []

        async def check(step: str) -> None:
            problems.extend(await english_on(page, step, names))
            await save_screenshot(page, f"zh-{step}")

        # a wrong password, refused in Chinese
        await page.goto(run.url + "/")
        await page.locator("#login-username").fill("commander")
        await page.locator("#login-password").fill("not-the-password")
        await page.locator("#login-submit").click()
        await page.locator("#login-error").filter(has_text="用户名或密码错误").wait_for()
        await check("login-refused")

        # the command view with the fleet
        await log_in(page, run.url, "commander", run.passwords["commander"])
        await page.locator(".drone-card").nth(2).wait_for(timeout=WAIT_MS)
        for name in await page.locator(".drone-card .drone-name").all_inner_texts():
            names.update(WORD.findall(name))
        await page.locator(".drone-icon[data-drone='2']").hover()
        await check("command-fleet")

        # the planner: a hand-drawn area too big for one battery is refused, with the reason
        await page.locator("#tabs [data-view=plan]").click()
        await page.locator("#plan-template option").nth(1).wait_for(state="attached")
        await page.locator("#plan-template").select_option("RUR-01")
        await page.locator("#plan-draw").click()
        box = await page.locator("#map").bounding_box()
        assert box is not None
        cx, cy = box["x"] + box["width"] * 0.45, box["y"] + box["height"] * 0.45
        for dx, dy in ((-200, -150), (200, -150), (200, 150), (-200, 150)):
            await page.mouse.click(cx + dx, cy + dy)
        await page.locator("#plan-finish").click()
        await page.locator("#plan-compute").click()
        refusal = page.locator("#plan-result .refusal [data-code='mission.out_of_battery']")
        await refusal.wait_for(timeout=WAIT_MS)
        assert "电池" in await refusal.inner_text()
        await check("plan-refused")  # with the template's parameters and the split offer

        # offered a split into battery-sized sorties: this area needs more than a fleet has
        await page.locator("#plan-split").click()
        await page.locator("#plan-parts :is(#plan-parts-head, p.error)").wait_for(timeout=WAIT_MS)
        await check("plan-split")

        # an unreadable KML
        broken = tmp_path / "broken.kml"
        broken.write_text("<kml><Placemark><Polygon>", encoding="utf-8")
        await page.locator("#plan-file").set_input_files(str(broken))
        await page.locator("#toast[data-kind=error]").filter(has_text="KML").wait_for()
        await check("plan-bad-kml")

        # a pilot takes a drone over and its mode changes
        await page.locator("#tabs [data-view=command]").click()
        card = page.locator(".drone-card[data-drone='1']")
        mode_before = await card.locator(".pill.mode").get_attribute("data-mode")
        await card.locator(".pilot-panel summary").click()
        await card.locator("button[data-action=take_over]").click()
        await page.locator("#confirm-dialog[open]").wait_for()
        await check("pilot-confirm")
        await page.locator("#confirm-ok").click()
        await page.locator("#toast:not([hidden])").wait_for(timeout=WAIT_MS)
        await check("pilot-taken-over")
        await page.wait_for_function(
            """(before) => {
                const pill = document.querySelector(".drone-card[data-drone='1'] .pill.mode");
                return pill && pill.dataset.mode && pill.dataset.mode !== before;
            }""",
            arg=mode_before,
            timeout=WAIT_MS,
        )
        await check("pilot-mode-changed")

        # a dispatch that rejects drones: a drowning off the north shore needs a release and
        # a loudspeaker, which drone 2 lacks; the proposal says why it is not chosen
        box = await page.locator(".drone-icon[data-drone='3']").bounding_box()
        assert box is not None
        await page.locator("#report-start").click()
        await page.mouse.click(box["x"] + 40, box["y"] - 30)
        await page.locator("#report-type").select_option("P13")
        await page.locator("#proposal .chosen").wait_for(timeout=WAIT_MS)
        await page.locator("#proposal ul.rejected li").first.wait_for(timeout=WAIT_MS)
        await check("dispatch-rejected")
        await page.locator("#dispatch-button").click()
        case = page.locator(".incident-row").first
        await case.wait_for(timeout=WAIT_MS)
        await check("dispatched")
        await case.locator("[data-act=cancel]").click()  # its flight record opens below
        await page.locator("#confirm-ok").click()

        # an alert: drone 2's battery is nearly used up (the simulator's own battery model)
        battery = run.simulators[1].vehicle.physics.battery
        battery.consumed_mah = battery.capacity_mah * 0.85
        await page.locator(".alert[data-code='vehicle.battery_low']").wait_for(timeout=WAIT_MS)
        await check("alert")

        # the audit trail and the flight records, one of them opened
        await page.locator("#tabs [data-view=audit]").click()
        await page.locator("#audit-rows tr[data-action]").first.wait_for()
        await check("audit")
        # codes10: the case cancelled and the drone chosen for it are said from their codes
        cancelled = page.locator("#audit-rows tr[data-action='incident.cancelled']").first
        assert "由 commander 撤销" in await cancelled.inner_text(timeout=WAIT_MS)
        chosen = page.locator(
            "#audit-rows :is(tr[data-action='sortie.waiting_pilot'],"
            " tr[data-action='sortie.launching'])").filter(has_text="距离").first
        assert "落地剩" in await chosen.inner_text(timeout=WAIT_MS)
        assert STOPGAP not in await page.locator("#audit-rows").inner_text()
        await page.locator("#tabs [data-view=records]").click()
        await page.locator("#record-list :is(.record-item, p.muted)").first.wait_for()
        await check("records")
        await page.locator(".record-item").first.click(timeout=WAIT_MS)
        await page.locator("#record-track").wait_for(timeout=WAIT_MS)
        await check("record-opened")
        assert STOPGAP not in await page.locator("body").inner_text()

        assert not problems, "English in the Chinese console:\n" + "\n".join(problems)
        assert log.outside == [], f"requests left the machine: {log.outside}"
        assert log.errors == [], log.errors


@pytest.mark.parametrize(
    ("word", "ok"),
    [("mission.out_of_battery", True), ("km/h", True), ("RUR-01", True), ("Jinghang", True),
     ("battery", False), ("LOITER", False), ("Refused", False)],
)
def test_the_allowlist_takes_names_codes_and_units_only(word: str, ok: bool) -> None:
    assert allowed(word, {"harbour"}) is ok

