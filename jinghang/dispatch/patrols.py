"""The patrol scheduler: fires each enabled patrol schedule at the times its cron timetable
names (in its time zone, Asia/Shanghai by default), through the dispatcher, on an injectable
clock. A run that cannot fly (no suitable drone, the named vehicle busy, a plan that fails a
safety check) is recorded as skipped with why and announced (``patrol.skipped``, an alert); runs
missed while the server was down are recorded as skipped too, except the newest one when it is
still within ``grace_s``. :meth:`PatrolScheduler.check` tells which drones could fly a patrol
now and :meth:`PatrolScheduler.next_run` when it fires next (the patrol list shows both).

Time comes only from the clock, so tests drive a :class:`~jinghang.dispatch.clock.TestClock`
to 06:00 instead of sleeping. Call :meth:`PatrolScheduler.reload` after adding or changing a
schedule.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

from jinghang.dispatch.clock import Clock, SystemClock
from jinghang.dispatch.dispatcher import Dispatcher
from jinghang.dispatch.errors import PatrolError
from jinghang.dispatch.patrol_launch import PatrolCheck, check_patrol, record_skip
from jinghang.dispatch.timetable import next_due
from jinghang.store import (
    PatrolScheduleCreate,
    PatrolSchedulePublic,
    last_run_time,
    list_patrols,
)

log = logging.getLogger(__name__)


class PatrolScheduler:
    """Runs patrols on their timetables; start with ``await run()`` beside the dispatcher."""

    def __init__(
        self,
        dispatcher: Dispatcher,
        *,
        clock: Clock | None = None,
        grace_s: float = 600.0,
        idle_check_s: float = 60.0,
    ) -> None:
        self.dispatcher = dispatcher
        self.store = dispatcher.store
        self.clock: Clock = clock or dispatcher.clock or SystemClock()
        self.grace_s = grace_s
        self.idle_check_s = idle_check_s
        self._reload = asyncio.Event()
        #: schedule id -> the time after which its next run is looked for.
        self._after: dict[int, dt.datetime] = {}
        self.fired: list[tuple[int, dt.datetime]] = []

    def reload(self) -> None:
        """Read the schedules again (one was added, changed or disabled). A new schedule's
        first run is the first time its timetable names after now (or after its creation,
        when that is earlier)."""
        now = self.clock.now()
        for patrol in self._schedules():
            self._start_after(patrol, now)
        self._reload.set()

    def _schedules(self) -> list[PatrolSchedulePublic]:
        with self.store.read_session() as s:
            return list_patrols(s, enabled_only=True)

    def _start_after(self, patrol: PatrolSchedulePublic, now: dt.datetime) -> dt.datetime:
        if patrol.id in self._after:
            return self._after[patrol.id]
        with self.store.read_session() as s:
            last = last_run_time(s, patrol.id)
        start = _aware(last) if last is not None else min(now, _aware(patrol.created_at))
        self._after[patrol.id] = start
        return start

    def due_now(self, now: dt.datetime) -> list[tuple[PatrolSchedulePublic, list[dt.datetime]]]:
        """Each schedule with the moments that have come due, oldest first."""
        out = []
        for patrol in self._schedules():
            after = self._start_after(patrol, now)
            moments: list[dt.datetime] = []
            try:
                moment = next_due(patrol.cron, after, patrol.time_zone)
                while moment <= now and len(moments) < 1000:
                    moments.append(moment)
                    moment = next_due(patrol.cron, moment, patrol.time_zone)
            except PatrolError as exc:
                log.warning("patrol %s has a bad timetable: %s", patrol.id, exc)
                continue
            if moments:
                out.append((patrol, moments))
        return out

    def next_wake(self, now: dt.datetime) -> dt.datetime:
        soonest = now + dt.timedelta(seconds=self.idle_check_s)
        for patrol in self._schedules():
            try:
                due = next_due(patrol.cron, self._start_after(patrol, now), patrol.time_zone)
            except PatrolError:
                continue
            soonest = min(soonest, due)
        return soonest

    async def tick(self) -> int:
        """Fire (or skip) every run that is due now; returns how many runs were recorded."""
        now = self.clock.now()
        count = 0
        for patrol, moments in self.due_now(now):
            *missed, newest = moments
            for moment in missed:
                await self._skip(patrol, moment, "missed: the scheduler was not running then")
                count += 1
            if (now - newest).total_seconds() > self.grace_s:
                await self._skip(patrol, newest, "missed: the scheduler was not running then")
            else:
                self.fired.append((patrol.id, newest))
                try:
                    await self.dispatcher.launch_patrol(patrol, newest)
                except Exception as exc:  # one patrol's failure must not stop the others
                    log.exception("patrol %s could not be launched", patrol.id)
                    await self._skip(patrol, newest, f"could not be launched: {exc}")
            self._after[patrol.id] = newest
            count += 1
        return count

    async def _skip(self, patrol: PatrolSchedulePublic, moment: dt.datetime,
                    reason: str) -> None:
        await record_skip(self.dispatcher, patrol, moment, reason)

    def next_run(self, patrol: PatrolSchedulePublic) -> dt.datetime | None:
        """When the patrol fires next (None when it is paused or its timetable is bad)."""
        if not patrol.enabled:
            return None
        try:
            return next_due(patrol.cron, self._start_after(patrol, self.clock.now()),
                            patrol.time_zone)
        except PatrolError:
            return None

    def check(self, patrol: PatrolScheduleCreate | PatrolSchedulePublic) -> PatrolCheck:
        """The patrol against the fleet now: which drones could fly it, at what energy."""
        return check_patrol(self.dispatcher, patrol)

    async def run(self) -> None:
        """Sleep on the clock until the next run is due, fire it, repeat."""
        await self.dispatcher.started.wait()
        while True:
            await self.tick()
            wake_at = self.next_wake(self.clock.now())
            self._reload.clear()
            sleeper = asyncio.ensure_future(self.clock.sleep_until(wake_at))
            reloader = asyncio.ensure_future(self._reload.wait())
            try:
                await asyncio.wait({sleeper, reloader}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for waiter in (sleeper, reloader):
                    waiter.cancel()
                await asyncio.gather(sleeper, reloader, return_exceptions=True)


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
