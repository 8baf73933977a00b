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


async def test_a_camera_address_from_the_api_is_a_network_camera(tmp_path: Path) -> None:
    """Probe finding: an admin could PATCH ``video_source_url`` to ``file:///etc/passwd`` and
    the gateway would be told to open a file of the server. Over the API only a network
    camera is taken (a file stands in for a camera only in the host's own settings)."""
    async with running_api(tmp_path) as api:
        for url in ("file:///etc/passwd", "/etc/passwd", "concat:/etc/passwd|/etc/hosts",
                    "http://127.0.0.1/x"):
            body = assert_problem(
                await api.post("/api/fleet", "admin", json={**DRONE, "video_source_url": url}),
                422, "video_source_url")
            assert body["code"] == "video.not_network_camera"
        created = await api.post("/api/fleet", "admin", json={
            **DRONE, "video_source_url": "rtsp://127.0.0.1:8554/cam"})
        assert created.status_code == 201, created.text
        assert_problem(await api.patch("/api/fleet/7", "admin",
                                       json={"video_source_url": "file:///etc/shadow"}),
                       422, "video_source_url")
        cleared = await api.patch("/api/fleet/7", "admin", json={"video_source_url": ""})
        assert cleared.status_code == 200, cleared.text
