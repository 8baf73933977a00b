"""The camera decoded directly: glass-to-glass latency without the gateway and WebRTC.

    python bench/bench_video_direct.py --url udp://127.0.0.1:PORT --duration-s 6

Reads the source exactly as the gateway's relay does (``VideoSource``: same input options,
same demuxer, keyframes found the same way), decodes every packet with PyAV and reads each
frame's capture stamp. Prints one JSON line with latency p50/p95 and the stamps read. It is
the baseline that ``bench_video.py --part latency`` prints beside the WebRTC viewer's figure.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import time
from pathlib import Path
from typing import Any

import av

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from jinghang.video.sources import VideoSource
from jinghang.video.stamp import read_stamp_from_frame


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--duration-s", type=float, default=6.0)
    parser.add_argument("--warmup-s", type=float, default=1.5)
    args = parser.parse_args()
    source = VideoSource(args.url, open_timeout_s=15)
    decoder: Any = None
    latencies: list[float] = []
    started: list[float] = []
    done = asyncio.Event()

    def on_packet(packet: av.Packet) -> None:
        nonlocal decoder
        if decoder is None:
            if not packet.is_keyframe or source.info is None:
                return
            decoder = av.CodecContext.create(source.info.codec_name, "r")
            started.append(time.monotonic())
        try:
            frames = decoder.decode(packet)
        except av.error.InvalidDataError:
            return
        elapsed_s = time.monotonic() - started[0]
        if elapsed_s > args.warmup_s + args.duration_s:
            done.set()
        if elapsed_s < args.warmup_s:
            return
        for frame in frames:
            stamp = read_stamp_from_frame(frame)
            if stamp is not None:
                latencies.append(time.time() * 1000 - stamp)

    task = asyncio.ensure_future(source.run(on_packet))
    try:
        await source.wait_open(15)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(20 + args.warmup_s + args.duration_s):
                await done.wait()
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    print(json.dumps({"latency_ms_p50": percentile(latencies, 0.5),
                      "latency_ms_p95": percentile(latencies, 0.95),
                      "stamps_read": len(latencies)}))


if __name__ == "__main__":
    asyncio.run(main())
