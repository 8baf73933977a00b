"""Incidents over HTTP against the built-in simulator: reported, flown to the end and closed
with an audit entry for every step; queued by priority with one drone free; refused or queued
with the reason (no-fly zone, out of range); roles (403, 401)."""

from __future__ import annotations

from pathlib import Path

from tests.api.harness import eventually, flying_api, incident_state_is, near, watch

FLOWN = ["reported", "assigned", "launching", "en_route", "on_scene", "returning", "closed"]
#: Liugong Island's military administration area, a sample no-fly zone off Weihai.
LIUGONG_ISLAND = (37.5085, 122.2155)


async def test_incident_is_flown_to_the_end_and_closed_with_audit(
    tmp_path: Path, backend: str
) -> None:
    async with (
        flying_api(tmp_path, drones=1, backend=backend) as api,
        watch(api, "incident", "command", "mission.progress", "telemetry") as stream,
    ):
        lat, lon = near(250, 100)
        response = await api.post(
            "/api/incidents",
            "commander",
            json={
                "playbook_id": "P01",
                "latitude_deg": lat,
                "longitude_deg": lon,
                "title": "110: fight reported at the night market",
            },
        )
        assert response.status_code == 201, response.text
        body = response.json()
        incident_id = body["incident"]["id"]
        assert body["choice"]["candidates"][0]["system_id"] == 1
        assert body["choice"]["candidates"][0]["eta_s"] > 0
        on_scene = await incident_state_is(api, incident_id, "on_scene", "returning", "closed")
        assert on_scene["vehicle_system_id"] == 1
        await incident_state_is(api, incident_id, "closed", timeout_s=240)

        record = (await api.get(f"/api/incidents/{incident_id}/record")).json()
        states = [e["to_state"] for e in record["events"] if e["kind"] == "incident.state"]
        assert states == FLOWN
        commands = {(c["command"], c["result"]) for c in record["commands"]}
        assert ("upload_mission", "ACCEPTED") in commands
        assert ("start_mission", "ACCEPTED") in commands
        assert record["missions"] and record["path"]
        steps = [(a["actor"], a["action"]) for a in record["audit"]]
        assert ("commander", "incident.report") in steps
        for state in FLOWN[1:]:
            assert ("dispatcher", f"incident.{state}") in steps
        # the request itself is in the trail with the user who made it
        trail = (await api.get("/api/audit", params={"actor": "commander"})).json()
        assert any(
            e["details"].get("path") == "/api/incidents" and e["details"]["status"] == 201
            for e in trail
        )
        assert (await api.get("/api/audit/verify")).json()["ok"] is True

        # the WebSocket showed it all as it happened: every state, the commands with their
        # acknowledgements, mission progress and the drone's telemetry
        def streamed() -> list[str]:
            return [
                e["data"]["state"]
                for e in stream.events
                if e["topic"] == "incident" and e["data"]["id"] == incident_id
            ]

        async def closed_streamed() -> bool:
            return "closed" in streamed()

        await eventually(closed_streamed, 10, "the closing on the WebSocket")
        assert streamed() == FLOWN
        seen = stream.events
        acks = {
            (e["data"]["command"], e["data"]["result"]) for e in seen if e["topic"] == "command"
        }
        assert ("start_mission", "ACCEPTED") in acks
        assert any(e["topic"] == "mission.progress" for e in seen)
        assert any(e["topic"] == "telemetry" for e in seen)


async def test_only_a_commander_dispatches(tmp_path: Path) -> None:
    async with flying_api(tmp_path, drones=1) as api:
        lat, lon = near(200, 0)
        incident = {"playbook_id": "P01", "latitude_deg": lat, "longitude_deg": lon}
        for role in ("observer", "pilot", "admin"):
            refused = await api.post("/api/incidents", role, json=incident)
            assert refused.status_code == 403, role
            assert refused.headers["content-type"].startswith("application/problem+json")
        assert (await api.client.post("/api/incidents", json=incident)).status_code == 401
        assert (await api.get("/api/incidents")).json() == []
        bad = await api.post("/api/incidents", "commander", json={**incident, "latitude_deg": 91})
        assert bad.status_code == 422 and bad.json()["field"] == "latitude_deg"
        unknown = await api.post(
            "/api/incidents", "commander", json={**incident, "playbook_id": "P20"}
        )
        assert unknown.status_code == 422 and unknown.json()["field"] == "playbook_id"


