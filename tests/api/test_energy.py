"""A drone's energy over the API: after a flight on the built-in simulator the history shows
its plan against what it used, the corrected endurance and the limits read from the vehicle;
the live stream announces the record; bad requests get a clear 4xx."""

from __future__ import annotations

from pathlib import Path

from tests.api.harness import eventually, flying_api, near, sortie_state_is, watch


async def test_the_energy_history_of_a_drone_after_a_flight(tmp_path: Path) -> None:
    async with flying_api(tmp_path, drones=1) as api, watch(api, "energy") as stream:
        empty = (await api.get("/api/fleet/1/energy")).json()
        assert empty["flights"] == []
        assert empty["endurance"]["basis"] == "nominal"
        assert empty["endurance"]["corrected_endurance_s"] == 1800.0
        assert empty["limits"]["source"] == "vehicle"
        assert empty["limits"]["angle_max_deg"] == 30.0
        assert empty["limits"]["capacity_mah"] == 3300.0
        lat, lon = near(250, 100)
        response = await api.post("/api/incidents", "commander", json={
            "playbook_id": "P01", "latitude_deg": lat, "longitude_deg": lon,
            "title": "110: fight reported"})
        assert response.status_code == 201, response.text
        incident_id = response.json()["incident"]["id"]
        await sortie_state_is(api, incident_id, "landed", timeout_s=240)

        async def recorded() -> bool:
            return bool((await api.get("/api/fleet/1/energy")).json()["flights"])

        await eventually(recorded, what="the flight's energy record")
        view = (await api.get("/api/fleet/1/energy", "observer")).json()

        def announcements() -> list[dict]:
            return [e["data"] for e in stream.events
                    if e["topic"] == "energy" and e["data"].get("event") == "recorded"]

        async def announced_yet() -> bool:
            return bool(announcements())

        await eventually(announced_yet, what="the record on the live stream")
        [announced] = announcements()
    [flight] = view["flights"]
    assert flight["incident_id"] == incident_id and flight["completed"] is True
    assert flight["source"] == "consumed_mah" and flight["skip_code"] is None
    assert flight["consumed_mah"] > 0 and flight["used_pct"] > 0
    assert 0.8 < flight["flown_time_s"] / flight["planned_time_s"] < 1.25
    assert view["endurance"]["flights_counted"] == 1
    assert view["endurance"]["basis"] == "nominal"  # one flight is not enough to correct
    assert announced["record"]["id"] == flight["id"]


async def test_energy_requests_are_checked(tmp_path: Path) -> None:
    async with flying_api(tmp_path, drones=1) as api:
        unknown = await api.get("/api/fleet/9/energy")
        assert unknown.status_code == 404
        assert unknown.json()["code"] == "store.not_found"
        for bad in ("limit=0", "limit=201", "limit=x"):
            response = await api.get(f"/api/fleet/1/energy?{bad}")
            assert response.status_code == 422, bad
            assert response.headers["content-type"].startswith("application/problem+json")
        assert (await api.client.get("/api/fleet/1/energy")).status_code == 401
