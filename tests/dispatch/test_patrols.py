"""Scheduled patrols fire at their time on a test clock (no sleeping until 06:00), fly, and
runs that cannot fly are recorded as skipped with why."""

from __future__ import annotations

from pathlib import Path

from jinghang.dispatch import TestClock
from jinghang.store import PatrolScheduleCreate, create_patrol, list_patrol_runs
from tests.dispatch.conftest import dispatch_world, near, utc

ROUTE = [list(near(150, 0)), list(near(150, 150)), list(near(0, 150))]


async def test_a_patrol_fires_at_six_in_shanghai_and_busy_or_missing_drones_skip(
    tmp_path: Path,
) -> None:
    clock = TestClock(utc(2026, 7, 1, 21, 50))  # 05:50 in Asia/Shanghai
    async with dispatch_world(tmp_path, drones=1, clock=clock, with_patrols=True) as w:
        assert w.patrols is not None
        with w.store.transaction() as s:
            scenic = create_patrol(s, PatrolScheduleCreate(
                name="scenic area morning", template_id="CTY-05", cron="0 6 * * *",
                inputs={"points": ROUTE}, params={"altitude_m": 40}), created_by="chief")
            second = create_patrol(s, PatrolScheduleCreate(
                name="beach check", template_id="CTY-05", cron="0 6 * * *",
                inputs={"points": ROUTE}), created_by="chief")
            named = create_patrol(s, PatrolScheduleCreate(
                name="harbour with drone 9", template_id="CTY-05", cron="0 6 * * *",
                inputs={"points": ROUTE}, drone_id=9), created_by="chief")
        w.patrols.reload()

        def runs(schedule_id: int) -> list[tuple[str, str]]:
            with w.store.read_session() as s:
                return [(r.status, r.reason) for r in list_patrol_runs(s, schedule_id=schedule_id)]

        await clock.set(utc(2026, 7, 1, 21, 59, 59))
        await w.settle()
        assert runs(scenic.id) == [] and w.fleet.vehicles[1].state.armed is False

        await clock.set(utc(2026, 7, 1, 22, 0, 0))
        await w.until(lambda: bool(runs(scenic.id)) and bool(runs(named.id)))
        assert runs(scenic.id)[0][0] == "launched"
        (status, reason), = runs(second.id)
        assert status == "skipped" and "busy with patrol run" in reason
        (status, reason), = runs(named.id)
        assert status == "skipped" and "vehicle 9" in reason
        await w.until(lambda: runs(scenic.id)[0][0] == "completed", timeout_s=120)
        with w.store.read_session() as s:
            (run,) = list_patrol_runs(s, schedule_id=scenic.id)
        assert run.scheduled_for == utc(2026, 7, 1, 22, 0) and run.drone_id == 1


async def test_runs_missed_while_down_are_recorded_as_skipped(tmp_path: Path) -> None:
    clock = TestClock(utc(2026, 7, 1, 0, 30))
    async with dispatch_world(tmp_path, drones=1, clock=clock, with_patrols=True) as w:
        assert w.patrols is not None
        with w.store.transaction() as s:
            hourly = create_patrol(s, PatrolScheduleCreate(
                name="hourly", template_id="CTY-05", cron="0 * * * *", time_zone="UTC",
                inputs={"points": ROUTE}, enabled=True), created_by="chief")
        w.patrols.reload()
        await w.settle()
        w.patrols.grace_s = 60.0
        # the clock jumps three hours at once, as after a long stop
        await clock.set(utc(2026, 7, 1, 3, 30))

        def runs() -> list[tuple[str, str]]:
            with w.store.read_session() as s:
                return [(r.status, r.reason) for r in list_patrol_runs(s, schedule_id=hourly.id)]

        await w.until(lambda: len(runs()) == 3)
        assert all(status == "skipped" and "missed" in why for status, why in runs())
