"""Probe finding: a drone's payload list took any number of names of any length (10,000
entries were stored and then sent in every fleet listing). Now at most 32 names of at most
32 characters; the refusal names ``payloads`` and the limit."""

from __future__ import annotations

from pathlib import Path

from tests.api.harness import running_api
from tests.api.test_hostile_inputs import assert_problem

DRONE = {"drone_id": 7, "name": "probe-7", "base_latitude_deg": 37.5,
         "base_longitude_deg": 122.1}


async def test_payload_lists_are_bounded(tmp_path: Path) -> None:
    async with running_api(tmp_path) as api:
        for payloads, field in ((["x"] * 10_000, "payloads"), (["y" * 1000], "payloads.0"),
                                ([""], "payloads.0")):
            body = assert_problem(
                await api.post("/api/fleet", "admin", json={**DRONE, "payloads": payloads}),
                422, field)
            assert body["params"].get("limit") is not None
        created = await api.post("/api/fleet", "admin",
                                 json={**DRONE, "payloads": ["camera", "loudspeaker"]})
        assert created.status_code == 201, created.text
        assert_problem(await api.patch("/api/fleet/7", "admin", json={"payloads": ["x"] * 33}),
                       422, "payloads")
        listed = (await api.get("/api/fleet/7")).json()
        assert listed["payloads"] == ["camera", "loudspeaker"]
