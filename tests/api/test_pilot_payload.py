"""The payload and flight controls over HTTP against the built-in simulator: each reaches the
simulated drone and answers accepted; a drone without the payload is refused with
``payload.missing`` naming it; a drone that does not answer gives ``command.no_answer``; a
dispatched drone obeys only the pilot who took it over; every command is in the audit trail
with its actor, and ``/control`` says who has the drone and its last command."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.api.harness import ALL_PAYLOADS, Api, eventually, flying_api, near, sortie_state_is


async def _audit(api: Api) -> list[tuple[str, str, Any]]:
    trail = (await api.get("/api/audit", params={"target_type": "vehicle"})).json()
    return [(e["actor"], e["action"], e["details"].get("command")) for e in trail]


async def test_each_control_reaches_the_drone_and_is_audited(tmp_path: Path) -> None:
    async with flying_api(tmp_path, drones=1) as api:
        sim = api.drones[0].vehicle.payload
        clip = {"clip_id": 4}
        assert (await api.post("/api/fleet/1/loudspeaker", "observer", json=clip)).status_code \
            == 403
        played = await api.post("/api/fleet/1/loudspeaker", "pilot", json=clip)
        assert played.status_code == 200, played.text
        assert played.json() == {"drone_id": 1, "command": "loudspeaker", "result": "accepted",
                                 "code": "command.accepted", "controlled_by": None}
        spoken = await api.post("/api/fleet/1/loudspeaker", "pilot",
                                json={"text": "警察执法 请勿靠近"})
        assert spoken.status_code == 200, spoken.text
        assert [(p.clip_id, p.text) for p in sim.played] == [(4, None), (None, "警察执法 请勿靠近")]
        both = await api.post("/api/fleet/1/loudspeaker", "pilot",
                              json={"clip_id": 1, "text": "x"})
        assert both.status_code == 422
        too_long = await api.post("/api/fleet/1/loudspeaker", "pilot", json={"text": "很" * 50})
        assert too_long.status_code == 422 and "127" in too_long.text
        blank = await api.post("/api/fleet/1/loudspeaker", "pilot", json={"text": "   "})
        assert blank.status_code == 422 and blank.json()["field"] == "text"

        # no spotlight on this drone: refused, naming it, nothing sent
        dark = await api.post("/api/fleet/1/spotlight", "pilot", json={"on": True})
        assert dark.status_code == 409, dark.text
        assert dark.json()["code"] == "payload.missing" and dark.json()["payload"] == "spotlight"
        assert sim.spotlight_changes == []
        fitted = await api.patch("/api/fleet/1", "admin",
                                 json={"payloads": [*ALL_PAYLOADS, "spotlight"]})
        assert fitted.status_code == 200, fitted.text
        lit = await api.post("/api/fleet/1/spotlight", "pilot", json={"on": True})
        assert lit.status_code == 200, lit.text
        assert sim.spotlight_on

        for path, body in [
            ("drop", None),
            ("gimbal", {"pitch_deg": -60, "yaw_deg": 15}),
            ("zoom", {"zoom_percent": 80}),
            ("camera", {"source": "ir"}),
            ("speed", {"speed_m_s": 7}),
        ]:
            answer = await api.post(f"/api/fleet/1/{path}", "pilot", json=body)
            assert answer.status_code == 200, (path, answer.text)
            assert answer.json()["result"] == "accepted"
        assert sim.releases == 1 and sim.gimbal == [(-60.0, 15.0)]
        assert sim.zoom_percent == 80 and sim.camera_source == 2
        bad = await api.post("/api/fleet/1/gimbal", "pilot", json={"pitch_deg": -120})
        assert bad.status_code == 422 and "pitch_deg" in bad.text

        # the drone refuses (an orbit on the ground): the reason comes back
        lat, lon = near(200, 0)
        refused = await api.post("/api/fleet/1/orbit", "pilot",
                                 json={"latitude_deg": lat, "longitude_deg": lon,
                                       "radius_m": 40})
        assert refused.status_code == 409, refused.text
        assert refused.json()["code"] == "command.refused"
        assert refused.json()["result_name"] == "DENIED"

        # a loudspeaker that never answers
        sim.loudspeaker_silent = True
        silent = await api.post("/api/fleet/1/loudspeaker", "pilot", json=clip)
        assert silent.status_code == 504, silent.text
        assert silent.json()["code"] == "command.no_answer"

        async def all_recorded() -> bool:
            commands = {c for a, act, c in await _audit(api)
                        if act == "vehicle.command" and a == "pilot"}
            return commands >= {"loudspeaker", "spotlight", "release_payload", "gimbal", "zoom",
                                "camera_source", "set_speed", "orbit"}

        await eventually(all_recorded, 30, "every command in the audit trail with its pilot")
        requests = {(a, act) for a, act, _ in await _audit(api)}
        assert ("pilot", "vehicle.loudspeaker") in requests
        assert ("pilot", "vehicle.drop") in requests

        control = (await api.get("/api/fleet/1/control", "pilot")).json()
        assert control["dispatched"] is False and control["controlled_by"] is None
        assert control["last_command"]["command"] == "loudspeaker"
        assert control["last_command"]["actor"] == "pilot"


async def test_a_dispatched_drone_obeys_only_the_pilot_who_took_it_over(tmp_path: Path) -> None:
    async with flying_api(tmp_path, drones=1) as api:
        lat, lon = near(700, 0)
        created = await api.post("/api/incidents", "commander", json={
            "playbook_id": "P01", "latitude_deg": lat, "longitude_deg": lon})
        assert created.status_code == 201, created.text
        incident_id = int(created.json()["incident"]["id"])
        await sortie_state_is(api, incident_id, "en_route")

        async def airborne() -> bool:
            live = (await api.get("/api/fleet/1")).json()["live"]
            return bool(live["relative_altitude_m"] > 10)

        await eventually(airborne, 60, "the drone in the air")
        not_yet = await api.post("/api/fleet/1/altitude", "pilot",
                                 json={"relative_altitude_m": 45})
        assert not_yet.status_code == 409 and not_yet.json()["code"] == "pilot.not_in_control"
        assert (await api.post("/api/fleet/1/pause", "pilot")).status_code == 200
        control = (await api.get("/api/fleet/1/control", "pilot")).json()
        assert control["dispatched"] is True and control["controlled_by"] == "pilot"
        other = await api.post("/api/fleet/1/zoom", "commander", json={"zoom_percent": 10})
        assert other.status_code == 409 and other.json()["controlled_by"] == "pilot"
        over = await api.post("/api/fleet/1/altitude", "pilot",
                              json={"relative_altitude_m": 150})
        assert over.status_code == 422 and over.json()["field"] == "relative_altitude_m"
        climbed = await api.post("/api/fleet/1/altitude", "pilot",
                                 json={"relative_altitude_m": 45})
        assert climbed.status_code == 200, climbed.text
        assert climbed.json()["controlled_by"] == "pilot"

        async def at_45() -> bool:
            live = (await api.get("/api/fleet/1")).json()["live"]
            return bool(abs(live["relative_altitude_m"] - 45) < 2)

        await eventually(at_45, 60, "the drone at 45 m")
        centre = near(750, 0)
        orbiting = await api.post("/api/fleet/1/orbit", "pilot", json={
            "latitude_deg": centre[0], "longitude_deg": centre[1], "radius_m": 30})
        assert orbiting.status_code == 200, orbiting.text
        (orbit,) = api.drones[0].vehicle.payload.orbits
        assert orbit.radius_m == 30 and abs(orbit.relative_altitude_m - 45) < 3
        await api.post(f"/api/incidents/{incident_id}/recall", "commander")
        await sortie_state_is(api, incident_id, "landed")
