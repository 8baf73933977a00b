"""Benchmark viewers: N WebRTC viewers of one drone in this process, for a bounded time.

    python bench/bench_video_viewer.py --base-url http://127.0.0.1:PORT --drone d1 \
        --viewers 4 --codec H264 --duration-s 8 [--count-only] [--until-stdin]

Prints one JSON line: frames and frame rate per viewer, glass-to-glass latency p50/p95 from
the capture stamps (when decoding), and this process's CPU. ``--count-only`` replaces
aiortc's decoder by a frame counter, so a machine can host many viewers cheaply (they stand
in for operators' browsers on other machines; no latency is measured then).
ICE is kept on 127.0.0.1. Frames are complete on their RTP marker bit, as in a browser
(``--frames-on next-frame`` keeps aiortc's own buffer, a frame period later).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import aioice.ice
import av
import httpx
from aiortc import RTCConfiguration, RTCPeerConnection, RTCRtpSender, RTCSessionDescription

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import _marker_jitter
from jinghang.video.stamp import read_stamp_from_frame

aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"]  # type: ignore[assignment]


class CountingDecoder:
    """Stands in for aiortc's decoder: one tiny frame per received encoded frame."""

    def decode(self, encoded_frame: Any) -> list[av.VideoFrame]:
        frame = av.VideoFrame(16, 16, "yuv420p")
        frame.pts = encoded_frame.timestamp
        return [frame]


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class Viewer:
    def __init__(self, codec: str, warmup_s: float) -> None:
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        transceiver = self.pc.addTransceiver("video", direction="recvonly")
        caps = RTCRtpSender.getCapabilities("video").codecs
        transceiver.setCodecPreferences(
            [c for c in caps if c.mimeType.lower() == f"video/{codec.lower()}"])
        self.warmup_s = warmup_s
        self.frames = 0
        self.latencies_ms: list[float] = []
        self.first_frame_s: float | None = None
        self.started_s = time.monotonic()
        self.tasks: list[asyncio.Task[None]] = []

        @self.pc.on("track")
        def on_track(track: Any) -> None:
            self.tasks.append(asyncio.ensure_future(self.read(track)))

    def fps(self, ended_s: float) -> float:
        """Frames per second over the counting window (from first frame + warm-up)."""
        if self.first_frame_s is None:
            return 0.0
        window_s = ended_s - (self.first_frame_s + self.warmup_s)
        return self.frames / window_s if window_s > 0.5 else 0.0

    async def read(self, track: Any) -> None:
        while True:
            try:
                frame = await track.recv()
            except Exception:
                return
            now = time.monotonic()
            if self.first_frame_s is None:
                self.first_frame_s = now
            if now - self.first_frame_s < self.warmup_s:
                continue
            self.frames += 1
            if frame.width > 16:
                stamp = read_stamp_from_frame(frame)
                if stamp is not None:
                    self.latencies_ms.append(time.time() * 1000 - stamp)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--drone", required=True)
    parser.add_argument("--viewers", type=int, default=1)
    parser.add_argument("--codec", default="H264")
    parser.add_argument("--mode", default="auto")
    parser.add_argument("--duration-s", type=float, default=8.0)
    parser.add_argument("--warmup-s", type=float, default=2.0)
    parser.add_argument("--count-only", action="store_true")
    parser.add_argument("--frames-on", choices=["marker", "next-frame"], default="marker",
                        help="complete a frame on its RTP marker bit, as browsers do "
                        "(default), or on the next frame's first packet, as aiortc does")
    parser.add_argument("--until-stdin", action="store_true",
                        help="watch until a line arrives on stdin instead of for a duration")
    args = parser.parse_args()
    if args.count_only:
        import aiortc.rtcrtpreceiver as receiver

        receiver.get_decoder = lambda codec: CountingDecoder()  # type: ignore[assignment]

    if args.frames_on == "marker":
        _marker_jitter.install()
    viewers = [Viewer(args.codec, args.warmup_s) for _ in range(args.viewers)]
    locations = []
    async with httpx.AsyncClient(base_url=args.base_url, timeout=30) as http:
        for viewer in viewers:
            await viewer.pc.setLocalDescription(await viewer.pc.createOffer())
            response = await http.post(
                f"/video/{args.drone}/whep", params={"mode": args.mode},
                content=viewer.pc.localDescription.sdp,
                headers={"Content-Type": "application/sdp"})
            response.raise_for_status()
            locations.append(response.headers["location"])
            await viewer.pc.setRemoteDescription(RTCSessionDescription(response.text, "answer"))
        cpu0 = time.process_time()
        if args.until_stdin:
            await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        else:
            await asyncio.sleep(args.warmup_s + args.duration_s)
        cpu_s = time.process_time() - cpu0
        ended_s = time.monotonic()
        for location in locations:
            await http.delete(location)
    for viewer in viewers:
        await viewer.pc.close()
        for task in viewer.tasks:
            task.cancel()
    latencies = [ms for v in viewers for ms in v.latencies_ms]
    print(json.dumps({
        "viewers": len(viewers),
        "frames": [v.frames for v in viewers],
        "fps": [round(v.fps(ended_s), 1) for v in viewers],
        "latency_ms_p50": percentile(latencies, 0.5),
        "latency_ms_p95": percentile(latencies, 0.95),
        "latency_ms_mean": statistics.fmean(latencies) if latencies else None,
        "stamps_read": len(latencies),
        "viewer_cpu_s": round(cpu_s, 2),
    }))


if __name__ == "__main__":
    asyncio.run(main())
