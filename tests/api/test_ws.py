"""The WebSocket stream: the token as the first message (never in the URL), events as they
happen, a bad token closed with 4401."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
import websockets

from tests.api.harness import running_api


async def _next_event(ws: Any, topic: str) -> dict[str, Any]:
    async with asyncio.timeout(10):
        while True:
            message = json.loads(await ws.recv())
            if message.get("type") == "event" and message["topic"] == topic:
                return dict(message)


async def test_stream_with_first_message_token_gets_events(tmp_path: Path) -> None:
    async with running_api(tmp_path) as api:
        url = api.url.replace("http://", "ws://") + "/ws"
        async with websockets.connect(url) as ws:
            await ws.send(json.dumps({"token": api.tokens["observer"]}))
            hello = json.loads(await ws.recv())
            assert hello == {"type": "hello", "user": "observer", "role": "observer", "topics": []}
            snapshot = json.loads(await ws.recv())
            assert snapshot["type"] == "snapshot"
            api.services.bus.publish("incident", {"id": 7, "state": "queued"})
            event = await _next_event(ws, "incident")
            assert event["data"] == {"id": 7, "state": "queued"}
            # an operator action elsewhere reaches the stream through the audit trail
            await api.patch("/api/users/pilot", "admin", json={"full_name": "Li Na"})
            audit = await _next_event(ws, "audit")
            assert audit["data"]["actor"] == "admin"
            assert audit["data"]["action"] == "user.update"


async def test_stream_with_first_message_token_and_topic_filter(tmp_path: Path) -> None:
    async with running_api(tmp_path) as api:
        url = api.url.replace("http://", "ws://") + "/ws?topics=alert"
        async with websockets.connect(url) as ws:
            await ws.send(json.dumps({"token": api.tokens["pilot"]}))
            hello = json.loads(await ws.recv())
            assert hello["user"] == "pilot" and hello["topics"] == ["alert"]
            await ws.recv()  # snapshot
            api.services.bus.publish("incident", {"id": 1})
            api.services.bus.publish("alert", {"text": "battery low"})
            event = await _next_event(ws, "alert")
            assert event["data"] == {"text": "battery low"}


async def test_stream_refuses_a_bad_token(tmp_path: Path) -> None:
    async with running_api(tmp_path) as api:
        url = api.url.replace("http://", "ws://") + "/ws"
        async with websockets.connect(url) as ws:
            await ws.send(json.dumps({"token": "forged"}))
            error = json.loads(await ws.recv())
            assert error["type"] == "error" and error["status"] == 401
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await ws.recv()
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401


async def test_stream_refuses_a_token_in_the_url(tmp_path: Path) -> None:
    async with running_api(tmp_path) as api:
        url = api.url.replace("http://", "ws://") + "/ws?token=" + api.tokens["observer"]
        async with websockets.connect(url) as ws:
            error = json.loads(await ws.recv())
            assert error["type"] == "error" and error["code"] == "auth.token_in_url"
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await ws.recv()
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401
