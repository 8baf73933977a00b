"""Changing a flight while it flies, over HTTP: recall, redirect (checked first), and a pilot
taking the drone over by hand and releasing it back to its mission."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.api.harness import Api, eventually, flying_api, incident_state_is, near

LIUGONG_ISLAND = (37.5085, 122.2155)


async def _dispatch(api: Api, north_m: float, east_m: float, playbook_id: str = "P01") -> int:
    lat, lon = near(north_m, east_m)
    response = await api.post(
        "/api/incidents",
        "commander",
        json={"playbook_id": playbook_id, "latitude_deg": lat, "longitude_deg": lon},
    )
    assert response.status_code == 201, response.text
    return int(response.json()["incident"]["id"])


async def _live(api: Api, system_id: int = 1) -> dict[str, Any]:
    return dict((await api.get(f"/api/fleet/{system_id}")).json()["live"])


async def test_recall_mid_flight_brings_the_drone_home(tmp_path: Path) -> None:
    async with flying_api(tmp_path, drones=1) as api:
        incident_id = await _dispatch(api, 600, 0)
        await incident_state_is(api, incident_id, "en_route")
        assert (await api.post(f"/api/incidents/{incident_id}/recall", "pilot")).status_code == 403
        recalled = await api.post(f"/api/incidents/{incident_id}/recall", "commander")
        assert recalled.status_code == 200, recalled.text
        assert recalled.json()["state"] == "returning"
        assert (await _live(api))["mode"] == "RTL"
        await incident_state_is(api, incident_id, "closed")
        record = (await api.get(f"/api/incidents/{incident_id}/record")).json()
        states = [e["to_state"] for e in record["events"] if e["kind"] == "incident.state"]
        assert "on_scene" not in states and states[-2:] == ["returning", "closed"]
        assert any(e["kind"] == "recall" and e["actor"] == "commander" for e in record["events"])
        assert ("rtl", "ACCEPTED") in {(c["command"], c["result"]) for c in record["commands"]}


async def test_redirect_mid_flight_goes_to_the_new_point_and_refuses_a_no_fly_one(
    tmp_path: Path,
) -> None:
    async with flying_api(tmp_path, drones=1) as api:
        incident_id = await _dispatch(api, 500, 0)
        await incident_state_is(api, incident_id, "en_route")
        into_zone = await api.post(
            f"/api/incidents/{incident_id}/redirect",
            "commander",
            json={"latitude_deg": LIUGONG_ISLAND[0], "longitude_deg": LIUGONG_ISLAND[1]},
        )
        assert into_zone.status_code == 422
        assert (
            into_zone.json()["field"] == "latitude_deg" and "Liugong" in into_zone.json()["limit"]
        )
        new_lat, new_lon = near(-300, 300)
        moved = await api.post(
            f"/api/incidents/{incident_id}/redirect",
            "commander",
            json={"latitude_deg": new_lat, "longitude_deg": new_lon},
        )
        assert moved.status_code == 200, moved.text
        assert abs(moved.json()["latitude_deg"] - new_lat) < 1e-9
        await incident_state_is(api, incident_id, "on_scene", "returning", "closed")
        record = (await api.get(f"/api/incidents/{incident_id}/record")).json()
        mission = record["missions"][0]
        scene = [i for i in mission["items"] if i["command"] in (16, 18, 19)]
        assert scene, mission["items"]
        # the flight on scene is round the new point (south-east of base), not the old one
        assert min(abs(i["latitude_deg"] - new_lat) for i in scene) < 0.002
        assert ("commander", "incident.redirect") in {
            (a["actor"], a["action"]) for a in record["audit"]
        }
        await api.post(f"/api/incidents/{incident_id}/recall", "commander")
        await incident_state_is(api, incident_id, "closed")


async def test_pilot_takes_over_flies_by_hand_and_releases(tmp_path: Path) -> None:
    async with flying_api(tmp_path, drones=1) as api:
        incident_id = await _dispatch(api, 800, 0)
        await incident_state_is(api, incident_id, "en_route")
        assert (await api.post("/api/fleet/1/pause", "observer")).status_code == 403
        taken = await api.post("/api/fleet/1/pause", "pilot")
        assert taken.status_code == 200, taken.text
        assert taken.json()["live"]["mode"] in ("BRAKE", "LOITER", "GUIDED")
        # by hand, still within the ceiling
        lat, lon = near(100, 200)
        goto = {"latitude_deg": lat, "longitude_deg": lon, "relative_altitude_m": 40}
        over = await api.post(
            "/api/fleet/1/goto", "pilot", json={**goto, "relative_altitude_m": 150}
        )
        assert over.status_code == 422 and over.json()["field"] == "relative_altitude_m"
        redirect = await api.post(
            f"/api/incidents/{incident_id}/redirect",
            "commander",
            json={"latitude_deg": lat, "longitude_deg": lon},
        )
        assert redirect.status_code == 409  # the drone is with the pilot until released
        flown = await api.post("/api/fleet/1/goto", "pilot", json=goto)
        assert flown.status_code == 200, flown.text

        async def arrived() -> bool:
            live = await _live(api)
            return (
                abs(live["latitude_deg"] - lat) < 2e-4 and abs(live["longitude_deg"] - lon) < 2e-4
            )

        await eventually(arrived, 60, "the drone at the pilot's point")
        mission = (await api.get("/api/missions", params={"incident_id": incident_id})).json()[0]
        assert mission["state"] == "paused"
        released = await api.post("/api/fleet/1/release", "pilot")
        assert released.status_code == 200, released.text

        async def resumed() -> bool:
            return (await _live(api))["mode"] == "AUTO"

        await eventually(resumed, 30, "the mission resumed in AUTO")
        await incident_state_is(api, incident_id, "on_scene", "returning", "closed")
        trail = (await api.get("/api/audit", params={"target_type": "vehicle"})).json()
        actions = [(e["actor"], e["action"]) for e in trail]
        assert ("pilot", "vehicle.take_over") in actions
        assert ("pilot", "vehicle.release") in actions
        assert ("pilot", "vehicle.goto") in actions
        await api.post(f"/api/incidents/{incident_id}/recall", "commander")
        await incident_state_is(api, incident_id, "closed")
