"""The WebSocket stream ``/ws`` of telemetry and events.

Authenticate with ``/ws?token=<bearer token>`` or, without the query parameter, with a first
message ``{"token": "..."}`` within 10 s. ``topics=telemetry,incident`` narrows the stream (all
topics by default). The server sends ``{"type": "hello", ...}``, one ``snapshot`` of every live
vehicle, then each event as ``{"type": "event", "topic", "time_s", "data"}``. A bad token
closes the socket with code 4401. A client may send ``{"topics": [...]}`` later to re-filter.
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
CLOSE_UNAUTHENTICATED = 4401


async def _token_from_first_message(websocket: WebSocket) -> str:
    try:
        async with asyncio.timeout(FIRST_MESSAGE_TIMEOUT_S):
            message = await websocket.receive_text()
    except TimeoutError:
        return ""
    try:
        body = json.loads(message)
    except ValueError:
        return ""
    return str(body.get("token", "")) if isinstance(body, dict) else ""


@router.websocket("/ws")
async def stream(
    websocket: WebSocket,
    token: str | None = Query(default=None),
    topics: str = Query(default="", description="comma-separated topic prefixes; empty: all"),
) -> None:
    services: Services = websocket.app.state.services
    await websocket.accept()
    if token is None:
        token = await _token_from_first_message(websocket)
    try:
        principal = authenticate(services, token)
    except AuthenticationError as exc:
        await websocket.send_json({"type": "error", "status": 401, "detail": exc.message})
        await websocket.close(code=CLOSE_UNAUTHENTICATED, reason="not authenticated")
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
                await _receive_controls(websocket, subscription)
                sender.cancel()
        except* WebSocketDisconnect:
            pass


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
        try:
            message = await websocket.receive_text()
        except WebSocketDisconnect:
            return
        try:
            body = json.loads(message)
        except ValueError:
            continue
        if isinstance(body, dict) and isinstance(body.get("topics"), list):
            subscription.prefixes = tuple(str(t) for t in body["topics"])
