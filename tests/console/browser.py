"""Driving Debian's chromium through Playwright for the console tests, and serving the console.

``chromium_page(tmp_path)`` launches /usr/bin/chromium headless with a fresh profile and the
flags that keep it quiet and on 127.0.0.1 (WebRTC over loopback allowed, no QUIC, no
background networking); the browser is never downloaded. Every request the page makes is
checked: anything not to 127.0.0.1 fails the test (the console must work with no internet),
and so does anything the server's Content-Security-Policy refused (it is in ``log.errors``).
``console_server(tmp_path)`` serves the real API app (users of every role, no fleet).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
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
    tmp_path: Path, *, speedup: float = 10.0, video: bool = True, attempts: int = 3
) -> AsyncIterator[DemoRun]:
    """What ``jinghang demo`` runs (three simulated drones at Weihai with their cameras, the
    sample no-fly zones, the dispatcher), with its database in ``tmp_path``, served on a free
    port. The simulators' ports are picked free just before they bind, so a port taken
    meanwhile by another test run starts it again."""
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
