"""A multi-process Jinghang for the role tests: real ``python3 -m jinghang serve --role ...``
processes on a real nats-server, each with its JSON config and log file in the test's
directory, and a client for the NATS key-value store to see who holds a drone.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import nats
import websockets

from jinghang.bus.leases import live_holder
from tests.conftest import free_tcp_port

SECRET = "roles-test-secret-0123456789abcdef"
AUDIT_KEY_HEX = "ab" * 32
PILOT = "pilot.one"
PILOT_PASSWORD = "pilot-password-1"
REPO = Path(__file__).resolve().parents[2]


@dataclass
class Role:
    """One ``jinghang serve --role`` process."""

    name: str
    config: dict[str, Any]
    directory: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def log_path(self) -> Path:
        return self.directory / f"{self.name}.log"

    def start(self) -> None:
        config_path = self.directory / f"{self.name}.json"
        config_path.write_text(json.dumps(self.config))
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        for key in list(env):
            if key.startswith("JINGHANG_"):
                del env[key]
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "jinghang", "serve", "--config", str(config_path)],
            stdout=log, stderr=subprocess.STDOUT, env=env, cwd=self.directory)
        log.close()

    def kill9(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def tail(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-3000:]
        except OSError:
            return ""


@dataclass
class Deployment:
    """Link workers and API nodes sharing one NATS and one database."""

    directory: Path
    nats_url: str
    database_url: str
    roles: list[Role] = field(default_factory=list)
    #: settings every role gets besides its own
    common: dict[str, Any] = field(default_factory=dict)

    def base(self, role: str, name: str, nats_url: str | None = None) -> dict[str, Any]:
        return {"role": role, "worker_name": name, "nats_urls": [nats_url or self.nats_url],
                "signing": "off", "secret_key": SECRET, "audit_key_hex": AUDIT_KEY_HEX,
                "database_url": self.database_url, **self.common}

    def link_worker(self, name: str, links: list[str], nats_url: str | None = None) -> Role:
        role = Role(name, {**self.base("link", name, nats_url), "links": links},
                    self.directory)
        role.start()
        self.roles.append(role)
        return role

    def api_node(self, name: str, vehicles: list[dict[str, Any]],
                 nats_url: str | None = None) -> tuple[Role, str]:
        port = free_tcp_port()
        config = {**self.base("api", name, nats_url), "host": "127.0.0.1", "port": port,
                  "users": [{"username": PILOT, "password": PILOT_PASSWORD, "role": "pilot"}],
                  "vehicles": vehicles}
        role = Role(name, config, self.directory)
        role.start()
        self.roles.append(role)
        return role, f"http://127.0.0.1:{port}"

    def stop(self) -> None:
        for role in reversed(self.roles):
            role.stop()

    def logs(self) -> str:
        return "\n".join(f"--- {r.name}\n{r.tail()}" for r in self.roles)


async def signed_in(url: str, timeout_s: float = 60.0) -> str:
    """The pilot's token, once the API node at ``url`` answers."""
    deadline = time.monotonic() + timeout_s
    async with httpx.AsyncClient(base_url=url, timeout=5.0) as client:
        while True:
            try:
                response = await client.post("/api/auth/token", data={
                    "username": PILOT, "password": PILOT_PASSWORD})
                if response.status_code == 200:
                    return str(response.json()["access_token"])
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"the API node at {url} did not start")
            await _sleep(0.25)


async def _sleep(seconds: float) -> None:
    import asyncio

    await asyncio.sleep(seconds)


class Leases:
    """Who holds which drone, read from the NATS key-value store as a worker would."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.nc: Any = None

    async def __aenter__(self) -> Leases:
        self.nc = await nats.connect(self.url)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.nc.close()

    async def holder(self, drone_id: int) -> str | None:
        from nats.js.errors import BucketNotFoundError, KeyDeletedError, KeyNotFoundError

        try:
            kv = await self.nc.jetstream().key_value("jh_leases")
            entry = await kv.get(f"link.{drone_id}")
        except (BucketNotFoundError, KeyNotFoundError, KeyDeletedError):
            return None
        return live_holder(entry.value)

    async def executed(self, timeout_s: float = 45.0) -> list[str]:
        """Request ids some worker executed (the dedupe bucket's keys); asked again while
        the cluster answers with a timeout (it elects leaders after losing a server)."""
        from nats.errors import TimeoutError as NatsTimeout
        from nats.js.errors import BucketNotFoundError, NoKeysError

        deadline = time.monotonic() + timeout_s
        while True:
            try:
                kv = await self.nc.jetstream().key_value("jh_commands")
                return [str(k) for k in await kv.keys()]
            except (BucketNotFoundError, NoKeysError):
                return []
            except NatsTimeout:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.5)


async def until(check: Any, timeout_s: float, what: str) -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        value = await check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


async def telemetry_on_ws(url: str, token: str, timeout_s: float,
                          drone_id: int = 1) -> dict[str, Any]:
    """The first telemetry event of the drone the API node's WebSocket sends."""
    ws_url = url.replace("http://", "ws://") + "/ws?topics=telemetry"
    async with websockets.connect(ws_url, max_size=None) as ws:
        await ws.send(json.dumps({"token": token}))
        async with asyncio.timeout(timeout_s):
            async for raw in ws:
                message = json.loads(raw)
                if (message.get("type") == "event" and message.get("topic") == "telemetry"
                        and message["data"].get("drone_id") == drone_id):
                    return dict(message["data"])
    raise AssertionError("the WebSocket closed")
