"""Patrol timetables read in Asia/Shanghai unless told otherwise; the test clock."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from jinghang.dispatch.clock import TestClock
from jinghang.dispatch.errors import PatrolError
from jinghang.dispatch.timetable import due_between, next_due

UTC = dt.UTC


def test_six_in_the_morning_is_six_in_shanghai() -> None:
    due = next_due("0 6 * * *", dt.datetime(2026, 7, 1, 0, 0, tzinfo=UTC))
    assert due == dt.datetime(2026, 7, 1, 22, 0, tzinfo=UTC)  # 06:00 +08:00 next day
    assert next_due("0 6 * * *", dt.datetime(2026, 7, 1, 0, 0, tzinfo=UTC), "UTC") == \
        dt.datetime(2026, 7, 1, 6, 0, tzinfo=UTC)


def test_hourly_broadcasts_in_a_window() -> None:
    start = dt.datetime(2026, 7, 1, 0, 30, tzinfo=UTC)
    runs = due_between("0 9-17 * 6-9 *", start, start + dt.timedelta(days=1))
    local_hours = [r.astimezone(dt.timezone(dt.timedelta(hours=8))).hour for r in runs]
    assert local_hours == list(range(9, 18))


def test_a_bad_timetable_names_the_field() -> None:
    with pytest.raises(PatrolError) as err:
        next_due("at dawn", dt.datetime(2026, 7, 1, tzinfo=UTC))
    assert err.value.field == "cron"
    with pytest.raises(PatrolError) as err:
        next_due("0 6 * * *", dt.datetime(2026, 7, 1, tzinfo=UTC), "Atlantis/Capital")
    assert err.value.field == "time_zone"


async def test_the_test_clock_wakes_sleepers_only_when_moved() -> None:
    clock = TestClock(dt.datetime(2026, 7, 1, tzinfo=UTC))
    woke: list[dt.datetime] = []

    async def sleeper() -> None:
        await clock.sleep_until(dt.datetime(2026, 7, 1, 6, tzinfo=UTC))
        woke.append(clock.now())

    async with asyncio.TaskGroup() as tg:
        tg.create_task(sleeper())
        await asyncio.sleep(0)
        await clock.advance(3600)
        await asyncio.sleep(0)
        assert woke == []
        await clock.advance(5 * 3600)
    assert woke == [dt.datetime(2026, 7, 1, 6, tzinfo=UTC)]
