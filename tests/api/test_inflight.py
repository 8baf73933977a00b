"""Changing a flight while it flies, over HTTP: recall, redirect (checked first), a pilot
taking the drone over by hand and releasing it back to its mission, and a drone a pilot set
down in the street: ``landed_away``, never proposed from there, until marked recovered."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.api.harness import Api, eventually, flying_api, near, sortie_state_is, watch

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


async def _live(api: Api, drone_id: int = 1) -> dict[str, Any]:
    return dict((await api.get(f"/api/fleet/{drone_id}")).json()["live"])


async def test_recall_mid_flight_brings_the_drone_home(tmp_path: Path) -> None:
    async with flying_api(tmp_path, drones=1) as api:
        incident_id = await _dispatch(api, 600, 0)
        await sortie_state_is(api, incident_id, "en_route")
        assert (await api.post(f"/api/incidents/{incident_id}/recall", "pilot")).status_code == 403
        recalled = await api.post(f"/api/incidents/{incident_id}/recall", "commander")
        assert recalled.status_code == 200, recalled.text
        assert recalled.json()["sorties"][0]["state"] == "returning"
        assert recalled.json()["state"] == "open"
        assert (await _live(api))["mode"] == "RTL"
        await sortie_state_is(api, incident_id, "landed")
        record = (await api.get(f"/api/incidents/{incident_id}/record")).json()
        states = [e["to_state"] for e in record["events"] if e["kind"] == "sortie.state"]
        assert "on_scene" not in states and states[-2:] == ["returning", "landed"]
        # it came home: available, not landed away
        assert (await api.get("/api/fleet/1")).json()["status"] == "available"
        assert any(e["kind"] == "recall" and e["actor"] == "commander" for e in record["events"])
        assert ("rtl", "ACCEPTED") in {(c["command"], c["result"]) for c in record["commands"]}


async def test_redirect_mid_flight_goes_to_the_new_point_and_refuses_a_no_fly_one(
    tmp_path: Path,
) -> None:
    async with flying_api(tmp_path, drones=1) as api:
        incident_id = await _dispatch(api, 500, 0)
        await sortie_state_is(api, incident_id, "en_route")
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
        await sortie_state_is(api, incident_id, "on_scene", "returning", "landed")
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
        await sortie_state_is(api, incident_id, "landed")


async def test_pilot_takes_over_flies_by_hand_and_releases(tmp_path: Path) -> None:
    async with flying_api(tmp_path, drones=1) as api:
        incident_id = await _dispatch(api, 800, 0)
        await sortie_state_is(api, incident_id, "en_route")
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
        await sortie_state_is(api, incident_id, "on_scene", "returning", "landed")
        trail = (await api.get("/api/audit", params={"target_type": "vehicle"})).json()
        actions = [(e["actor"], e["action"]) for e in trail]
        assert ("pilot", "vehicle.take_over") in actions
        assert ("pilot", "vehicle.release") in actions
        assert ("pilot", "vehicle.goto") in actions
        await api.post(f"/api/incidents/{incident_id}/recall", "commander")
        await sortie_state_is(api, incident_id, "landed")


async def test_a_drone_landed_in_the_street_is_landed_away_and_not_proposed(
    tmp_path: Path,
) -> None:
    async with flying_api(tmp_path, drones=1) as api, watch(api, "sortie") as stream:
        incident_id = await _dispatch(api, 600, 0)
        await sortie_state_is(api, incident_id, "en_route")

        async def airborne() -> bool:
            return (await _live(api))["relative_altitude_m"] > 10

        await eventually(airborne, 60, "the drone in the air")
        assert (await api.post("/api/fleet/1/pause", "pilot")).status_code == 200
        lat, lon = near(300, 250)
        goto = {"latitude_deg": lat, "longitude_deg": lon, "relative_altitude_m": 40}
        assert (await api.post("/api/fleet/1/goto", "pilot", json=goto)).status_code == 200

        async def there() -> bool:
            live = await _live(api)
            return (
                abs(live["latitude_deg"] - lat) < 3e-4 and abs(live["longitude_deg"] - lon) < 3e-4
            )

        await eventually(there, 60, "the drone at the pilot's point")
        landing = await api.post("/api/fleet/1/land", "pilot")
        assert landing.status_code == 200, landing.text
        await sortie_state_is(api, incident_id, "landed", timeout_s=120)

        async def landed_away() -> bool:
            return (await api.get("/api/fleet/1")).json()["status"] == "landed_away"

        await eventually(landed_away, 30, "the drone marked landed away")
        (event,) = [e["data"] for e in stream.events
                    if e["data"].get("code") == "drone.landed_away"]
        assert event["drone_id"] == 1 and event["distance_m"] > 300
        assert event["sortie_id"] is not None

        # the next case does not get it, and its range is never counted from the street
        nearby = near(350, 250)  # 50 m from where it sits: it would be "closest"
        proposal = (await api.post("/api/incidents/proposal", "observer", json={
            "playbook_id": "P01", "latitude_deg": nearby[0], "longitude_deg": nearby[1]})).json()
        assert proposal["candidates"] == []
        (rejected,) = proposal["rejected"]
        assert rejected["message_code"] == "drone.landed_away"
        second = await api.post("/api/incidents", "commander", json={
            "playbook_id": "P01", "latitude_deg": nearby[0], "longitude_deg": nearby[1]})
        second_id = second.json()["incident"]["id"]
        case = (await api.get(f"/api/incidents/{second_id}")).json()
        assert [r["code"] for r in case["unassigned"]] == ["drone.landed_away"]
        await api.post(f"/api/incidents/{second_id}/close", "commander",
                       json={"outcome": "no_action"})

        # someone fetched it: marked recovered, it is proposed again
        assert (await api.post("/api/fleet/1/recovered", "observer")).status_code == 403
        recovered = await api.post("/api/fleet/1/recovered", "pilot")
        assert recovered.status_code == 200, recovered.text
        assert (await api.get("/api/fleet/1")).json()["status"] == "available"
        again = await api.post("/api/fleet/1/recovered", "pilot")
        assert again.status_code == 409 and again.json()["code"] == "drone.not_landed_away"
        proposal = (await api.post("/api/incidents/proposal", "observer", json={
            "playbook_id": "P01", "latitude_deg": nearby[0], "longitude_deg": nearby[1]})).json()
        assert [c["drone_id"] for c in proposal["candidates"]] == [1]
        trail = (await api.get("/api/audit", params={"target_type": "vehicle"})).json()
        statuses = [(e["actor"], e["details"].get("to")) for e in trail
                    if e["action"] == "vehicle.status"]
        assert ("dispatcher", "landed_away") in statuses and ("pilot", "available") in statuses
