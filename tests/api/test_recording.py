"""A dispatched flight's video is recorded and every segment's SHA-256 is in the store and in
the hash-chained audit trail (the simulator camera streams H.264 over UDP on 127.0.0.1)."""

from __future__ import annotations

import hashlib
import itertools
from pathlib import Path
from typing import Any

from jinghang.api.recording import FlightRecording
from jinghang.api.services import Services
from jinghang.video.gateway import VideoGateway
from jinghang.video.simcam.pose import CameraPose
from jinghang.video.simcam.streamer import CameraSettings, SimCamera, udp_url
from tests.api.harness import eventually, flying_api, near, sortie_state_is
from tests.conftest import free_udp_port


def _with_camera(tmp_path: Path) -> Any:
    def extra(services: Services, drones: list[Any]) -> None:
        vehicle = drones[0].vehicle
        url = udp_url(free_udp_port())

        def pose() -> CameraPose:
            return CameraPose(
                vehicle.latitude_deg,
                vehicle.longitude_deg,
                max(vehicle.relative_altitude_m, 2.0),
                vehicle.heading_deg,
                -60.0,
            )

        camera = SimCamera(
            pose, url, CameraSettings(width_px=320, height_px=240, fps=10, bitrate_bps=300_000)
        )
        services.video_gateway = VideoGateway()
        services.video_gateway.add_drone("1", url)
        services.runners["camera"] = camera.run
        recorder = FlightRecording(services, tmp_path / "recordings", segment_duration_s=1.0)
        services.runners["recording"] = recorder.run

    return extra


async def test_flight_video_segments_are_hashed_into_the_audit_trail(tmp_path: Path) -> None:
    async with flying_api(tmp_path, drones=1, extra=_with_camera(tmp_path)) as api:
        lat, lon = near(300, 0)
        reported = await api.post(
            "/api/incidents",
            "commander",
            json={"playbook_id": "P01", "latitude_deg": lat, "longitude_deg": lon},
        )
        incident_id = reported.json()["incident"]["id"]
        await sortie_state_is(api, incident_id, "landed")

        # the last segment is closed (stored, then audited) just after the incident closes:
        # compare the two lists once they agree, read while no segment is arriving
        segments: list[dict[str, Any]] = []
        trail: list[dict[str, Any]] = []

        async def same_segments() -> bool:
            nonlocal segments, trail
            segments = (
                await api.get("/api/recordings", params={"incident_id": incident_id})
            ).json()
            trail = (
                await api.get("/api/audit", params={"action": "recording.segment", "limit": 1000})
            ).json()
            return bool(segments) and (
                {e["details"]["sha256"] for e in trail} == {s["sha256"] for s in segments}
            )

        await eventually(same_segments, 30, "every recorded segment in the audit trail")
        for before, after in itertools.pairwise(segments):
            assert after["prev_sha256"] == before["sha256"]
        for segment in segments:
            data = Path(segment["segment_path"]).read_bytes()  # noqa: ASYNC240 - small file
            assert hashlib.sha256(data).hexdigest() == segment["sha256"]
        assert all(e["target_id"] == str(incident_id) for e in trail)
