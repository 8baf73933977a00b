"""Incidents as cases over HTTP against the built-in simulator: a case is flown by a sortie to
the end and stays open until a commander closes it with an outcome, with an audit entry for
every step; sorties of several cases wait by priority with one drone free; a case no drone can
take (no-fly zone, out of range) stays open and unassigned with every drone's reason; the
two-person rule on a pilot's confirmation; roles (403, 401)."""

from __future__ import annotations

from pathlib import Path

from tests.api.harness import (
    eventually,
    flying_api,
    incident_state_is,
    near,
    sortie_state_is,
    watch,
)

FLOWN = ["planned", "launching", "en_route", "on_scene", "returning", "landed"]
#: Liugong Island's military administration area, a sample no-fly zone off Weihai.
LIUGONG_ISLAND = (37.5085, 122.2155)


async def test_incident_is_flown_stays_open_and_is_closed_by_a_commander_with_an_outcome(
    tmp_path: Path, backend: str
) -> None:
    async with (
        flying_api(tmp_path, drones=1, backend=backend) as api,
        watch(api, "incident", "sortie", "command", "mission.progress", "telemetry") as stream,
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
        assert body["incident"]["state"] == "open"
        assert body["choice"]["candidates"][0]["drone_id"] == 1
        assert body["choice"]["candidates"][0]["eta_s"] > 0
        on_scene = await sortie_state_is(api, incident_id, "on_scene", "returning", "landed")
        assert on_scene["drone_id"] == 1
        assert on_scene["sorties"][0]["drone_id"] == 1
        landed = await sortie_state_is(api, incident_id, "landed", timeout_s=240)
        # the drone is down; the case is not: it waits for the commander's outcome
        assert landed["state"] == "open" and landed["outcome"] == ""
        (sortie,) = landed["sorties"]
        assert sortie["launched_at"] and sortie["on_scene_at"] and sortie["ended_at"]
        assert [c["id"] for c in (await api.get("/api/incidents?state=open")).json()] == [
            incident_id
        ]
        refused = await api.post(
            f"/api/incidents/{incident_id}/close", "pilot", json={"outcome": "resolved"}
        )
        assert refused.status_code == 403
        bad = await api.post(
            f"/api/incidents/{incident_id}/close", "commander", json={"outcome": "done"}
        )
        assert bad.status_code == 422 and bad.json()["field"] == "outcome"
        closed = await api.post(
            f"/api/incidents/{incident_id}/close",
            "commander",
            json={"outcome": "resolved", "note": "two detained by the patrol car"},
        )
        assert closed.status_code == 200, closed.text
        case = closed.json()
        assert (case["state"], case["outcome"], case["closed_by"]) == (
            "closed", "resolved", "commander")
        assert case["outcome_note"] == "two detained by the patrol car"
        again = await api.post(
            f"/api/incidents/{incident_id}/close", "commander", json={"outcome": "resolved"}
        )
        assert again.status_code == 409 and again.json()["code"] == "case.not_open"

        record = (await api.get(f"/api/incidents/{incident_id}/record")).json()
        states = [e["to_state"] for e in record["events"] if e["kind"] == "sortie.state"]
        assert states == FLOWN
        case_states = [e["to_state"] for e in record["events"] if e["kind"] == "incident.state"]
        assert case_states == ["open", "closed"]
        commands = {(c["command"], c["result"]) for c in record["commands"]}
        assert ("upload_mission", "ACCEPTED") in commands
        assert ("start_mission", "ACCEPTED") in commands
        assert record["missions"] and record["path"]
        steps = [(a["actor"], a["action"]) for a in record["audit"]]
        assert ("commander", "incident.report") in steps
        for state in FLOWN[1:]:
            assert ("dispatcher", f"sortie.{state}") in steps
        closing = next(a for a in record["audit"] if a["action"] == "incident.closed")
        assert closing["actor"] == "commander" and closing["details"]["outcome"] == "resolved"
        # the request itself is in the trail with the user who made it
        trail = (await api.get("/api/audit", params={"actor": "commander"})).json()
        assert any(
            e["details"].get("path") == "/api/incidents" and e["details"]["status"] == 201
            for e in trail
        )
        assert (await api.get("/api/audit/verify")).json()["ok"] is True

        # the WebSocket showed it all as it happened: every sortie state, the case closing,
        # the commands with their acknowledgements, mission progress and telemetry
        def streamed() -> list[str]:
            return [
                e["data"]["state"]
                for e in stream.events
                if e["topic"] == "sortie" and e["data"].get("code") == "sortie.state"
                and e["data"]["incident_id"] == incident_id
            ]

        async def closed_streamed() -> bool:
            return any(
                e["topic"] == "incident" and e["data"]["id"] == incident_id
                and e["data"]["state"] == "closed"
                for e in stream.events
            )

        await eventually(closed_streamed, 10, "the closing on the WebSocket")
        assert streamed() == FLOWN[1:]
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
        bad_state = await api.get("/api/incidents", params={"state": "flying"})
        assert bad_state.status_code == 422 and bad_state.json()["field"] == "state"


async def test_cases_wait_unassigned_and_are_served_by_priority_when_the_drone_frees(
    tmp_path: Path,
) -> None:
    async with flying_api(tmp_path, drones=1) as api, watch(api, "case") as stream:

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
        await sortie_state_is(api, first, "launching", "en_route", "on_scene")
        drone = (await api.get("/api/fleet/1")).json()
        assert drone["busy_with"] == f"incident {first}"
        routine = await report("P09", 200)  # routine patrol, priority 5
        urgent = await report("P12", 250)  # maritime incident, priority 2
        for waiting in (routine, urgent):
            case = (await api.get(f"/api/incidents/{waiting}")).json()
            assert case["state"] == "open"
            assert case["sorties"][0]["state"] == "planned"
            assert case["sorties"][0]["drone_id"] is None
            (why,) = case["unassigned"]
            assert why["drone_id"] == 1 and why["code"] == "drone.busy"
            assert why["params"]["busy_with"] == f"incident {first}"
            assert "busy" in case["reason"]

        async def both_published() -> bool:
            ids = {e["data"]["case_id"] for e in stream.events
                   if e["data"].get("code") == "case.unassigned"}
            return {routine, urgent} <= ids

        await eventually(both_published, 10, "case.unassigned for both waiting cases")
        queue = (await api.get("/api/incidents/queue")).json()
        assert [q["incident_id"] for q in queue] == [urgent, routine]
        # free the drone: the urgent one goes next, the routine one keeps waiting
        recalled = await api.post(f"/api/incidents/{first}/recall", "commander")
        assert recalled.status_code == 200, recalled.text
        await sortie_state_is(api, first, "landed")
        served = await sortie_state_is(api, urgent, "launching", "en_route", "on_scene")
        assert served["unassigned"] is None and served["sorties"][0]["drone_id"] == 1
        routine_case = (await api.get(f"/api/incidents/{routine}")).json()
        assert routine_case["state"] == "open" and routine_case["unassigned"]
        cancelled = await api.post(
            f"/api/incidents/{routine}/cancel",
            "commander",
            json={"reason": "resolved by the patrol car"},
        )
        body = cancelled.json()
        assert body["state"] == "cancelled" and body["sorties"][0]["state"] == "aborted"
        await api.post(f"/api/incidents/{urgent}/recall", "commander")
        await sortie_state_is(api, urgent, "landed")
        assert (await api.get(f"/api/incidents/{first}")).json()["state"] == "open"


async def test_a_case_no_drone_can_take_stays_open_and_unassigned_with_every_reason(
    tmp_path: Path,
) -> None:
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
        zone_case = inside.json()["incident"]
        assert zone_case["state"] == "open"
        (why,) = zone_case["unassigned"]
        assert why["code"] == "drone.in_no_fly_zone" and "Liugong" in why["params"]["zone"]
        assert "no-fly" in zone_case["reason"] and "Liugong" in zone_case["reason"]

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
        assert proposal["rejected"][0]["message_code"] == "drone.out_of_range"
        far = await api.post(
            "/api/incidents",
            "commander",
            json={"playbook_id": "P01", "latitude_deg": far_lat, "longitude_deg": far_lon},
        )
        far_id = far.json()["incident"]["id"]
        await api.get(f"/api/incidents/{far_id}")
        case = (await api.get(f"/api/incidents/{far_id}")).json()
        assert case["state"] == "open"
        (why,) = case["unassigned"]
        assert why["code"] == "drone.out_of_range" and why["drone"] == "drone-1"
        assert why["params"]["distance_m"] > 59_000
        assert why["params"]["reserve_pct"] == 20 and why["params"]["needed_pct"] > 80
        assert "out of range" in case["reason"]
        # both are in the list of open cases; neither vanished
        open_ids = {c["id"] for c in (await api.get("/api/incidents?state=open")).json()}
        assert {zone_case["id"], far_id} <= open_ids
        # an operator may still name a drone: refused with the reason, the case unchanged
        named = await api.post(
            f"/api/incidents/{far_id}/sorties", "commander", json={"drone_id": 1}
        )
        assert named.status_code == 409
        assert named.json()["code"] == "drone.out_of_range"
        assert named.json()["field"] == "drone_id"
        # or close it
        closed = await api.post(
            f"/api/incidents/{far_id}/close",
            "commander",
            json={"outcome": "referred", "note": "sent to the Rushan unit"},
        )
        body = closed.json()
        assert body["state"] == "closed" and body["sorties"][0]["state"] == "aborted"
        assert body["unassigned"] is None


async def test_the_dispatching_commander_cannot_confirm_his_own_launch(tmp_path: Path) -> None:
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
        held = await sortie_state_is(api, body["id"], "waiting_pilot")
        assert held["sorties"][0]["drone_id"] == 1
        assert held["sorties"][0]["dispatched_by"] == "commander"
        refused = await api.post(f"/api/incidents/{body['id']}/confirm", "observer")
        assert refused.status_code == 403
        own = await api.post(f"/api/incidents/{body['id']}/confirm", "commander")
        assert own.status_code == 403
        assert own.json()["code"] == "sortie.confirm_needs_pilot"
        assert (await api.get(f"/api/incidents/{body['id']}")).json()["sorties"][0][
            "state"] == "waiting_pilot"
        confirmed = await api.post(f"/api/incidents/{body['id']}/confirm", "pilot")
        assert confirmed.status_code == 200, confirmed.text
        flying = await sortie_state_is(api, body["id"], "launching", "en_route", "on_scene")
        assert flying["confirmed_by"] == "pilot"
        assert flying["sorties"][0]["confirmed_by"] == "pilot"
        again = await api.post(f"/api/incidents/{body['id']}/confirm", "pilot")
        assert again.status_code == 409 and again.json()["field"] == "incident_id"
        record = (await api.get(f"/api/incidents/{body['id']}/record")).json()
        confirmation = next(a for a in record["audit"] if a["action"] == "incident.confirm")
        assert confirmation["actor"] == "pilot"
        assert confirmation["details"]["dispatched_by"] == "commander"
        assert confirmation["details"]["two_person"] is True
        await api.post(f"/api/incidents/{body['id']}/recall", "commander")
        await sortie_state_is(api, body["id"], "landed")
        await incident_state_is(api, body["id"], "open")
