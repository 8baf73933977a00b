"""A patrol's timetable previewed over the API before the patrol exists: the next runs of a
cron expression in its zone (Asia/Shanghai by default), in UTC and on the zone's wall clock,
and a bad expression or zone refused by name."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

from tests.api.harness import running_api


async def test_next_runs_of_a_daily_timetable(tmp_path: Path) -> None:
    async with running_api(tmp_path) as api:
        answer = await api.get("/api/patrols/timetable", params={"cron": "30 6 * * *"})
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["time_zone"] == "Asia/Shanghai" and len(body["next_runs"]) == 5
        assert all(r.endswith("06:30:00+08:00") for r in body["next_runs_local"])
        runs = [dt.datetime.fromisoformat(r) for r in body["next_runs"]]
        assert runs[0] > dt.datetime.now(dt.UTC)
        assert all(b - a == dt.timedelta(days=1) for a, b in itertools.pairwise(runs))
        # weekdays only, three of them
        weekdays = (await api.get("/api/patrols/timetable", params={
            "cron": "0 8 * * 1-5", "count": 3, "time_zone": "UTC"})).json()
        assert all(dt.datetime.fromisoformat(r).weekday() < 5 for r in weekdays["next_runs"])
        assert len(weekdays["next_runs"]) == 3
        # every 4 hours
        hourly = (await api.get("/api/patrols/timetable", params={"cron": "0 */4 * * *"})).json()
        gaps = {b - a for a, b in itertools.pairwise(
            dt.datetime.fromisoformat(r) for r in hourly["next_runs"])}
        assert gaps == {dt.timedelta(hours=4)}


async def test_bad_timetables_are_refused_by_name(tmp_path: Path) -> None:
    async with running_api(tmp_path) as api:
        bad = await api.get("/api/patrols/timetable", params={"cron": "every day"})
        assert bad.status_code == 422
        assert bad.json()["code"] == "patrol.bad_cron" and bad.json()["field"] == "cron"
        zone = await api.get("/api/patrols/timetable",
                             params={"cron": "0 6 * * *", "time_zone": "Mars/Base"})
        assert zone.status_code == 422 and zone.json()["field"] == "time_zone"
        never = await api.get("/api/patrols/timetable", params={"cron": "0 0 31 2 *"})
        assert never.status_code == 422 and never.json()["field"] == "cron"
        many = await api.get("/api/patrols/timetable", params={"cron": "0 6 * * *", "count": 99})
        assert many.status_code == 422
        # croniter reads a sixth field as seconds: "every second" is not a patrol timetable
        seconds = await api.get("/api/patrols/timetable", params={"cron": "* * * * * *"})
        assert seconds.status_code == 422 and seconds.json()["field"] == "cron"
        assert "five fields" in str(seconds.json().get("limit"))
