"""WHEP session limits with real aiortc viewers: per user (429) and per drone (503), sessions
whose ICE never connects expire, and a commander is never locked out by observers' sessions
(the oldest observer session is closed for it)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI, Header, HTTPException

from jinghang.api.deps import Principal
from jinghang.api.problems import install_problem_handlers
from jinghang.api.security import Role
from jinghang.video.api import router_for
from jinghang.video.gateway import VideoGateway
from jinghang.video.sources import VideoSource
from tests.video.conftest import Camera, Viewer

SDP = {"Content-Type": "application/sdp"}
#: token -> who it signs in (each test user's token is its name)
PEOPLE = {
    "obs1": Principal("obs1", Role.OBSERVER),
    "obs2": Principal("obs2", Role.OBSERVER),
    "chief": Principal("chief", Role.COMMANDER),
    "root": Principal("root", Role.ADMIN),
}


def _app(gateway: VideoGateway) -> FastAPI:
    async def signed_in(authorization: str | None = Header(default=None)) -> Principal:
        token = (authorization or "").removeprefix("Bearer ")
        if token not in PEOPLE:
            raise HTTPException(401, "sign in first", headers={"WWW-Authenticate": "Bearer"})
        return PEOPLE[token]

    app = FastAPI()
    install_problem_handlers(app)
    app.include_router(router_for(gateway, signed_in))
    return app


@asynccontextmanager
async def _client(gateway: VideoGateway) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=_app(gateway))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


def _dead_source() -> VideoSource:
    # nothing sends there: sessions are answered but carry no picture
    return VideoSource("udp://127.0.0.1:9", open_timeout_s=0.2, read_timeout_s=0.2)


class Viewers:
    """Real aiortc viewers that offer and (unless told) never answer back: ICE never
    connects, the sessions hold slots."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http
        self.open: list[Viewer] = []

    async def ask(self, who: str, drone: str = "drone-1") -> httpx.Response:
        viewer = Viewer("H264")
        self.open.append(viewer)
        return await self.http.post(f"/video/{drone}/whep", content=await viewer.offer(),
                                    headers={**SDP, "Authorization": f"Bearer {who}"})

    async def close(self) -> None:
        for viewer in self.open:
            await viewer.close()


@asynccontextmanager
async def _viewers(gateway: VideoGateway) -> AsyncIterator[Viewers]:
    async with _client(gateway) as http:
        viewers = Viewers(http)
        try:
            yield viewers
        finally:
            await viewers.close()


async def _eventually(check: Callable[[], Awaitable[bool] | bool], what: str,
                      timeout_s: float = 20.0) -> None:
    async with asyncio.timeout(timeout_s):  # only stops a broken test from hanging
        while True:
            result = check()
            if result if isinstance(result, bool) else await result:
                return
            await asyncio.sleep(0.1)


async def test_one_user_is_held_to_their_own_limit_with_a_429() -> None:
    async with VideoGateway(max_sessions_per_user=2, source_open_wait_s=0) as gateway:
        gateway.add_drone("drone-1", _dead_source())
        async with _viewers(gateway) as viewers:
            assert (await viewers.ask("obs1")).status_code == 201
            assert (await viewers.ask("obs1")).status_code == 201
            refused = await viewers.ask("obs1")
            assert refused.status_code == 429, refused.text
            assert refused.headers["content-type"].startswith("application/problem+json")
            body = refused.json()
            assert body["code"] == "video.sessions.per_user"
            assert body["field"] == "sessions.per_user" and body["limit"] == 2
            assert len(gateway.sessions) == 2
            # someone else is not affected
            assert (await viewers.ask("obs2")).status_code == 201


