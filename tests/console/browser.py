"""Driving Debian's chromium through Playwright for the console tests, and serving the console.

``chromium_page(tmp_path)`` launches /usr/bin/chromium headless with a fresh profile and the
flags that keep it quiet and on 127.0.0.1 (WebRTC over loopback allowed, no QUIC, no
background networking); the browser is never downloaded. Every request the page makes is
checked: anything not to 127.0.0.1 fails the test (the console must work with no internet),
and so does anything the server's Content-Security-Policy refused (it is in ``log.errors``).
``console_server(tmp_path)`` serves the real API app (users of every role, no fleet);
``demo_server(tmp_path)`` what ``jinghang demo`` runs. ``commander_in(run, page, client)`` signs
the commander in on both the page and an API client and returns the drones' name words (the
Chinese walk accepts them), ``dispatched_case(client)`` reports a case near drone 1's base and
waits until a drone flies it.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

CHROMIUM = os.environ.get("JINGHANG_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--allow-loopback-in-peer-connection",
    # host candidates as plain 127.0.0.1, not mDNS names: resolving those would send multicast
    # off loopback, and aioice keeps its mDNS resolver (and an asyncio lock) per thread, bound
    # to the event loop of the first test that needed it
    "--disable-features=WebRtcHideLocalIpsWithMdns",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "console"
LOCAL_HOSTS = {"127.0.0.1", "localhost", ""}
#: A Latin word as the Chinese walk reads it (drone names, codes, units).
WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[._/\-][A-Za-z0-9]+)*")
WAIT_MS = 90_000


def need_browser() -> None:
    """Skip with the reason when Playwright or Debian's chromium is not installed."""
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        pytest.skip("playwright is not installed (pip install playwright); browser test skipped")
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)) and not shutil.which(
        CHROMIUM
    ):
        pytest.skip(f"no chromium at {CHROMIUM} (apt-get install chromium); browser test skipped")


@dataclass
class PageLog:
    """What the page said: console errors, uncaught exceptions, requests off the machine."""

    errors: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)


@asynccontextmanager
async def chromium_page(
    tmp_path: Path, *, width: int = 1440, height: int = 900
) -> AsyncIterator[Any]:
    """A fresh chromium profile and one page; yields ``(page, log)``."""
    need_browser()
    from playwright.async_api import async_playwright

    log = PageLog()
    profile = tmp_path / "chromium-profile"
    profile.mkdir(parents=True, exist_ok=True)
    async with async_playwright() as pw:
        context = await pw.chromium.launch_persistent_context(
            str(profile),
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
            headless=True,
            viewport={"width": width, "height": height},
            locale="zh-CN",
        )
        try:
            page = context.pages[0] if context.pages else await context.new_page()

            async def guard(route: Any) -> None:
                host = urlsplit(route.request.url).hostname or ""
                if route.request.url.startswith(("data:", "blob:")) or host in LOCAL_HOSTS:
                    await route.continue_()
                else:
                    log.outside.append(route.request.url)
                    await route.abort()

            await context.route("**/*", guard)
            page.on("pageerror", lambda exc: log.errors.append(f"pageerror: {exc}"))
            def on_console(msg: Any) -> None:
                log.messages.append(f"{msg.type}: {msg.text}")
                if "Content Security Policy" in msg.text:  # the server's CSP refused something
                    log.errors.append(f"csp: {msg.text}")

            page.on("console", on_console)
            yield page, log
        finally:
            await context.close()


async def save_screenshot(page: Any, name: str) -> Path:
    """A screenshot of the page under test-artifacts/console/ (kept out of git)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    await page.screenshot(path=str(path))
    return path


@asynccontextmanager
async def console_server(
    tmp_path: Path, **overrides: Any
) -> AsyncIterator[tuple[str, dict[str, str]]]:
    """The real API app serving the console, users of every role; yields (url, passwords)."""
    from jinghang.api.app import create_app
    from jinghang.api.runtime import build_services
    from jinghang.api.security import Role
    from jinghang.api.serve_settings import ServeSettings, UserSeed
    from jinghang.api.server import serving

    passwords = {str(role): f"{role}-console-pw" for role in Role}
    settings = ServeSettings(
        database_url=f"sqlite:///{tmp_path / 'jinghang.db'}",
        secret_key="console-test-secret-0123456789abcdef",
        recordings_dir=tmp_path / "recordings",
        users=[
            UserSeed(username=name, password=pw, role=Role(name)) for name, pw in passwords.items()
        ],
        **overrides,
    )
    services = build_services(settings)
    try:
        app = create_app(settings, services)
        async with serving(app) as url:
            yield url, passwords
    finally:
        services.store.close()


async def log_in(page: Any, url: str, username: str, password: str) -> None:
    """Open the console and sign in through its form."""
    await page.goto(url + "/")
    await page.locator("#login-username").fill(username)
    await page.locator("#login-password").fill(password)
    await page.locator("#login-submit").click()
    await page.locator("#login").wait_for(state="hidden")
    await page.locator("#link-state[data-state=online]").wait_for()


@dataclass
class DemoRun:
    """A running demo: its URL, each demo user's password, and the simulators (physics state)."""

    url: str
    passwords: dict[str, str]
    simulators: list[Any]


