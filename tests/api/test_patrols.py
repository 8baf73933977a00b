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
        never = await api.post(
            "/api/patrols",
            "commander",
            json={
                "name": "x",
                "template_id": template_id,
                "inputs": {"area": FIELD},
                "cron": "0 6 31 2 *",  # 31 February: valid cron, never due
            },
        )
        assert never.status_code == 422 and never.json()["field"] == "cron", never.text
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


async def test_patrol_is_checked_against_the_fleet_and_a_skipped_run_shows_why(
    tmp_path: Path,
) -> None:
    """Scheduled while the drone is full, the patrol's check names the drone and the energy
    it takes; at 06:00 the battery is too low, so the run is skipped: one alert, and the list
    shows the last run skipped with why and the next run tomorrow."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    from jinghang.dispatch.clock import TestClock
    from tests.api.harness import eventually, flying_api, near

    shanghai = ZoneInfo("Asia/Shanghai")
    clock = TestClock(dt.datetime(2026, 6, 1, 5, 58, tzinfo=shanghai))
    corners = [near(150, -100), near(150, 0), near(250, 0), near(250, -100)]
    async with flying_api(tmp_path, drones=1, clock=clock) as api:
        template_id = await _survey_template(api)
        created = await api.post(
            "/api/patrols", "commander",
            json={"name": "06:00 field", "template_id": template_id,
                  "inputs": {"area": [[lat, lon] for lat, lon in corners]},
                  "cron": "0 6 * * *"},
        )
        assert created.status_code == 201, created.text
        body = created.json()
        check = body["check"]
        assert check["can_fly"] is True and check["reason"] == ""
        [drone] = check["drones"]
        assert drone["drone_id"] == 1 and drone["can_fly"] is True
        assert 0 < drone["energy_pct"] < 50 and drone["battery_pct"] > 90
        listed = (await api.get("/api/patrols")).json()[0]
        assert listed["last_run"] is None
        next_run = dt.datetime.fromisoformat(listed["next_run_at"])
        assert next_run.astimezone(shanghai) == dt.datetime(2026, 6, 1, 6, 0, tzinfo=shanghai)

        battery = api.drones[0].vehicle.physics.battery
        battery.consumed_mah = 0.79 * battery.capacity_mah  # 21 % left: under the reserve
        vehicle = api.services.fleet.vehicles[1]

        async def drained() -> bool:
            return vehicle.state.battery_pct is not None and vehicle.state.battery_pct < 25

        await eventually(drained, 30, "the low battery in telemetry")
        now_check = (await api.get(f"/api/patrols/{body['id']}/check")).json()
        assert now_check["can_fly"] is False and "drone-1" in now_check["reason"]

        await clock.set(dt.datetime(2026, 6, 1, 6, 0, tzinfo=shanghai))

        async def skipped() -> bool:
            last = (await api.get("/api/patrols")).json()[0]["last_run"]
            return last is not None and last["status"] == "skipped"

        await eventually(skipped, 30, "the 06:00 run skipped")
        listed = (await api.get("/api/patrols")).json()[0]
        assert "drone-1" in listed["last_run"]["reason"]
        assert "%" in listed["last_run"]["reason"]  # the energy figure says why
        next_run = dt.datetime.fromisoformat(listed["next_run_at"])
        assert next_run.astimezone(shanghai) == dt.datetime(2026, 6, 2, 6, 0, tzinfo=shanghai)

        alerts = [a for a in (await api.get("/api/alerts")).json()
                  if a["code"] == "patrol.skipped"]
        assert len(alerts) == 1 and alerts[0]["count"] == 1
        assert alerts[0]["params"]["reason"] == listed["last_run"]["reason"]
        assert alerts[0]["params"]["patrol"] == "06:00 field"
