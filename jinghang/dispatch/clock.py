"""Clocks for the dispatcher and the patrol scheduler: the wall clock, and a test clock that
only moves when a test moves it (so a patrol due at 06:00 fires without anyone waiting)."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Protocol


def utc(moment: dt.datetime) -> dt.datetime:
    """An aware UTC datetime (naive ones are taken as UTC)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


class Clock(Protocol):
    def now(self) -> dt.datetime:
        """The current time, aware, in UTC."""
        ...

    async def sleep_until(self, moment: dt.datetime) -> None:
        """Return once ``now() >= moment``."""
        ...


class SystemClock:
    """The wall clock; sleeps in slices so that a changed system time is noticed."""

    max_slice_s = 30.0

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)

    async def sleep_until(self, moment: dt.datetime) -> None:
        target = utc(moment)
        while True:
            left_s = (target - self.now()).total_seconds()
            if left_s <= 0:
                return
            await asyncio.sleep(min(left_s, self.max_slice_s))


class TestClock:
    """A clock that stands still until :meth:`advance` or :meth:`set` moves it."""

    __test__ = False  # not a pytest test class

    def __init__(self, start: dt.datetime) -> None:
        self._now = utc(start)
        self._changed = asyncio.Condition()

    def now(self) -> dt.datetime:
        return self._now

    async def set(self, moment: dt.datetime) -> None:
        async with self._changed:
            self._now = max(self._now, utc(moment))
            self._changed.notify_all()

    async def advance(self, seconds: float) -> None:
        await self.set(self._now + dt.timedelta(seconds=seconds))

    async def sleep_until(self, moment: dt.datetime) -> None:
        target = utc(moment)
        async with self._changed:
            await self._changed.wait_for(lambda: self._now >= target)
