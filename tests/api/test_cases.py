"""A case with more than one sortie, over HTTP on the built-in simulator: a commander adds a
second drone by name (checked now; a busy one is refused with its code), closing the case sends
every drone still out home; a playbook that says so closes the case when its last sortie lands."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

from jinghang.api.services import Services
from jinghang.dispatch.playbooks import parse_playbooks
from tests.api.harness import Drone, flying_api, incident_state_is, near, sortie_state_is


async def test_a_commander_adds_a_named_drone_and_closing_sends_both_home(
    tmp_path: Path,
) -> None:
    async with flying_api(tmp_path, drones=2) as api:
        lat, lon = near(400, 0)
        reported = await api.post("/api/incidents", "commander", json={
            "playbook_id": "P01", "latitude_deg": lat, "longitude_deg": lon})
        incident_id = reported.json()["incident"]["id"]
        first = await sortie_state_is(api, incident_id, "en_route", "on_scene")
        first_drone = first["sorties"][0]["drone_id"]
        other = 2 if first_drone == 1 else 1
        busy = await api.post(f"/api/incidents/{incident_id}/sorties", "commander",
                              json={"drone_id": first_drone})
        assert busy.status_code == 409 and busy.json()["code"] == "drone.busy"
        assert (await api.post(f"/api/incidents/{incident_id}/sorties", "pilot",
                               json={"drone_id": other})).status_code == 403
        bad = await api.post(f"/api/incidents/{incident_id}/sorties", "commander",
                             json={"drone_id": other, "playbook_id": "P99"})
        assert bad.status_code == 422 and bad.json()["field"] == "playbook_id"
        added = await api.post(f"/api/incidents/{incident_id}/sorties", "commander",
                               json={"drone_id": other, "playbook_id": "P05"})
        assert added.status_code == 201, added.text
        second = await sortie_state_is(api, incident_id, "en_route", "on_scene")
        sorties = second["sorties"]
        assert [s["drone_id"] for s in sorties] == [first_drone, other]
        assert [s["playbook_id"] for s in sorties] == ["P01", "P05"]
        assert sorties[1]["dispatched_by"] == "commander"
        closed = await api.post(f"/api/incidents/{incident_id}/close", "commander",
                                json={"outcome": "resolved"})
        assert closed.status_code == 200, closed.text
        assert closed.json()["state"] == "closed"
        assert {s["state"] for s in closed.json()["sorties"]} == {"returning"}
        for index in (0, 1):
            await sortie_state_is(api, incident_id, "landed", index=index, timeout_s=120)
        more = await api.post(f"/api/incidents/{incident_id}/sorties", "commander", json={})
        assert more.status_code == 409 and more.json()["code"] == "case.not_open"


def _close_when_landed(services: Services, drones: list[Drone]) -> None:
    text = resources.files("jinghang.dispatch").joinpath("playbooks.json").read_text("utf-8")
    doc: dict[str, Any] = json.loads(text)
    for entry in doc["playbooks"]:
        if entry["id"] == "P05":
            entry["close_when_landed"] = True
    dispatcher = services.dispatcher
    assert dispatcher is not None
    dispatcher.playbooks = parse_playbooks(doc)  # type: ignore[attr-defined]


async def test_a_playbook_that_says_so_closes_the_case_when_its_last_sortie_lands(
    tmp_path: Path,
) -> None:
    async with flying_api(tmp_path, drones=1, extra=_close_when_landed) as api:
        lat, lon = near(200, 100)
        reported = await api.post("/api/incidents", "commander", json={
            "playbook_id": "P05", "latitude_deg": lat, "longitude_deg": lon})
        incident_id = reported.json()["incident"]["id"]
        await sortie_state_is(api, incident_id, "en_route", "on_scene")
        await api.post(f"/api/incidents/{incident_id}/recall", "commander")
        closed = await incident_state_is(api, incident_id, "closed", timeout_s=120)
        assert closed["outcome"] == "flown" and closed["closed_by"] == "dispatcher"
        assert closed["sorties"][0]["state"] == "landed"