async def test_second_and_third_incident_queue_and_are_served_by_priority(tmp_path: Path) -> None:
    async with flying_api(tmp_path, drones=1) as api:

        async def report(playbook_id: str, north_m: float) -> int:
            lat, lon = near(north_m, 50)
            response = await api.post(
                "/api/incidents",
                "commander",
                json={"playbook_id": playbook_id, "latitude_deg": lat, "longitude_deg": lon},
            )
            assert response.status_code == 201, response.text
            return int(response.json()["incident"]["id"])

        first = await report("P01", 300)  # priority 2, takes the only drone
        await incident_state_is(api, first, "launching", "en_route", "on_scene")
        drone = (await api.get("/api/fleet/1")).json()
        assert drone["busy_with"] == f"incident {first}"
        routine = await report("P09", 200)  # routine patrol, priority 5
        urgent = await report("P12", 250)  # maritime incident, priority 2
        for waiting in (routine, urgent):
            queued = await incident_state_is(api, waiting, "queued")
            assert "busy" in queued["reason"] and "incident" in queued["reason"]
        queue = (await api.get("/api/incidents/queue")).json()
        assert [q["incident_id"] for q in queue] == [urgent, routine]
        # free the drone: the urgent one goes next, the routine one keeps waiting
        recalled = await api.post(f"/api/incidents/{first}/recall", "commander")
        assert recalled.status_code == 200, recalled.text
        await incident_state_is(api, first, "closed")
        await incident_state_is(api, urgent, "launching", "en_route", "on_scene")
        assert (await api.get(f"/api/incidents/{routine}")).json()["state"] == "queued"
        cancelled = await api.post(
            f"/api/incidents/{routine}/cancel",
            "commander",
            json={"reason": "resolved by the patrol car"},
        )
        assert cancelled.json()["state"] == "cancelled"
        await api.post(f"/api/incidents/{urgent}/recall", "commander")
        await incident_state_is(api, urgent, "closed")


async def test_no_fly_zone_and_out_of_range_are_refused_with_the_reason(tmp_path: Path) -> None:
    async with flying_api(tmp_path, drones=1) as api:
        inside = await api.post(
            "/api/incidents",
            "commander",
            json={
                "playbook_id": "P12",
                "latitude_deg": LIUGONG_ISLAND[0],
                "longitude_deg": LIUGONG_ISLAND[1],
            },
        )
        assert inside.status_code == 201
        refused = await incident_state_is(api, inside.json()["incident"]["id"], "failed")
        assert "no-fly" in refused["reason"] and "Liugong" in refused["reason"]

        far_lat, far_lon = near(0, -60_000)  # 60 km inland: past every drone's range
        proposal = (
            await api.post(
                "/api/incidents/proposal",
                "observer",
                json={"playbook_id": "P01", "latitude_deg": far_lat, "longitude_deg": far_lon},
            )
        ).json()
        assert proposal["candidates"] == []
        assert proposal["rejected"][0]["code"] == "range"
        far = await api.post(
            "/api/incidents",
            "commander",
            json={"playbook_id": "P01", "latitude_deg": far_lat, "longitude_deg": far_lon},
        )
        out_of_range = await incident_state_is(
            api, far.json()["incident"]["id"], "failed", "queued"
        )
        assert "out of range" in out_of_range["reason"]


async def test_playbook_waits_for_a_pilot_to_confirm_the_launch(tmp_path: Path) -> None:
    async with flying_api(tmp_path, drones=1) as api:
        lat, lon = near(150, 80)
        reported = await api.post(
            "/api/incidents",
            "commander",
            json={
                "playbook_id": "P13",
                "latitude_deg": lat,
                "longitude_deg": lon,
                "title": "drowning at the beach",
            },
        )
        body = reported.json()["incident"]
        assert body["needs_confirmation"] is True
        held = await incident_state_is(api, body["id"], "assigned")
        assert held["vehicle_system_id"] == 1
        refused = await api.post(f"/api/incidents/{body['id']}/confirm", "observer")
        assert refused.status_code == 403
        confirmed = await api.post(f"/api/incidents/{body['id']}/confirm", "pilot")
        assert confirmed.status_code == 200, confirmed.text
        flying = await incident_state_is(api, body["id"], "launching", "en_route", "on_scene")
        assert flying["confirmed_by"] == "pilot"
        again = await api.post(f"/api/incidents/{body['id']}/confirm", "pilot")
        assert again.status_code == 409 and again.json()["field"] == "incident_id"
        await api.post(f"/api/incidents/{body['id']}/recall", "commander")
        await incident_state_is(api, body["id"], "closed")
