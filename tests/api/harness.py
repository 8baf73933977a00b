"""A real Jinghang API server for the tests: a SQLite file, seeded users of every role,
uvicorn on a free port on 127.0.0.1, and an httpx client signed in per role.

Used as ``async with running_api(tmp_path) as api:`` inside the test (not a fixture) so that
the server's task group opens and closes in the test's own task.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from jinghang.api.app import create_app
from jinghang.api.security import Role, hash_password, issue_token
from jinghang.api.server import serving
from jinghang.api.services import Services
from jinghang.config import Settings
from jinghang.events import EventBus
from jinghang.store import schemas as store_schemas
from jinghang.store import users as store_users
from jinghang.store.engine import open_store

SECRET = "test-secret-0123456789abcdef-0123456789"


def password_of(role: Role | str) -> str:
    return f"{role}-password-1"


@dataclass
class Api:
    url: str
    client: httpx.AsyncClient
    services: Services
    tokens: dict[str, str] = field(default_factory=dict)
    drones: list[Any] = field(default_factory=list)

    async def login(self, username: str, password: str | None = None) -> str:
        response = await self.client.post(
            "/api/auth/token",
            data={"username": username, "password": password or password_of(username)},
        )
        response.raise_for_status()
        token = str(response.json()["access_token"])
        self.tokens[username] = token
        return token

    def auth(self, username: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[username]}"}

    async def get(self, path: str, as_user: str = "observer", **kw: Any) -> httpx.Response:
        return await self.client.get(path, headers=self.auth(as_user), **kw)

    async def post(self, path: str, as_user: str, **kw: Any) -> httpx.Response:
        return await self.client.post(path, headers=self.auth(as_user), **kw)

    async def patch(self, path: str, as_user: str, **kw: Any) -> httpx.Response:
        return await self.client.patch(path, headers=self.auth(as_user), **kw)

    async def delete(self, path: str, as_user: str, **kw: Any) -> httpx.Response:
        return await self.client.delete(path, headers=self.auth(as_user), **kw)


def make_settings(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": f"sqlite:///{tmp_path / 'jinghang.db'}",
        "secret_key": SECRET,
        "recordings_dir": tmp_path / "recordings",
    }
    values.update(overrides)
    return Settings(**values)


@functools.cache
def _hash_of(password: str) -> str:
    return hash_password(password)


def seed_users(services: Services) -> None:
    """One user per role, named after it. Each argon2 hash is computed once per test process
    (hashing is deliberately slow) and stored as a sign-up would store it."""
    with services.store.session() as session:
        for role in Role:
            store_users.create_user(
                session,
                store_schemas.UserCreate(username=str(role), role=store_schemas.Role(str(role))),
                password_hash=_hash_of(password_of(role)),
            )
        session.commit()


@asynccontextmanager
async def running_api(
    tmp_path: Path,
    *,
    settings: Settings | None = None,
    customize: Callable[[Services], None] | None = None,
) -> AsyncIterator[Api]:
    """Serve a fresh app; every role's user is signed in (``api.auth("commander")``)."""
    settings = settings or make_settings(tmp_path)
    store = open_store(settings.database_url)
    services = Services(settings=settings, bus=EventBus(), store=store)
    seed_users(services)
    if customize is not None:
        customize(services)
    app = create_app(settings, services)
    try:
        async with serving(app) as url, httpx.AsyncClient(base_url=url, timeout=30) as client:
            api = Api(url=url, client=client, services=services)
            for role in Role:  # what signing in gives (signing in itself is tested on its own)
                api.tokens[str(role)] = issue_token(
                    str(role), role, secret_key=settings.secret_key, lifetime_s=3600
                )
            yield api
    finally:
        store.close()


