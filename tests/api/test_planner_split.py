"""The planner's way out over the API: a template's parameters with their limits, a 1.9 km2
farmland survey refused for the battery and then split into battery-sized sorties that each
pass the safety checks, a parameter change that changes the estimate, the check of a plan
against the fleet, and bad input named in a 4xx."""

from __future__ import annotations

from pathlib import Path

from tests.api.harness import flying_api, near, running_api

#: About 1.38 km x 1.38 km of farmland west of Weihai (1.9 km2), clear of the no-fly zones.
FARMLAND = [[37.440, 122.020], [37.440, 122.0356], [37.4524, 122.0356], [37.4524, 122.020]]
#: A small field near Weihai (lat, lon).
FIELD = [[37.470, 122.050], [37.470, 122.054], [37.473, 122.054], [37.473, 122.050]]


async def test_parameters_come_with_their_limits(tmp_path: Path) -> None:
    async with running_api(tmp_path) as api:
        answer = await api.get("/api/templates/RUR-01/params")
        assert answer.status_code == 200, answer.text
        params = {p["name"]: p for p in answer.json()}
        assert {"altitude_m", "speed_m_s", "gsd_cm_px", "side_overlap_pct",
                "front_overlap_pct"} <= set(params)
        assert params["gsd_cm_px"]["value"] == 2.5  # the template's own default
        assert params["side_overlap_pct"]["maximum"] == 95.0
        assert params["altitude_m"]["maximum"] == 120.0  # the server's ceiling
        assert params["speed_m_s"]["unit"] == "m/s"
        orbit = {p["name"] for p in (await api.get("/api/templates/CTY-04/params")).json()}
        assert "radius_m" in orbit and "side_overlap_pct" not in orbit
        assert (await api.get("/api/templates/NOPE-1/params")).status_code == 404


async def test_a_survey_too_big_for_one_battery_splits_into_sorties(tmp_path: Path) -> None:
    async with running_api(tmp_path) as api:
        whole = (await api.post("/api/templates/RUR-01/plan", "commander",
                                json={"inputs": {"area": FARMLAND}})).json()
        assert whole["area_m2"] > 1_800_000
        assert [v["code"] for v in whole["violations"]] == ["mission.out_of_battery"]
        assert whole["energy_pct"] > 200
        answer = await api.post("/api/templates/RUR-01/split", "observer",
                                json={"inputs": {"area": FARMLAND}})
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["fits"] is True and body["part_count"] == len(body["parts"]) >= 3
        for part in body["parts"]:
            assert part["violations"] == []
            assert part["energy_pct"] <= 100 - body["reserve_pct"]
            assert len(part["area"]) >= 3 and len(part["path"]) >= 2
        covered = sum(p["area_m2"] for p in body["parts"])
        assert abs(covered - whole["area_m2"]) / whole["area_m2"] < 0.02
        # a parameter change changes the plan: less overlap, fewer lanes, less time
        sparse = (await api.post("/api/templates/RUR-01/plan", "commander", json={
            "inputs": {"area": FIELD}, "params": {"side_overlap_pct": 40}})).json()
        dense = (await api.post("/api/templates/RUR-01/plan", "commander", json={
            "inputs": {"area": FIELD}, "params": {"side_overlap_pct": 85}})).json()
        assert sparse["flight_time_s"] < dense["flight_time_s"]


async def test_split_and_parameters_refuse_bad_input_by_name(tmp_path: Path) -> None:
    async with running_api(tmp_path) as api:
        point = await api.post("/api/templates/CTY-04/split", "commander",
                               json={"inputs": {"point": [37.47, 122.05]}})
        assert point.status_code == 422
        assert point.json()["code"] == "plan.split_needs_area"
        assert point.json()["field"] == "inputs.area"
        steep = await api.post("/api/templates/RUR-01/split", "commander", json={
            "inputs": {"area": FARMLAND}, "params": {"side_overlap_pct": 99}})
        assert steep.status_code == 422
        assert steep.json()["field"] == "side_overlap_pct"
        assert "95" in str(steep.json()["limit"])
        # a county-sized area is refused at once: it needs more sorties than a fleet has
        county = [[37.30, 121.90], [37.30, 122.30], [37.55, 122.30], [37.55, 121.90]]
        huge = await api.post("/api/templates/RUR-01/split", "commander",
                              json={"inputs": {"area": county}})
        assert huge.status_code == 422 and huge.json()["code"] == "plan.split_too_many"
        assert huge.json()["params"]["parts_needed"] > huge.json()["params"]["max_parts"]
        hostile = await api.post("/api/templates/RUR-01/split", "commander",
                                 json={"inputs": {"area": [[91, 0], [0, 0], [0, 1]]}})
        assert hostile.status_code == 422


async def test_a_plan_is_checked_against_a_chosen_drone(tmp_path: Path) -> None:
    async with flying_api(tmp_path, drones=1) as api:
        fleet = (await api.get("/api/fleet")).json()
        sid = fleet[0]["drone_id"]
        small = [list(near(n, e)) for n, e in ((300, 0), (300, 300), (600, 300), (600, 0))]
        large = [list(near(n, e)) for n, e in ((300, 0), (300, 1400), (1700, 1400), (1700, 0))]
        ok = await api.post("/api/templates/RUR-01/check", "pilot", json={
            "inputs": {"area": small}, "drone_id": sid})
        assert ok.status_code == 200, ok.text
        body = ok.json()
        assert body["can_fly"] is True, body
        assert [d["drone_id"] for d in body["drones"]] == [sid]
        assert 0 < body["drones"][0]["energy_pct"] < 80
        big = (await api.post("/api/templates/RUR-01/check", "pilot", json={
            "inputs": {"area": large}, "drone_id": sid})).json()
        assert big["can_fly"] is False
        assert big["drones"][0]["energy_pct"] > 100
