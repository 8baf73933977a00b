"""The benchmarks say so when what they measure did not happen, and the dispatch benchmark's
wire tap reads the frames it stamps."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bench._wire_tap import frames
from jinghang.mavlink.channel import Channel, mavlink

ROOT = Path(__file__).resolve().parents[2]


def test_a_benchmark_that_measured_nothing_exits_1_naming_it() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "bench_track.py"), "--flights", "0"],
        capture_output=True, text=True, timeout=120, cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "bench_track: FAILED: observe() was never called (--flights 0 or --minutes 0?)"
    ]
    assert "observe():" not in done.stdout  # no figure printed


def test_the_wire_tap_reads_commands_and_heartbeats_split_across_reads() -> None:
    platform = Channel(system_id=255, component_id=190)
    vehicle = Channel(system_id=1, component_id=1)
    key = bytes(range(32))
    signed = Channel(system_id=255, component_id=190, signing_key=key)
    up = b"".join([
        platform.encode(mavlink.MAVLink_mission_count_message(1, 1, 77, 0)),
        platform.encode(mavlink.MAVLink_command_long_message(1, 1, 400, 0, 1, 0, 0, 0, 0, 0, 0)),
        signed.encode(mavlink.MAVLink_command_long_message(1, 1, 176, 0, 1, 3, 0, 0, 0, 0, 0)),
    ])
    down = vehicle.encode(mavlink.MAVLink_heartbeat_message(2, 3, 128 | 1, 3, 4, 3))
    buffer = bytearray(b"\x00junk")
    seen = []
    for i in range(0, len(up), 7):  # as a socket might deliver them
        buffer += up[i:i + 7]
        seen += frames(buffer)
    assert [msgid for msgid, _ in seen] == [44, 76, 76]
    commands = [int.from_bytes(payload.ljust(30, b"\0")[28:30], "little")
                for msgid, payload in seen if msgid == 76]
    assert commands == [400, 176]
    ((msgid, payload),) = frames(bytearray(down))
    assert msgid == 0 and payload[6] & 0x80 and int.from_bytes(payload[:4], "little") == 3
