"""Patrol schedules over the API: created by a commander with a checked plan, refused when
they could never fly, the timetable and time zone validated."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.api.harness import running_api

FIELD = [[37.470, 122.050], [37.470, 122.054], [37.473, 122.054], [37.473, 122.050]]
#: A box over Liugong Island's military administration area (a sample no-fly zone).
LIUGONG = [[37.505, 122.205], [37.505, 122.225], [37.512, 122.225], [37.512, 122.205]]


async def _survey_template(api: Any) -> str:
    templates = (await api.get("/api/templates")).json()
    return str(next(t["id"] for t in templates if t["inputs"] == ["area"]))


async def test_commander_schedules_a_patrol_observer_cannot(tmp_path: Path) -> None:
    async with running_api(tmp_path) as api:
        template_id = await _survey_template(api)
        patrol = {
            "name": "morning field",
            "template_id": template_id,
            "inputs": {"area": FIELD},
            "cron": "0 6 * * *",
        }
        assert (await api.post("/api/patrols", "observer", json=patrol)).status_code == 403
        created = await api.post("/api/patrols", "commander", json=patrol)
        assert created.status_code == 201, created.text
        body = created.json()
        assert body["time_zone"] == "Asia/Shanghai" and body["created_by"] == "commander"
        listed = (await api.get("/api/patrols")).json()
        assert [p["name"] for p in listed] == ["morning field"]
        paused = await api.patch(f"/api/patrols/{body['id']}", "commander", json={"enabled": False})
        assert paused.json()["enabled"] is False
        assert (await api.get(f"/api/patrols/{body['id']}/runs")).json() == []
        trail = (await api.get("/api/audit", params={"target_type": "patrol"})).json()
        assert [(e["actor"], e["action"]) for e in trail] == [
            ("commander", "patrol.create"),
            ("commander", "patrol.disable"),
        ]


async def test_patrol_that_could_never_fly_is_refused_with_the_reason(tmp_path: Path) -> None:
    async with running_api(tmp_path) as api:
        template_id = await _survey_template(api)
        into_zone = await api.post(
            "/api/patrols",
            "commander",
            json={
                "name": "island",
                "template_id": template_id,
                "inputs": {"area": LIUGONG},
                "cron": "0 6 * * *",
            },
        )
        assert into_zone.status_code == 422
        assert "Liugong" in into_zone.json()["limit"]
        bad_cron = await api.post(
            "/api/patrols",
            "commander",
            json={
                "name": "x",
                "template_id": template_id,
                "inputs": {"area": FIELD},
                "cron": "every morning",
            },
        )
        assert bad_cron.status_code == 422 and bad_cron.json()["field"] == "cron"
        bad_zone = await api.post(
            "/api/patrols",
            "commander",
            json={
                "name": "x",
                "template_id": template_id,
                "inputs": {"area": FIELD},
                "cron": "0 6 * * *",
                "time_zone": "Mars/Olympus",
            },
        )
        assert bad_zone.status_code == 422 and bad_zone.json()["field"] == "time_zone"
