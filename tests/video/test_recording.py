"""Recording a flight: MP4 segments without re-encoding, each fingerprinted into the audit
hook and the manifest; a changed byte fails verification (library and command line)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import av
import pytest

from jinghang.cli import main as jinghang_main
from jinghang.errors import VideoError
from jinghang.video.gateway import VideoGateway
from jinghang.video.recording import FlightRecorder
from jinghang.video.verify import verify_directory, verify_segments
from tests.video.conftest import Camera


async def test_recorded_segments_verify_and_a_changed_byte_fails(
    camera: Camera, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    audit: list[tuple[Path, str, dict[str, Any]]] = []
    two_closed = asyncio.Event()

    async def on_segment_closed(path: Path, sha256_hex: str, meta: dict[str, Any]) -> None:
        audit.append((path, sha256_hex, meta))
        if len(audit) >= 2:
            two_closed.set()

    async with VideoGateway() as gateway:
        relay = gateway.add_drone("drone-1", camera.url)
        await relay.source.wait_open(10)
        recorder = gateway.start_recording("drone-1", "flight-42", tmp_path, on_segment_closed,
                                           segment_duration_s=1.0)
        async with asyncio.timeout(20):
            await two_closed.wait()
        await gateway.stop_recording("drone-1")

    directory = tmp_path / "drone-1" / "flight-42"
    assert recorder.directory == directory
    assert len(audit) >= 3  # two rolled on time, one closed at the end of the flight
    manifest = json.loads((directory / "manifest.json").read_text())
    assert [s["sha256"] for s in manifest["segments"]] == [sha for _, sha, _ in audit]
    first_path, _, first_meta = audit[0]
    assert first_meta["drone_id"] == "drone-1" and first_meta["flight_id"] == "flight-42"
    assert 0.9 <= first_meta["duration_s"] <= 2.0

    # the segment is playable H.264 at the camera's size (remuxed, not re-encoded)
    with av.open(str(first_path)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        assert (stream.width, stream.height) == (640, 360)
        assert sum(1 for _ in container.decode(stream)) >= 10

    assert verify_directory(tmp_path).ok
    assert verify_segments([(p, sha) for p, sha, _ in audit]).ok
    assert jinghang_main(["recordings", "verify", str(tmp_path)]) == 0
    assert "0 mismatched" in capsys.readouterr().out

    # change one byte in the middle of the first segment
    data = bytearray(first_path.read_bytes())
    data[len(data) // 2] ^= 0x01
    first_path.write_bytes(bytes(data))

    report = verify_segments([(p, sha) for p, sha, _ in audit])
    assert [m.path for m in report.mismatches] == [first_path]
    assert report.mismatches[0].reason == "sha256 differs"
    assert jinghang_main(["recordings", "verify", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert f"MISMATCH  {first_path}" in out and "1 mismatched" in out

    audit_export = tmp_path / "audit.json"
    audit_export.write_text(json.dumps(
        [{"segment_path": str(p.relative_to(tmp_path)), "sha256": sha} for p, sha, _ in audit]))
    assert jinghang_main(["recordings", "verify", str(tmp_path), "--expected",
                          str(audit_export)]) == 1
    assert f"MISMATCH  {first_path}" in capsys.readouterr().out

    first_path.unlink()
    assert verify_directory(tmp_path).mismatches[0].reason == "missing"


def test_bad_recording_inputs_name_the_field(tmp_path: Path) -> None:
    with pytest.raises(VideoError) as error:
        FlightRecorder(tmp_path, "drone-1", "f", segment_duration_s=0.1)
    assert error.value.field == "segment_duration_s"
    with pytest.raises(VideoError) as error:
        FlightRecorder(tmp_path, "drone-1", "..")
    assert error.value.field == "flight_id"
    assert jinghang_main(["recordings", "verify", str(tmp_path / "none")]) == 2
