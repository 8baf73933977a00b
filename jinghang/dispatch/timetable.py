"""Patrol timetables: cron expressions read in a time zone (Asia/Shanghai by default), turned
into the UTC moments a patrol is due. Pure: no clock, no I/O."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import CroniterBadDateError, croniter

from jinghang.dispatch.clock import utc
from jinghang.dispatch.errors import PatrolError

DEFAULT_TIME_ZONE = "Asia/Shanghai"


def check_timetable(cron: str, time_zone: str = DEFAULT_TIME_ZONE) -> ZoneInfo:
    """The zone, or :class:`PatrolError` naming ``cron`` or ``time_zone``."""
    # croniter also takes a seconds field and a year (6 or 7 fields): a patrol "every second"
    # is not a timetable, so only the five classic fields are read
    if len(cron.split()) != 5 or not croniter.is_valid(cron):
        raise PatrolError(f"not a cron expression: {cron!r}", field="cron", value=cron,
                          limit="five fields: minute hour day month weekday")
    try:
        return ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise PatrolError(f"unknown time zone {time_zone!r}", field="time_zone",
                          value=time_zone) from None


def next_due(cron: str, after: dt.datetime, time_zone: str = DEFAULT_TIME_ZONE) -> dt.datetime:
    """The first moment strictly after ``after`` that the timetable names, in UTC."""
    zone = check_timetable(cron, time_zone)
    local_after = utc(after).astimezone(zone)
    try:
        moment = croniter(cron, local_after).get_next(dt.datetime)
    except (CroniterBadDateError, ValueError, OverflowError):
        # a day that never comes (31 February) makes croniter give up after its search
        raise PatrolError(f"the timetable {cron!r} names no date that exists", field="cron",
                          value=cron, limit="a day of the month the month has") from None
    return utc(moment)


def due_between(
    cron: str, after: dt.datetime, until: dt.datetime, time_zone: str = DEFAULT_TIME_ZONE,
    *, limit: int = 1000,
) -> list[dt.datetime]:
    """Every moment in (after, until] the timetable names, in UTC, oldest first."""
    out: list[dt.datetime] = []
    moment = next_due(cron, after, time_zone)
    end = utc(until)
    while moment <= end and len(out) < limit:
        out.append(moment)
        moment = next_due(cron, moment, time_zone)
    return out
