"""Probe finding: JSON ``true``/``false`` (and strings such as ``"37.5"``) were read as
coordinates, so ``[true, false]`` in an incident's area became the point (1, 0) and
``{"latitude_deg": true}`` sent a drone towards latitude 1. A coordinate must be a number;
the refusal names the field."""

from __future__ import annotations

from pathlib import Path

from tests.api.harness import running_api
from tests.api.test_hostile_inputs import assert_problem

AREA = [[37.500, 122.120], [37.502, 122.122], [37.500, 122.122]]


async def test_a_bool_or_a_string_is_not_a_coordinate(tmp_path: Path) -> None:
    async with running_api(tmp_path) as api:
        incident = {"playbook_id": "P01", "latitude_deg": 37.501, "longitude_deg": 122.121}
        for corner in ([True, False], ["37.5", "122.12"]):
            sent = {**incident, "area": [corner, *AREA[1:]]}
            assert_problem(await api.post("/api/incidents", "commander", json=sent), 422,
                           "area.0.0")
        assert_problem(await api.post("/api/incidents", "commander",
                                      json={**incident, "latitude_deg": True}),
                       422, "latitude_deg")
        assert (await api.get("/api/incidents")).json() == []
        plan = {"inputs": {"point": [True, 122.1]}, "params": {}}
        assert_problem(await api.post("/api/templates/SAF-01/plan", "observer", json=plan),
                       422, "inputs.point.0")
        goto = {"latitude_deg": True, "longitude_deg": 122.1, "relative_altitude_m": 50}
        assert_problem(await api.post("/api/fleet/1/goto", "pilot", json=goto), 422,
                       "latitude_deg")
        # integers are numbers
        plan = {"inputs": {"point": [37, 122]}, "params": {}}
        planned = await api.post("/api/templates/SAF-01/plan", "observer", json=plan)
        assert planned.status_code == 200, planned.text