async def test_a_commander_is_never_locked_out_by_observers() -> None:
    async with VideoGateway(max_sessions=3, source_open_wait_s=0) as gateway:
        gateway.add_drone("drone-1", _dead_source())
        async with _viewers(gateway) as viewers:
            locations = []
            for _ in range(3):  # an observer takes every slot with never-connected sessions
                answered = await viewers.ask("obs1")
                assert answered.status_code == 201
                locations.append(answered.headers["location"])
            observer_refused = await viewers.ask("obs2")
            assert observer_refused.status_code == 503
            assert observer_refused.json()["code"] == "video.sessions.total"
            assert observer_refused.json()["limit"] == 3

            chief = await viewers.ask("chief")
            assert chief.status_code == 201, chief.text
            # the oldest observer session made room; the others stay
            users = sorted(s.user for s in gateway.sessions.values())
            assert users == ["chief", "obs1", "obs1"]
            gone = await viewers.http.delete(locations[0],
                                             headers={"Authorization": "Bearer obs1"})
            assert gone.status_code == 404
            kept = await viewers.http.delete(locations[1],
                                             headers={"Authorization": "Bearer obs1"})
            assert kept.status_code == 204
            assert gateway.evicted_sessions == 1


async def test_one_drone_is_held_to_its_limit_and_the_others_are_not() -> None:
    async with VideoGateway(max_sessions_per_drone=2, source_open_wait_s=0) as gateway:
        gateway.add_drone("drone-1", _dead_source())
        gateway.add_drone("drone-2", _dead_source())
        async with _viewers(gateway) as viewers:
            assert (await viewers.ask("obs1")).status_code == 201
            assert (await viewers.ask("obs2")).status_code == 201
            full = await viewers.ask("obs2")
            assert full.status_code == 503
            assert full.json()["code"] == "video.sessions.per_drone"
            assert (await viewers.ask("obs2", "drone-2")).status_code == 201
            # a commander gets in on the full drone (an observer's session makes room)
            assert (await viewers.ask("chief")).status_code == 201
            on_one = [s.user for s in gateway.sessions.values() if s.drone_id == "drone-1"]
            assert sorted(on_one) == ["chief", "obs2"]


async def test_sessions_whose_ice_never_connects_expire_and_free_their_slots() -> None:
    async with VideoGateway(max_sessions_per_user=2, connect_timeout_s=0.5,
                            source_open_wait_s=0) as gateway:
        gateway.add_drone("drone-1", _dead_source())
        async with _viewers(gateway) as viewers:
            assert (await viewers.ask("obs1")).status_code == 201
            assert (await viewers.ask("obs1")).status_code == 201
            await _eventually(lambda: not gateway.sessions, "idle sessions expired")
            assert gateway.expired_sessions == 2
            assert (await viewers.ask("obs1")).status_code == 201


async def test_a_connected_viewer_is_not_expired(camera: Camera) -> None:
    async with VideoGateway(connect_timeout_s=1.0) as gateway:
        gateway.add_drone("drone-1", camera.url)
        async with _client(gateway) as http:
            viewer = Viewer("H264")
            try:
                answered = await http.post("/video/drone-1/whep", content=await viewer.offer(),
                                           headers={**SDP, "Authorization": "Bearer obs1"})
                assert answered.status_code == 201, answered.text
                await viewer.accept(answered.text)
                await viewer.wait_frames(5)
                session: Any = next(iter(gateway.sessions.values()))
                await _eventually(lambda: session.connected, "ICE connected")
                await asyncio.sleep(2.5)  # well past the connect timeout
                assert session.session_id in gateway.sessions
                before = viewer.frames
                await viewer.wait_frames(before + 5)
                assert gateway.expired_sessions == 0
            finally:
                await viewer.close()


async def test_a_viewing_session_is_ended_only_by_its_owner_or_an_admin() -> None:
    async with VideoGateway(source_open_wait_s=0) as gateway:
        gateway.add_drone("drone-1", _dead_source())
        async with _viewers(gateway) as viewers:
            mine = (await viewers.ask("obs1")).headers["location"]
            other = (await viewers.ask("obs1")).headers["location"]
            # another observer, even a commander, cannot end it: it looks unknown to them
            for who in ("obs2", "chief"):
                refused = await viewers.http.delete(
                    mine, headers={"Authorization": f"Bearer {who}"})
                assert refused.status_code == 404, who
            assert len(gateway.sessions) == 2
            ended = await viewers.http.delete(mine, headers={"Authorization": "Bearer obs1"})
            assert ended.status_code == 204
            by_admin = await viewers.http.delete(other, headers={"Authorization": "Bearer root"})
            assert by_admin.status_code == 204
            assert not gateway.sessions
