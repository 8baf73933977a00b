"""The in-process asynchronous publish/subscribe bus.

Everything that happens (telemetry, incident state changes, alerts, video analytics) is
published as an :class:`Event` on a topic such as ``"telemetry"``, ``"incident"``,
``"alert"`` or ``"video.detection"``. Subscribers get their own bounded queue; a slow
subscriber loses its oldest events (counted in ``dropped``) rather than slowing publishers.
This interface is the seam for scale-out: the same calls can run over MQTT or Redis.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Event:
    """One published fact: a topic, a JSON-ready payload and the wall-clock time in seconds."""

    topic: str
    data: dict[str, Any]
    time_s: float = field(default_factory=time.time)


class Subscription:
    """A bounded queue of events for one subscriber, filtered by topic prefix."""

    def __init__(self, prefixes: tuple[str, ...], max_queue: int) -> None:
        self.prefixes = prefixes
        self.queue: asyncio.Queue[Event] = asyncio.Queue(max_queue)
        self.dropped = 0

    def wants(self, topic: str) -> bool:
        return not self.prefixes or any(topic.startswith(p) for p in self.prefixes)

    def offer(self, event: Event) -> None:
        if self.queue.full():
            try:
                self.queue.get_nowait()
            except asyncio.QueueEmpty:  # pragma: no cover - raced by the consumer
                pass
            self.dropped += 1
        self.queue.put_nowait(event)

    async def get(self) -> Event:
        return await self.queue.get()

    def __aiter__(self) -> AsyncIterator[Event]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Event]:
        while True:
            yield await self.queue.get()


class EventBus:
    """Fan events out to every subscriber whose prefixes match the topic."""

    def __init__(self, max_queue: int = 1000) -> None:
        self._subscriptions: set[Subscription] = set()
        self._max_queue = max_queue

    def publish(self, topic: str, data: dict[str, Any]) -> Event:
        event = Event(topic, data)
        self.deliver(event)
        return event

    def deliver(self, event: Event) -> None:
        """Hand an event to this process's subscribers only (a bus bridging processes calls
        it for what arrives from elsewhere; :meth:`publish` calls it for local events)."""
        for sub in tuple(self._subscriptions):
            if sub.wants(event.topic):
                sub.offer(event)

    @property
    def subscriber_dropped(self) -> int:
        """Events this process's subscribers lost because they were full."""
        return sum(s.dropped for s in self._subscriptions)

    @asynccontextmanager
    async def subscribe(self, *prefixes: str) -> AsyncIterator[Subscription]:
        sub = Subscription(prefixes, self._max_queue)
        self._subscriptions.add(sub)
        try:
            yield sub
        finally:
            self._subscriptions.discard(sub)

    @property
    def subscriber_count(self) -> int:
        return len(self._subscriptions)
