"""The catalog over the API: the 33 templates, a plan preview with the safety checks, and a
bad input named in the problem."""

from __future__ import annotations

from pathlib import Path

from tests.api.harness import running_api

#: A small field near Weihai (lat, lon).
FIELD = [[37.470, 122.050], [37.470, 122.054], [37.473, 122.054], [37.473, 122.050]]
#: Liugong Island's military administration area (a sample no-fly zone).
LIUGONG_ISLAND = [37.5085, 122.2155]


async def test_catalog_lists_33_templates_and_previews_a_plan(tmp_path: Path) -> None:
    async with running_api(tmp_path) as api:
        templates = (await api.get("/api/templates")).json()
        assert len(templates) == 33
        survey = next(
            t for t in templates if t["pattern"] == "area_survey" and t["inputs"] == ["area"]
        )
        preview = await api.post(
            f"/api/templates/{survey['id']}/plan", "commander", json={"inputs": {"area": FIELD}}
        )
        assert preview.status_code == 200, preview.text
        body = preview.json()
        assert body["item_count"] == len(body["items"]) > 3
        assert body["flight_time_s"] > 0
        assert body["violations"] == []
        # the same through /api/missions/plan; over a no-fly zone the preview says so
        island = [[37.505, 122.205], [37.505, 122.225], [37.512, 122.225], [37.512, 122.205]]
        unsafe = await api.post(
            "/api/missions/plan",
            "pilot",
            json={"template_id": survey["id"], "inputs": {"area": island}},
        )
        assert unsafe.status_code == 200, unsafe.text
        assert unsafe.json()["violations"]
        assert "Liugong" in str(unsafe.json()["violations"][0]["limit"])
        # previews change nothing, so they are not in the audit trail
        trail = (await api.get("/api/audit")).json()
        assert not [e for e in trail if e["details"].get("path", "").endswith("/plan")]
        playbooks = (await api.get("/api/playbooks")).json()
        assert len(playbooks) == 19
        zones = (await api.get("/api/no-fly-zones")).json()
        assert len(zones["features"]) >= 3


async def test_unknown_template_and_missing_input_are_named(tmp_path: Path) -> None:
    async with running_api(tmp_path) as api:
        unknown = await api.get("/api/templates/NOPE-99")
        assert unknown.status_code == 404 and unknown.json()["field"] == "template_id"
        templates = (await api.get("/api/templates")).json()
        survey = next(t for t in templates if t["inputs"] == ["area"])
        missing = await api.post(
            f"/api/templates/{survey['id']}/plan", "commander", json={"inputs": {}}
        )
        assert missing.status_code == 422
        assert missing.json()["field"] == "area"
