"""The WebSocket stream ``/ws`` of telemetry and events.

Authenticate with a first message ``{"token": "<bearer token>"}`` within 10 s: never in the
URL, which proxies and access logs keep (``?token=`` is refused). ``topics=telemetry,incident``
narrows the stream (all topics by default). The server sends ``{"type": "hello", ...}``, one
``snapshot`` of every live vehicle, then each event as ``{"type": "event", "topic", "time_s",
"data"}``. A bad token closes the socket with code 4401, and so does a token that stops being
valid while the stream is open (it expired, or the user's password, role or state changed:
checked every :data:`REAUTH_EVERY_S`). A client may send ``{"topics": [...]}`` later to
re-filter: at most :data:`MAX_TOPICS` prefixes of at most :data:`MAX_TOPIC_CHARS` characters
(every event is matched against each), else an ``error`` message with code
``ws.too_many_topics`` and the filter stays as it was. A message that is not JSON (or nests
too deep to read) is ignored.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from fastapi import APIRouter, Query, WebSocket, WebSocketDisconnect

from jinghang.api.deps import authenticate
from jinghang.api.live import live_vehicles, state_to_dict
from jinghang.api.security import AuthenticationError
from jinghang.api.services import Services
from jinghang.events import Subscription

router = APIRouter(tags=["stream"])

FIRST_MESSAGE_TIMEOUT_S = 10.0
REAUTH_EVERY_S = 2.0
CLOSE_UNAUTHENTICATED = 4401
#: How many topic prefixes one stream may filter on, and how long each may be.
MAX_TOPICS = 64
MAX_TOPIC_CHARS = 64


def _read_json(message: str) -> Any:
    """``message`` parsed, or None when it is not JSON or nests too deep for the parser."""
    try:
        return json.loads(message)
    except (ValueError, RecursionError):
        return None


async def _token_from_first_message(websocket: WebSocket) -> str:
    """The token of the first message; "" when it does not come in time or is not one."""
    try:
        async with asyncio.timeout(FIRST_MESSAGE_TIMEOUT_S):
            received = await websocket.receive()
    except TimeoutError:
        return ""
    if received.get("type") == "websocket.disconnect":
        raise WebSocketDisconnect(int(received.get("code") or 1000))
    message = received.get("text")
    if not isinstance(message, str):
        return ""
    body = _read_json(message)
    return str(body.get("token", "")) if isinstance(body, dict) else ""


async def _refuse(websocket: WebSocket, exc: AuthenticationError) -> None:
    body = exc.to_dict()
    body.pop("type", None)
    await websocket.send_json({**body, "type": "error", "status": 401, "detail": exc.message})
    await websocket.close(code=CLOSE_UNAUTHENTICATED, reason="not authenticated")


@router.websocket("/ws")
async def stream(
    websocket: WebSocket,
    topics: str = Query(default="", description="comma-separated topic prefixes; empty: all"),
) -> None:
    services: Services = websocket.app.state.services
    await websocket.accept()
    if "token" in websocket.query_params:
        await _refuse(
            websocket,
            AuthenticationError(
                "a token in the URL is refused (URLs end up in logs); "
                'send {"token": "..."} as the first message',
                field="token",
                code="auth.token_in_url",
            ),
        )
        return
    try:
        token = await _token_from_first_message(websocket)
    except WebSocketDisconnect:
        return
    try:
        principal = authenticate(services, token)
    except AuthenticationError as exc:
        await _refuse(websocket, exc)
        return
    prefixes = tuple(t.strip() for t in topics.split(",") if t.strip())
    await websocket.send_json(
        {
            "type": "hello",
            "user": principal.username,
            "role": str(principal.role),
            "topics": list(prefixes),
        }
    )
    snapshot = {str(sid): state_to_dict(v.state) for sid, v in live_vehicles(services).items()}
    await websocket.send_json({"type": "snapshot", "vehicles": snapshot})
    async with services.bus.subscribe() as subscription:
        subscription.prefixes = prefixes
        try:
            async with asyncio.TaskGroup() as tasks:
                sender = tasks.create_task(_send_events(websocket, subscription))
                guard = tasks.create_task(_stay_authenticated(websocket, services, token))
                receiver = tasks.create_task(_receive_controls(websocket, subscription))
                await asyncio.wait([guard, receiver], return_when=asyncio.FIRST_COMPLETED)
                for task in (sender, guard, receiver):
                    task.cancel()
        except* WebSocketDisconnect:
            pass


async def _stay_authenticated(websocket: WebSocket, services: Services, token: str) -> None:
    """Return (after closing the socket with 4401) once the token is no longer valid."""
    while True:
        await asyncio.sleep(REAUTH_EVERY_S)
        try:
            authenticate(services, token)
        except AuthenticationError as exc:
            await _refuse(websocket, exc)
            return


async def _send_events(websocket: WebSocket, subscription: Subscription) -> None:
    while True:
        event = await subscription.get()
        message: dict[str, Any] = {
            "type": "event",
            "topic": event.topic,
            "time_s": event.time_s,
            "data": event.data,
        }
        await websocket.send_text(json.dumps(message, default=str))


async def _receive_controls(websocket: WebSocket, subscription: Subscription) -> None:
    """Read client messages until it disconnects; ``{"topics": [...]}`` re-filters."""
    while True:
        received = await websocket.receive()
        if received.get("type") == "websocket.disconnect":
            return
        message = received.get("text")
        if not isinstance(message, str):
            continue
        body = _read_json(message)
        if not isinstance(body, dict) or not isinstance(body.get("topics"), list):
            continue
        topics = tuple(str(t) for t in body["topics"][: MAX_TOPICS + 1])
        if len(topics) > MAX_TOPICS or any(len(t) > MAX_TOPIC_CHARS for t in topics):
            limit = f"{MAX_TOPICS} topics of at most {MAX_TOPIC_CHARS} characters"
            await websocket.send_json({
                "type": "error", "status": 422, "code": "ws.too_many_topics",
                "field": "topics", "limit": limit,
                "params": {"field": "topics", "limit": limit},
                "detail": f"topics: at most {limit}; the filter is unchanged",
            })
            continue
        subscription.prefixes = topics