@asynccontextmanager
async def demo_server(
    tmp_path: Path, *, speedup: float = 10.0, video: bool = True, attempts: int = 3,
    prepare: Callable[[Any, list[Any]], None] | None = None,
) -> AsyncIterator[DemoRun]:
    """What ``jinghang demo`` runs (three simulated drones at Weihai with their cameras, the
    sample no-fly zones, the dispatcher), with its database in ``tmp_path``, served on a free
    port. The simulators' ports are picked free just before they bind, so a port taken
    meanwhile by another test run starts it again. ``prepare(services, simulators)`` runs
    before the server starts (a test replacing the cameras' runner with its own)."""
    from jinghang.api import demo
    from jinghang.api.app import create_app
    from jinghang.api.runtime import build_services
    from jinghang.api.server import serving

    for attempt in range(1, attempts + 1):
        sim_ports = [demo.free_port() for _ in demo.DEMO_DRONES]
        settings = demo.demo_settings(
            tmp_path / f"demo-{attempt}",
            host="127.0.0.1",
            port=0,
            sim_ports=sim_ports,
            speedup=speedup,
        )
        services = build_services(settings)
        sims = demo.simulators(sim_ports, speedup, settings.signing_master_key())
        services.contexts.extend(sims)
        if video:
            demo.add_cameras(services, sims)
        if prepare is not None:
            prepare(services, sims)
        passwords = {user.username: user.password for user in settings.users}
        async with AsyncExitStack() as stack:
            stack.callback(services.store.close)
            try:
                url = await stack.enter_async_context(serving(create_app(settings, services)))
            except (Exception, SystemExit):  # uvicorn exits when the lifespan fails
                # most likely a simulator port taken between picking and binding
                if attempt < attempts:
                    continue
                raise
            yield DemoRun(url, passwords, sims)
            return


async def eventually_api(client: Any, path: str, check: Callable[[Any], bool],
                         params: dict[str, Any] | None = None) -> Any:
    """GET ``path`` until ``check(body)`` holds (90 s at most); the body."""
    body: Any = None
    for _ in range(900):
        body = (await client.get(path, params=params)).json()
        if check(body):
            return body
        await asyncio.sleep(0.1)
    raise AssertionError(f"{path} never satisfied the test: {body}")


async def commander_in(run: DemoRun, page: Any, client: Any) -> set[str]:
    """The commander signed in on the page and on ``client`` (an ``httpx.AsyncClient`` on
    ``run.url``), the fleet shown; the Latin words of the drones' names."""
    token = (await client.post("/api/auth/token", data={
        "username": "commander", "password": run.passwords["commander"]})).json()
    client.headers["Authorization"] = f"Bearer {token['access_token']}"
    await log_in(page, run.url, "commander", run.passwords["commander"])
    await page.locator(".drone-card").nth(2).wait_for(timeout=WAIT_MS)
    names: set[str] = set()
    for name in await page.locator(".drone-card .drone-name").all_inner_texts():
        names.update(WORD.findall(name))
    return names


async def dispatched_case(client: Any, **fields: Any) -> tuple[int, str]:
    """A P01 case reported near drone 1's base (``fields`` added to the report), once a drone
    flies it: ``(incident id, drone id)``."""
    reported = await client.post("/api/incidents", json={
        "playbook_id": "P01", "latitude_deg": 37.5075, "longitude_deg": 122.1300, **fields})
    assert reported.status_code == 201, reported.text
    incident_id = int(reported.json()["incident"]["id"])
    case = await eventually_api(
        client, f"/api/incidents/{incident_id}",
        lambda body: any(s.get("drone_id") for s in body.get("sorties", [])))
    drone = str(next(s["drone_id"] for s in case["sorties"]
                     if s.get("drone_id")))
    return incident_id, drone
