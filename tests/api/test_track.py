"""The flown track and the fleet register's status over HTTP, on the built-in simulator: an
incident flown to the end has, in its record, the positions the drone actually flew (from its
base, around the incident point, back home) and a GeoJSON LineString of them; while it flies,
GET /api/fleet shows the drone assigned, flying, returning, then available again."""

from __future__ import annotations

import asyncio
import math
from pathlib import Path
from typing import Any

from jinghang.api.services import Services
from tests.api.harness import SPEEDUP, Drone, flying_api, near, sortie_state_is

#: The orbit of playbook P01 is 60 m around the point; "near" leaves room for the sampling.
NEAR_M = 100.0


def distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    north = (b[0] - a[0]) * 111_320.0
    east = (b[1] - a[1]) * 111_320.0 * math.cos(math.radians(a[0]))
    return math.hypot(north, east)


def sample_as_in_real_time(services: Services, _: list[Drone]) -> None:
    """The simulator runs SPEEDUP times faster than the wall clock: sample the track as
    densely (in flown metres) as the 2 s interval does in a real flight."""
    assert services.dispatcher is not None
    services.dispatcher.track.interval_s = 2.0 / SPEEDUP  # type: ignore[attr-defined]


async def test_closed_incident_record_has_the_flown_track_and_register_status(
    tmp_path: Path,
) -> None:
    async with flying_api(tmp_path, drones=1, extra=sample_as_in_real_time) as api:
        drone = api.drones[0]
        base = (drone.home[0], drone.home[1])
        assert (await api.get("/api/fleet/1")).json()["status"] == "available"
        point = near(400, 150)
        response = await api.post("/api/incidents", "commander", json={
            "playbook_id": "P01", "latitude_deg": point[0], "longitude_deg": point[1],
            "title": "110: burglary reported at the harbour warehouse"})
        assert response.status_code == 201, response.text
        incident_id = response.json()["incident"]["id"]

        # the register's status, as an operator polling the fleet sees it, until the close
        statuses: list[str] = []

        async def poll_register() -> None:
            while True:
                status = (await api.get("/api/fleet")).json()[0]["status"]
                if not statuses or statuses[-1] != status:
                    statuses.append(status)
                await asyncio.sleep(0.05)

        async with asyncio.TaskGroup() as tasks:
            poller = tasks.create_task(poll_register())
            await sortie_state_is(api, incident_id, "landed", timeout_s=240)
            poller.cancel()
        assert "flying" in statuses and "returning" in statuses
        assert statuses.index("flying") < statuses.index("returning")
        # free again once landed (written before the incident is closed)
        assert (await api.get("/api/fleet/1")).json()["status"] == "available"

        record = (await api.get(f"/api/incidents/{incident_id}/record")).json()
        track = record["track"]
        assert len(track) >= 10
        positions = [(p["latitude_deg"], p["longitude_deg"]) for p in track]
        assert distance_m(positions[0], base) < 30.0
        assert min(distance_m(p, point) for p in positions) < NEAR_M
        assert distance_m(positions[-1], base) < 30.0
        assert max(p["relative_altitude_m"] for p in track) > 40.0
        times = [p["time"] for p in track]
        assert times == sorted(times)
        mission_id = record["missions"][0]["id"]
        assert {p["mission_id"] for p in track} == {mission_id}

        response = await api.get(f"/api/missions/{mission_id}/track.geojson")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/geo+json")
        feature: dict[str, Any] = response.json()
        assert feature["type"] == "Feature"
        assert feature["geometry"]["type"] == "LineString"
        coordinates = feature["geometry"]["coordinates"]
        assert [(c[1], c[0]) for c in coordinates] == positions
        assert feature["properties"]["times"] == times
        assert feature["properties"]["incident_id"] == incident_id

        missing = await api.get("/api/missions/999/track.geojson")
        assert missing.status_code == 404
        assert missing.json()["field"] == "mission_id"
