"""Recorded playback over the API: a flight's segments (recorded by the real recorder from the
simulator's camera over UDP on 127.0.0.1, stored and audited as a dispatched flight's are)
are verified and joined into one MP4 that a browser plays and seeks (HTTP Range answers 206);
a segment changed after recording is refused with its name; links are signed and expire."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import av

from jinghang.api.recording import FlightRecording
from jinghang.api.services import Services
from jinghang.store.incidents import create_incident
from jinghang.store.schemas import IncidentCreate
from jinghang.video.gateway import VideoGateway
from jinghang.video.playback import BadPlaybackLink, PlaybackLinks
from jinghang.video.simcam.streamer import CameraSettings, SimCamera, fixed_pose, udp_url
from tests.api.harness import Api, eventually, running_api
from tests.conftest import free_udp_port

SEGMENT_S = 1.0


def _with_camera(services: Services) -> None:
    url = udp_url(free_udp_port())
    camera = SimCamera(fixed_pose(), url, CameraSettings(width_px=320, height_px=240, fps=10,
                                                         bitrate_bps=300_000))
    services.video_gateway = VideoGateway()
    services.video_gateway.add_drone("1", url)
    services.runners["camera"] = camera.run


def _new_case(api: Api) -> int:
    with api.services.store.session() as session:
        incident = create_incident(
            session, IncidentCreate(playbook_id="P01", latitude_deg=37.51, longitude_deg=122.12),
            reported_by="commander", priority=2)
        session.commit()
    return incident.id


async def record_flight(api: Api, tmp_path: Path, seconds: float) -> tuple[int, list[Any]]:
    """Record drone 1 for ``seconds`` as a dispatched flight is; the case and its segments."""
    incident_id = _new_case(api)
    recording = FlightRecording(api.services, tmp_path / "recordings", SEGMENT_S)
    gateway = api.services.video_gateway
    assert gateway is not None
    await gateway.relay("1").source.wait_open(20)

    def closed(path: Path, sha256_hex: str, meta: dict[str, Any]) -> None:
        recording.segment_closed(incident_id, 1, path, sha256_hex, meta)

    gateway.start_recording("1", f"incident-{incident_id}", tmp_path / "recordings", closed,
                            segment_duration_s=SEGMENT_S)
    await asyncio.sleep(seconds)
    recorder = await gateway.stop_recording("1")
    return incident_id, recorder.segments


async def test_a_recorded_flight_plays_as_one_seekable_mp4(tmp_path: Path) -> None:
    async with running_api(tmp_path, customize=_with_camera) as api:
        incident_id, segments = await record_flight(api, tmp_path, 3.5)
        assert len(segments) >= 2

        answer = await api.post("/api/recordings/playback", "observer",
                                json={"incident_id": incident_id})
        assert answer.status_code == 200, answer.text
        play = answer.json()
        assert play["drone_id"] == 1
        assert play["started_at"].endswith("+00:00")  # a browser reads it as UTC
        assert [s["state"] for s in play["segments"]] == ["ok"] * len(segments)
        assert [s["file"] for s in play["segments"]] == [r.path.name for r in segments]

        # the link needs no bearer token (a <video> element sends none) and seeks with Range
        whole = await api.client.get(play["url"])
        assert whole.status_code == 200
        assert whole.headers["content-type"] == "video/mp4"
        part = await api.client.get(play["url"], headers={"Range": "bytes=100-199"})
        assert part.status_code == 206
        assert part.headers["content-range"] == f"bytes 100-199/{len(whole.content)}"
        assert part.content == whole.content[100:200]

        # one H.264 MP4 holding every recorded frame, in order, as long as the segments
        joined = tmp_path / "joined.mp4"
        joined.write_bytes(whole.content)
        recorded_frames = 0
        recorded_s = 0.0
        for record in segments:
            with av.open(str(record.path)) as source:
                recorded_frames += sum(1 for _ in source.demux(source.streams.video[0])
                                       if _.size)
            recorded_s += record.meta["duration_s"]
        with av.open(str(joined)) as container:
            stream = container.streams.video[0]
            assert stream.codec_context.name == "h264"
            times = [float(f.time) for f in container.decode(stream)]
        assert len(times) == recorded_frames
        assert times == sorted(times)
        assert times[-1] >= recorded_s * 0.8

        # the same request again is served from the cache (same link target)
        again = (await api.post("/api/recordings/playback", "observer",
                                json={"incident_id": incident_id})).json()
        assert again["url"].split(".")[0] == play["url"].split(".")[0]


async def test_a_recording_that_fails_verification_is_refused_with_the_segment_named(
    tmp_path: Path,
) -> None:
    async with running_api(tmp_path, customize=_with_camera) as api:
        incident_id, segments = await record_flight(api, tmp_path, 2.5)
        tampered = segments[-1].path
        with open(tampered, "ab") as handle:  # noqa: ASYNC230 - a small local file
            handle.write(b"\x00")

        refused = await api.post("/api/recordings/playback", "observer",
                                 json={"incident_id": incident_id})
        assert refused.status_code == 409
        problem = refused.json()
        assert problem["code"] == "recording.unverified"
        assert tampered.name in problem["params"]["value"]
        states = {s["file"]: s["state"] for s in problem["params"]["segments"]}
        assert states[tampered.name] == "sha256_differs"
        assert {state for name, state in states.items() if name != tampered.name} == {"ok"}

        tampered.unlink()
        gone = (await api.post("/api/recordings/playback", "observer",
                               json={"incident_id": incident_id})).json()
        assert {s["file"]: s["state"] for s in gone["params"]["segments"]}[tampered.name] == (
            "missing")

        none = await api.post("/api/recordings/playback", "observer",
                              json={"incident_id": _new_case(api)})
        assert none.status_code == 404 and none.json()["code"] == "recording.none"
        bad = await api.post("/api/recordings/playback", "observer", json={"incident_id": 0})
        assert bad.status_code == 422 and bad.json()["params"]["field"] == "incident_id"
        forged = await api.client.get("/api/recordings/play/" + "0" * 40 + ".9999999999.AAAA")
        assert forged.status_code == 403 and forged.json()["code"] == "recording.link_invalid"

        async def anonymous_refused() -> bool:
            response = await api.client.post("/api/recordings/playback",
                                              json={"incident_id": incident_id})
            return response.status_code == 401

        await eventually(anonymous_refused, 5, "playback refused without a token")


def test_a_playback_link_names_one_file_and_expires() -> None:
    links = PlaybackLinks("a-secret-of-enough-length", lifetime_s=60)
    token, expires_s = links.issue("a" * 40, now_s=1000.0)
    assert expires_s == 1060.0
    assert links.check(token, now_s=1059.0) == "a" * 40
    for broken, now_s in ((token, 1061.0), (token.replace("a", "b", 1), 1000.0),
                          (token + "x", 1000.0), ("../../etc/passwd", 1000.0)):
        try:
            links.check(broken, now_s=now_s)
        except BadPlaybackLink as exc:
            assert exc.status_code == 403
        else:
            raise AssertionError(f"{broken!r} accepted")
    assert PlaybackLinks("another-secret-value-1234").issue("a" * 40, 1000.0)[0] != token
