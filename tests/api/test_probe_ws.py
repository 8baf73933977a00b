"""Probe findings on the WebSocket stream: a frame nested too deep for the JSON parser
(``[[[[...``) broke the stream with an unhandled RecursionError (a traceback in the log and
the socket dropped without a close frame), and ``{"topics": [...]}`` took any number of
prefixes, each matched against every event published. Now the deep frame is ignored like
any non-JSON text and the stream goes on; a filter past the limit gets an ``error`` message
naming ``topics`` and the old filter stays."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import websockets

from jinghang.api.routes.ws import MAX_TOPICS
from tests.api.harness import running_api


async def _next(ws: Any, kind: str) -> dict[str, Any]:
    async with asyncio.timeout(10):
        while True:
            message = json.loads(await ws.recv())
            if message.get("type") == kind:
                return dict(message)


async def test_a_too_deep_frame_and_too_many_topics_do_not_break_the_stream(
    tmp_path: Path,
) -> None:
    async with running_api(tmp_path) as api:
        url = api.url.replace("http://", "ws://") + "/ws?topics=alert"
        async with websockets.connect(url, max_size=None) as ws:
            await ws.send(json.dumps({"token": api.tokens["observer"]}))
            await _next(ws, "snapshot")
            await ws.send("[" * 200_000)
            await ws.send(json.dumps({"topics": [f"t{i}" for i in range(100_000)]}))
            error = await _next(ws, "error")
            assert error["code"] == "ws.too_many_topics" and error["field"] == "topics"
            assert str(MAX_TOPICS) in error["limit"]
            await ws.send(json.dumps({"topics": ["x" * 10_000]}))
            assert (await _next(ws, "error"))["field"] == "topics"
            api.services.bus.publish("incident", {"id": 1})
            api.services.bus.publish("alert", {"text": "still here"})
            event = await _next(ws, "event")
            assert event["topic"] == "alert" and event["data"] == {"text": "still here"}
        # a deep first message is no token: refused as such, not a crash
        async with websockets.connect(url, max_size=None) as ws:
            await ws.send("[" * 200_000)
            refusal = await _next(ws, "error")
            assert refusal["status"] == 401
