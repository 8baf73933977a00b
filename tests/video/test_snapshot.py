"""Snapshots over the API: a pilot or commander saves a still of a drone's live video (the
simulator's camera streams H.264 over UDP on 127.0.0.1); the JPEG is the camera's picture,
carries the drone's position from telemetry, the time and the user, is filed with the case,
listed, downloadable and audited; refusals are clear (no picture yet, unknown drone, observer,
too many)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from jinghang.api.services import Services
from jinghang.video.gateway import VideoGateway
from jinghang.video.simcam.pose import CameraPose
from jinghang.video.simcam.streamer import CameraSettings, SimCamera, udp_url
from tests.api.harness import Api, eventually, flying_api
from tests.conftest import free_udp_port


def _with_cameras(services: Services, drones: list[Any]) -> None:
    vehicle = drones[0].vehicle
    url = udp_url(free_udp_port())

    def pose() -> CameraPose:
        return CameraPose(vehicle.latitude_deg, vehicle.longitude_deg,
                          max(vehicle.relative_altitude_m, 2.0), vehicle.heading_deg, -60.0)

    camera = SimCamera(pose, url, CameraSettings(width_px=320, height_px=240, fps=10,
                                                 bitrate_bps=300_000))
    services.video_gateway = VideoGateway(source_open_wait_s=0)
    services.video_gateway.add_drone("1", url)
    services.video_gateway.add_drone("2", udp_url(free_udp_port()))  # a camera that never sends
    services.runners["camera"] = camera.run


async def _snapshot(api: Api, drone: str, as_user: str = "pilot", **body: Any) -> Any:
    return await api.post(f"/api/video/{drone}/snapshot", as_user, json=body)


async def test_a_snapshot_is_the_live_picture_with_its_metadata_filed_with_the_case(
    tmp_path: Path,
) -> None:
    async with flying_api(tmp_path, drones=1, extra=_with_cameras) as api:
        # before any picture arrives: a clear 409 naming the drone
        refused = await _snapshot(api, "2")
        assert refused.status_code == 409
        assert refused.json()["code"] == "video.snapshot.no_frame"
        assert refused.json()["params"]["field"] == "drone_id"

        reported = await api.post("/api/incidents", "commander", json={
            "playbook_id": "P01", "latitude_deg": 37.52, "longitude_deg": 122.12})
        incident_id = reported.json()["incident"]["id"]

        taken: dict[str, Any] = {}

        async def took() -> bool:
            response = await _snapshot(api, "1", "commander", incident_id=incident_id)
            if response.status_code == 201:
                taken.update(response.json())
                return True
            assert response.status_code == 409, response.text  # no picture yet
            return False

        await eventually(took, 30, "a snapshot of drone 1")
        assert taken["drone_id"] == "1"
        assert taken["taken_by"] == "commander"
        assert taken["incident_id"] == incident_id
        assert (taken["width_px"], taken["height_px"]) == (320, 240)
        home = api.drones[0].home
        assert abs(taken["latitude_deg"] - home[0]) < 0.01
        assert abs(taken["longitude_deg"] - home[1]) < 0.01
        assert taken["taken_at"].endswith("+00:00")

        # downloadable: the JPEG decodes to the camera's picture and matches its hash
        jpeg = await api.get(taken["url"])
        assert jpeg.status_code == 200
        assert jpeg.headers["content-type"] == "image/jpeg"
        assert hashlib.sha256(jpeg.content).hexdigest() == taken["sha256"]
        picture = cv2.imdecode(np.frombuffer(jpeg.content, np.uint8), cv2.IMREAD_COLOR)
        assert picture.shape == (240, 320, 3)
        assert picture.std() > 5  # the rendered scene, not a flat grey frame

        # listed with the case and in its audit trail, with who took it
        listed = (await api.get("/api/video/snapshots",
                                params={"incident_id": incident_id})).json()
        assert [s["id"] for s in listed] == [taken["id"]]
        record = (await api.get(f"/api/incidents/{incident_id}/record")).json()
        entries = [e for e in record["audit"] if e["action"] == "video.snapshot"]
        assert entries and entries[0]["actor"] == "commander"
        assert entries[0]["details"]["sha256"] == taken["sha256"]

        # refusals
        observer = await _snapshot(api, "1", "observer")
        assert observer.status_code == 403
        unknown = await _snapshot(api, "9")
        assert unknown.status_code == 404 and unknown.json()["code"] == "video.unknown_drone"
        no_case = await _snapshot(api, "1", incident_id=999_999)
        assert no_case.status_code == 404
        missing = await api.get("/api/video/snapshots/..%2Fjinghang.db.jpg")
        assert missing.status_code == 404
        assert (await api.get("/api/video/snapshots/nothing-here.jpg")).status_code == 404


async def test_snapshots_are_rate_limited_per_user(tmp_path: Path) -> None:
    async with flying_api(tmp_path, drones=1, extra=_with_cameras) as api:
        async def first() -> bool:
            return (await _snapshot(api, "1")).status_code == 201

        await eventually(first, 30, "a first snapshot")
        codes = [(await _snapshot(api, "1")).status_code for _ in range(9)]
        assert codes == [201] * 9
        refused = await _snapshot(api, "1")
        assert refused.status_code == 429
        problem = refused.json()
        assert problem["code"] == "video.snapshot.rate_limited"
        assert problem["params"]["limit"] == 10
        assert problem["params"]["retry_after_s"] >= 1
        # another user is not held back by the pilot's snapshots
        assert (await _snapshot(api, "1", "commander")).status_code == 201