async def eventually(
    check: Callable[[], Awaitable[bool]], timeout_s: float = 30.0, what: str = "condition"
) -> None:
    """Poll ``check`` every 0.1 s until it is true; fail after ``timeout_s`` (not a timing
    assert: the limit only stops a broken test from hanging)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while loop.time() < deadline:
        if await check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{what} did not happen within {timeout_s} s")


#: Where the test drones live (Weihai, near the city centre) and how fast their world runs.
BASE = (37.5125, 122.1199)
SPEEDUP = 40.0
ALL_PAYLOADS = ["camera", "zoom", "thermal", "loudspeaker", "release"]


def near(meters_north: float, meters_east: float = 0.0) -> tuple[float, float]:
    """A point ``meters_north`` and ``meters_east`` of the base."""
    from jinghang.simulator.geo import offset_deg

    return offset_deg(BASE[0], BASE[1], meters_north, meters_east)


@dataclass(frozen=True)
class Drone:
    """A simulated drone the test server flies: its drone id (the system id it speaks), link and
    home."""

    drone_id: int
    address: str
    home: tuple[float, float, float, float]
    vehicle: Any = None  # the built-in simulator's physics state (None on real SITL)


@asynccontextmanager
async def flying_api(
    tmp_path: Path,
    drones: int = 1,
    *,
    backend: str = "builtin",
    speedup: float | None = None,
    clock: Any = None,
    extra: Callable[[Services, list[Drone]], None] | None = None,
) -> AsyncIterator[Api]:
    """A server with ``drones`` simulated drones (built-in, or real ArduPilot SITL when
    ``backend="sitl"``) registered and linked, and a running dispatcher and patrol scheduler
    (on ``clock`` if given). ``api.drones`` lists them."""
    from contextlib import AsyncExitStack

    from jinghang.api import register
    from jinghang.api.register import VehicleCreate
    from jinghang.api.runtime import add_dispatcher
    from jinghang.flight import Fleet
    from jinghang.simulator import SimulatorServer, start_vehicle

    speed = speedup if speedup is not None else (SPEEDUP if backend == "builtin" else 10.0)
    async with AsyncExitStack() as stack:
        flock: list[Drone] = []
        for i in range(drones):
            lat, lon = near(0, 60 * i)
            home = (lat, lon, 10.0, 0.0)
            if backend == "builtin":
                sim = await stack.enter_async_context(
                    SimulatorServer(
                        instance=i, home=home, speedup=speed, system_id=i + 1, tcp_port=0
                    )
                )
                flock.append(Drone(i + 1, sim.address, home, sim.vehicle))
            else:
                address = await stack.enter_async_context(
                    start_vehicle(
                        backend,
                        home=home,
                        speedup=speed,
                        tcp_port=0,
                        params={"SYSID_THISMAV": float(i + 1)},
                    )
                )
                flock.append(Drone(i + 1, address, home))
        settings = make_settings(tmp_path, links=[d.address for d in flock])

        def add_fleet(services: Services) -> None:
            services.fleet = Fleet(services.bus)
            for drone in flock:
                register.ensure_vehicle(
                    services,
                    VehicleCreate(
                        drone_id=drone.drone_id,
                        name=f"drone-{drone.drone_id}",
                        base_latitude_deg=drone.home[0],
                        base_longitude_deg=drone.home[1],
                        base_altitude_m=drone.home[2],
                        payloads=ALL_PAYLOADS,
                    ),
                )
            add_dispatcher(services, clock=clock, poll_s=0.05, recovery_wait_s=20.0)
            if extra is not None:
                extra(services, flock)

        api = await stack.enter_async_context(
            running_api(tmp_path, settings=settings, customize=add_fleet)
        )
        api.drones = flock
        fleet = api.services.fleet
        for _ in range(600):
            if all(
                d.drone_id in fleet.vehicles and fleet.vehicles[d.drone_id].state.has_position
                for d in flock
            ):
                break
            await asyncio.sleep(0.1)
        yield api


async def incident_state_is(
    api: Api, incident_id: int, *states: str, timeout_s: float = 90.0
) -> dict[str, Any]:
    """Poll the incident over the API until it is in one of ``states``; return it."""
    seen: dict[str, Any] = {}

    async def check() -> bool:
        nonlocal seen
        seen = (await api.get(f"/api/incidents/{incident_id}")).json()
        return seen.get("state") in states

    await eventually(check, timeout_s, f"incident {incident_id} in {states} (last: {seen})")
    return seen


async def sortie_state_is(
    api: Api, incident_id: int, *states: str, timeout_s: float = 90.0, index: int = -1
) -> dict[str, Any]:
    """Poll the case over the API until its sortie ``index`` (the latest by default) is in
    one of ``states``; return the case."""
    seen: dict[str, Any] = {}

    async def check() -> bool:
        nonlocal seen
        seen = (await api.get(f"/api/incidents/{incident_id}")).json()
        sorties = seen.get("sorties") or []
        try:
            return bool(sorties) and sorties[index]["state"] in states
        except IndexError:
            return False

    await eventually(
        check, timeout_s, f"incident {incident_id} sortie {index} in {states} (last: {seen})"
    )
    return seen


@dataclass
class Stream:
    """Events received on the WebSocket so far, in order."""

    events: list[dict[str, Any]] = field(default_factory=list)


@asynccontextmanager
async def watch(api: Api, *topics: str, as_user: str = "observer") -> AsyncIterator[Stream]:
    """Listen on ``/ws`` for ``topics`` while the block runs; ``stream.events`` fills up."""
    import json

    import websockets

    url = api.url.replace("http://", "ws://") + "/ws?topics=" + ",".join(topics)
    stream = Stream()
    async with websockets.connect(url, max_size=None) as ws:
        await ws.send(json.dumps({"token": api.tokens[as_user]}))
        hello = json.loads(await ws.recv())
        assert hello["type"] == "hello", hello

        async def listen() -> None:
            async for raw in ws:
                message = json.loads(raw)
                if message.get("type") == "event":
                    stream.events.append(message)

        async with asyncio.TaskGroup() as tasks:
            listener = tasks.create_task(listen())
            try:
                yield stream
            finally:
                listener.cancel()
