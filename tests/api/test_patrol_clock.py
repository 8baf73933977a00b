"""A patrol fires at its time: the server's clock is a test clock moved to 06:00 Beijing time,
no sleeping; a run that cannot fly is recorded as skipped with why."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

from jinghang.dispatch.clock import TestClock
from tests.api.harness import eventually, flying_api, near

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _field() -> list[list[float]]:
    corners = [near(150, -100), near(150, 0), near(250, 0), near(250, -100)]
    return [[lat, lon] for lat, lon in corners]


async def test_patrol_fires_at_its_time_on_the_test_clock(tmp_path: Path) -> None:
    start = dt.datetime(2026, 6, 1, 5, 58, tzinfo=SHANGHAI)
    clock = TestClock(start)
    async with flying_api(tmp_path, drones=1, clock=clock) as api:
        templates = (await api.get("/api/templates")).json()
        survey = next(t["id"] for t in templates if t["inputs"] == ["area"])
        created = await api.post(
            "/api/patrols",
            "commander",
            json={
                "name": "06:00 field patrol",
                "template_id": survey,
                "inputs": {"area": _field()},
                "cron": "0 6 * * *",
            },
        )
        assert created.status_code == 201, created.text
        patrol_id = created.json()["id"]
        parked = await api.post(
            "/api/patrols",
            "commander",
            json={
                "name": "drone 9 patrol",
                "template_id": survey,
                "inputs": {"area": _field()},
                "cron": "0 6 * * *",
                "drone_id": 9,
            },
        )
        assert parked.status_code == 201

        runs_path = f"/api/patrols/{patrol_id}/runs"
        assert (await api.get(runs_path)).json() == []
        await clock.set(dt.datetime(2026, 6, 1, 5, 59, 59, tzinfo=SHANGHAI))
        assert (await api.get(runs_path)).json() == []
        await clock.set(dt.datetime(2026, 6, 1, 6, 0, tzinfo=SHANGHAI))

        async def launched() -> bool:
            runs = (await api.get(runs_path)).json()
            return bool(runs) and runs[0]["status"] == "launched" and runs[0]["mission_id"]

        await eventually(launched, 30, "the 06:00 patrol launched")
        run = (await api.get(runs_path)).json()[0]
        due = dt.datetime.fromisoformat(run["scheduled_for"]).replace(tzinfo=dt.UTC)
        assert due.astimezone(SHANGHAI).hour == 6 and due.astimezone(SHANGHAI).minute == 0
        assert run["drone_id"] == 1
        mission = (await api.get(f"/api/missions/{run['mission_id']}")).json()
        assert mission["template_id"] == survey and mission["created_by"] == "scheduler"

        parked_runs = f"/api/patrols/{parked.json()['id']}/runs"

        async def skipped_shown() -> bool:  # written by the store writer, a moment later
            return bool((await api.get(parked_runs)).json())

        await eventually(skipped_shown, 10, "the drone-9 patrol's skipped run")
        skipped = (await api.get(parked_runs)).json()
        assert [r["status"] for r in skipped] == ["skipped"]
        assert "vehicle 9" in skipped[0]["reason"]
