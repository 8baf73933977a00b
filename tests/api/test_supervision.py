"""Supervision: a full recordings disk stops the recording, never the flight. The disk is
real: the recordings directory is a 64 KiB tmpfs (mounted for the test, which needs root and
is skipped without it), so the recorder meets the ENOSPC a full disk gives it."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from jinghang.api.recording import FlightRecording
from jinghang.api.services import Services
from jinghang.video.gateway import VideoGateway
from jinghang.video.simcam.pose import CameraPose
from jinghang.video.simcam.streamer import CameraSettings, SimCamera, udp_url
from tests.api.harness import eventually, flying_api, near, sortie_state_is, watch
from tests.conftest import free_udp_port


@pytest.fixture
def full_disk(tmp_path: Path) -> Iterator[Path]:
    """A 64 KiB tmpfs: the first seconds of video fill it."""
    root = tmp_path / "recordings"
    root.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(root)],
                             capture_output=True, check=False)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs: {mounted.stderr.decode().strip()}")
    try:
        yield root
    finally:
        subprocess.run(["umount", "-l", str(root)], check=False)


def _camera_and_full_disk(root: Path) -> Any:
    def extra(services: Services, drones: list[Any]) -> None:
        vehicle = drones[0].vehicle
        url = udp_url(free_udp_port())

        def pose() -> CameraPose:
            return CameraPose(vehicle.latitude_deg, vehicle.longitude_deg,
                              max(vehicle.relative_altitude_m, 2.0), vehicle.heading_deg, -60.0)

        camera = SimCamera(
            pose, url, CameraSettings(width_px=320, height_px=240, fps=10, bitrate_bps=300_000)
        )
        services.video_gateway = VideoGateway()
        services.video_gateway.add_drone("1", url)
        services.runners["camera"] = camera.run
        recorder = FlightRecording(services, root, segment_duration_s=1.0)
        services.runners["recording"] = recorder.run

    return extra


async def test_full_recordings_disk_stops_recording_not_the_flight(
    tmp_path: Path, full_disk: Path
) -> None:
    async with flying_api(tmp_path, drones=1, extra=_camera_and_full_disk(full_disk)) as api:
        async def camera_up() -> bool:
            health = (await api.client.get("/api/health")).json()
            video = next(c for c in health["components"] if c["name"] == "video 1")
            return bool(health["ok"]) and video["status"] == "running"

        await eventually(camera_up, 60, "the drone's camera in health")
        async with watch(api, "alert") as stream:
            lat, lon = near(300, 0)
            reported = await api.post(
                "/api/incidents", "commander",
                json={"playbook_id": "P01", "latitude_deg": lat, "longitude_deg": lon},
            )
            incident_id = reported.json()["incident"]["id"]

            async def recording_alert() -> bool:
                alerts = (await api.get("/api/alerts")).json()
                return any(a["code"] == "recording.failed" for a in alerts)

            await eventually(recording_alert, 60, "an alert that the recording stopped")
            alert = next(a for a in (await api.get("/api/alerts")).json()
                         if a["code"] == "recording.failed")
            assert alert["drone_id"] == 1 and alert["case_id"] == incident_id
            assert alert["params"]["drone"] == "drone-1"
            assert "ENOSPC" in alert["params"]["error"]
            assert alert["severity"] == "critical"

            health = await api.client.get("/api/health")
            assert health.status_code == 200, health.text  # the recorder is not vital
            body = health.json()
            recorder = next(c for c in body["components"] if c["name"] == "recorder 1")
            assert recorder["status"] == "stopped" and "ENOSPC" in recorder["last_error"]
            assert "recorder 1" in body["down"]
            assert body["dispatcher"] is True and body["vehicles_live"] == 1

            # the flight goes on to its end: the drone flies its sortie, comes home and lands
            await sortie_state_is(api, incident_id, "landed", timeout_s=120)
            assert api.services.fleet.vehicles[1].state.link_lost is False
            # and the server still takes work
            again = await api.post(
                "/api/incidents", "commander",
                json={"playbook_id": "P01", "latitude_deg": lat, "longitude_deg": lon},
            )
            assert again.status_code == 201, again.text
            pushed = [e["data"] for e in stream.events if e["data"].get("id") is not None]
            assert [a["code"] for a in pushed if a["new"] and a["case_id"] == incident_id
                    ] == ["recording.failed"]  # one alert for the cause, however many writes


async def test_a_failing_part_is_restarted_and_health_says_it_is_down(tmp_path: Path) -> None:
    """A vital part that keeps failing: health answers 503 naming it, one alert counts the
    stops, the rest of the server serves on; once the part runs again health is 200."""
    import asyncio

    from tests.api.harness import running_api

    healed = asyncio.Event()
    tries: list[int] = []

    async def uplink() -> None:
        tries.append(1)
        if not healed.is_set():
            raise ConnectionError("uplink refused")
        await asyncio.Event().wait()  # runs for the life of the server

    def add_part(services: Services) -> None:
        services.runners["uplink"] = uplink
        services.vital = services.vital | {"uplink"}

    async with running_api(tmp_path, customize=add_part) as api:
        async def restarted_twice() -> bool:
            return len(tries) >= 3

        await eventually(restarted_twice, 30, "the part restarted with backoff")
        health = await api.client.get("/api/health")
        assert health.status_code == 503
        body = health.json()
        assert body["ok"] is False and "uplink" in body["down"]
        part = next(c for c in body["components"] if c["name"] == "uplink")
        assert part["status"] == "restarting" and part["vital"] is True
        assert part["restarts"] >= 2 and "uplink refused" in part["last_error"]
        alerts = (await api.get("/api/alerts")).json()
        stopped = [a for a in alerts if a["code"] == "component.stopped"]
        assert len(stopped) == 1 and stopped[0]["count"] >= 2  # one alert for the cause
        assert stopped[0]["params"]["component"] == "uplink"
        assert (await api.get("/api/patrols")).status_code == 200  # the rest serves on

        healed.set()

        async def healthy() -> bool:
            return (await api.client.get("/api/health")).status_code == 200

        await eventually(healthy, 60, "health back to 200 once the part runs")
        part = next(c for c in (await api.client.get("/api/health")).json()["components"]
                    if c["name"] == "uplink")
        assert part["status"] == "running"
