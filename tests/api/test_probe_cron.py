"""Probe finding: a patrol timetable of six or seven cron fields (seconds first, or a year
last) was stored, so a patrol could be scheduled to fire every second. Only five fields
(minute hour day month weekday) make a patrol; the refusal names ``cron``."""

from __future__ import annotations

from pathlib import Path

from tests.api.harness import running_api
from tests.api.test_hostile_inputs import assert_problem

FIELD = [[37.470, 122.050], [37.470, 122.054], [37.473, 122.054], [37.473, 122.050]]


async def test_a_timetable_with_a_seconds_or_year_field_is_refused(tmp_path: Path) -> None:
    async with running_api(tmp_path) as api:
        templates = (await api.get("/api/templates")).json()
        template_id = next(t["id"] for t in templates if t["inputs"] == ["area"])
        for cron in ("* * * * * *", "*/1 * * * * *", "0 6 * * * * 2027"):
            patrol = {"name": "too often", "template_id": template_id,
                      "inputs": {"area": FIELD}, "cron": cron, "enabled": False}
            body = assert_problem(await api.post("/api/patrols", "commander", json=patrol),
                                  422, "cron")
            assert "five fields" in body["detail"]
        assert (await api.get("/api/patrols")).json() == []
        patrol = {"name": "morning", "template_id": template_id, "inputs": {"area": FIELD},
                  "cron": "0 6 * * *", "enabled": False}
        assert (await api.post("/api/patrols", "commander", json=patrol)).status_code == 201
