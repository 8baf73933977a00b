"""Time to go as the operator sees it on the WebSocket (``mission.progress``), on a straight
flight of a case flown by the built-in simulator (and real SITL where the ``backend`` fixture
allows): it only falls on the way out, it is the proposal's ETA at launch, and on the way home
it is the distance and time to home, not "100%, 0 m, 0 s" a kilometre from base."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

from tests.api.harness import eventually, flying_api, near, sortie_state_is, watch

#: The case is this far north of the drone's base: one straight leg out and back.
OUT_M = 1200.0
#: Position noise and the figures' one-decimal rounding; far below a rise like the issue's
#: (2 min 15 s to 5 min 34 s).
NOISE_S = 0.5


def progress_of(stream: Any) -> list[dict[str, Any]]:
    return [e["data"] for e in stream.events
            if e["topic"] == "mission.progress" and "time_to_go_s" in e["data"]]


async def test_time_to_go_falls_matches_the_proposal_and_counts_home_on_the_way_back(
    tmp_path: Path, backend: str
) -> None:
    async with (
        flying_api(tmp_path, drones=1, backend=backend) as api,
        watch(api, "mission.progress") as stream,
    ):
        assert api.services.dispatcher is not None
        api.services.dispatcher.progress_interval_s = 0.1
        lat, lon = near(OUT_M, 0)
        response = await api.post("/api/incidents", "commander", json={
            "playbook_id": "P01", "latitude_deg": lat, "longitude_deg": lon,
            "title": "110: fight reported north of the base"})
        assert response.status_code == 201, response.text
        body = response.json()
        incident_id = body["incident"]["id"]
        proposal_eta_s = body["choice"]["candidates"][0]["eta_s"]
        await sortie_state_is(api, incident_id, "landed", timeout_s=300)

        async def landed_sent() -> bool:
            return any(p["phase"] == "LANDED" for p in progress_of(stream))

        await eventually(landed_sent, 30, "the landed progress on the WebSocket")
    samples = [p for p in progress_of(stream) if p["incident_id"] == incident_id]
    out = [p for p in samples if p["phase"] in ("LAUNCHING", "EN_ROUTE")]
    assert len(out) >= 5, out
    # the card at launch shows the proposal's ETA (the same function, the same legs)
    assert out[0]["to_go_target"] == "scene"
    assert abs(out[0]["time_to_scene_s"] - proposal_eta_s) <= 3.0, (out[0], proposal_eta_s)
    # on the way out, the time to the scene only falls, and it falls a lot
    times = [p["time_to_scene_s"] for p in out]
    rises = [(a, b) for a, b in itertools.pairwise(times) if b > a + NOISE_S]
    assert not rises, rises
    assert times[-1] < times[0] / 2
    distances = [p["distance_to_scene_m"] for p in out]
    assert all(b <= a + 5.0 for a, b in itertools.pairwise(distances))
    # on the way home: the distance and time to home, not 0 a kilometre from base
    home = [p for p in samples if p["phase"] == "RETURNING"]
    assert home, samples[-5:]
    first = home[0]
    assert first["to_go_target"] == "home"
    assert first["distance_to_go_m"] > 0.7 * OUT_M, first
    assert first["time_to_go_s"] > 0.7 * OUT_M / 10.0, first
    assert first["fraction"] < 1.0
    back = [p["time_home_s"] for p in home]
    assert not [(a, b) for a, b in itertools.pairwise(back) if b > a + NOISE_S]
    assert samples[-1]["phase"] == "LANDED" and samples[-1]["fraction"] == 1.0
