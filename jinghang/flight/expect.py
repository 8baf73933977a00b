"""Waiting for messages: register what you expect *before* you send, then wait for it.

A vehicle owns one :class:`Expectations`; every incoming message is offered to every open
watch whose predicate matches. Watches are context managers, so nothing outlives its waiter,
and a watch closed by cancellation leaves nothing behind.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

Predicate = Callable[[Any], bool]


class Watch:
    """The queue of messages matching one predicate, since the watch was opened."""

    def __init__(self, predicate: Predicate) -> None:
        self.predicate = predicate
        self.queue: asyncio.Queue[Any] = asyncio.Queue()

    async def next(self, timeout_s: float) -> Any | None:
        """The next matching message, or None after ``timeout_s`` without one."""
        try:
            async with asyncio.timeout(timeout_s):
                return await self.queue.get()
        except TimeoutError:
            return None


class Expectations:
    def __init__(self) -> None:
        self._watches: list[Watch] = []

    @contextmanager
    def watch(self, predicate: Predicate) -> Iterator[Watch]:
        w = Watch(predicate)
        self._watches.append(w)
        try:
            yield w
        finally:
            self._watches.remove(w)

    def offer(self, message: Any) -> None:
        for w in self._watches:
            try:
                matched = w.predicate(message)
            except AttributeError:
                matched = False
            if matched:
                w.queue.put_nowait(message)

    @property
    def open_watches(self) -> int:
        return len(self._watches)
