"""Video source benchmark: glass-to-glass latency of RTSP and RTMP cameras through real servers.

    python bench/bench_video_sources.py [--duration-s 6] [--width 1280 --height 720 --fps 30]

Each path gets a live simulator camera (``python -m jinghang.video.simcam``, its own process,
stamping each frame's capture time) and one decoding WebRTC viewer process
(``bench/bench_video_viewer.py``) that reads the stamps back, as ``bench/bench_video.py``
does; the gateway runs in this process. Paths, one after another in one run:

- ``udp-direct``: the camera's MPEG-TS over UDP straight into the relay (the baseline);
- ``rtsp-tcp`` / ``rtsp-udp``: the camera into GStreamer's RTSP server (Debian's
  gst-rtsp-server, ``tests/video/rtsp_server.py``), the relay pulling RTSP with interleaved
  TCP or RTP over UDP;
- ``rtmp``: the camera pushed by ffmpeg (H.264 copied into FLV, as an encoder pushes) to nginx
  with ``libnginx-mod-rtmp``, the relay pulling ``rtmp://127.0.0.1:<port>/live/<key>``.

Prints p50/p95 per path and what each server path adds over the direct one. Fails (exit 1,
one line on stderr) when a server is not installed or no stamped frame arrives on a path.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._common import NotMeasured, require, run  # noqa: E402
from bench.bench_video import ENV, PY, fmt, run_viewers, serving  # noqa: E402
from jinghang.video.gateway import VideoGateway  # noqa: E402
from jinghang.video.sources import VideoSource  # noqa: E402
from tests.conftest import free_udp_port  # noqa: E402
from tests.video.media_servers import (  # noqa: E402
    RtmpPush,
    RtmpServer,
    RtspServer,
    missing_rtmp_server,
    missing_rtsp_server,
)

PATHS = ("udp-direct", "rtsp-tcp", "rtsp-udp", "rtmp")


@contextlib.asynccontextmanager
async def camera(port: int, args: argparse.Namespace) -> AsyncIterator[None]:
    process = await asyncio.create_subprocess_exec(
        PY, "-m", "jinghang.video.simcam", "--port", str(port), "--width", str(args.width),
        "--height", str(args.height), "--fps", str(args.fps), env=ENV)
    try:
        yield
    finally:
        with contextlib.suppress(ProcessLookupError):
            process.terminate()
        await process.wait()


@contextlib.asynccontextmanager
async def source_for(path: str, udp_port: int) -> AsyncIterator[str]:
    """The address the relay reads for ``path``, with its server running (the servers' logs
    are printed when the path fails)."""
    logs: list[Path] = []
    try:
        if path == "udp-direct":
            yield f"udp://127.0.0.1:{udp_port}"
        elif path.startswith("rtsp"):
            async with RtspServer(udp_port) as server:
                logs.append(server.log)
                yield f"{server.url}#transport={path.split('-')[1]}"
        else:
            async with RtmpServer() as server:
                url = server.url("bench")
                async with RtmpPush(udp_port, url, server.dir) as push:
                    logs += [server.log, push.log]
                    try:
                        try:
                            await server.wait_published("bench", 60)
                        except TimeoutError:
                            raise NotMeasured("rtmp: ffmpeg never published the camera to "
                                              "nginx within 60 s") from None
                        yield url
                    except BaseException:
                        print_logs(logs)  # (before the server's directory is removed)
                        logs.clear()
                        raise
    except BaseException:
        print_logs(logs)
        raise


def print_logs(logs: list[Path]) -> None:
    for log in logs:
        if log.exists():
            print(f"--- {log.name}:\n{log.read_text(errors='replace')[-3000:]}", file=sys.stderr)


async def measure(gateway: VideoGateway, base_url: str, path: str,
                  args: argparse.Namespace) -> dict[str, Any]:
    port = free_udp_port()
    async with camera(port, args), source_for(path, port) as url:
        relay = gateway.add_drone(path, VideoSource(url, backoff_max_s=1.0))
        try:
            try:
                info = await relay.source.wait_open(60)
            except Exception as exc:
                raise NotMeasured(f"{path}: the relay never opened {relay.source.url}: {exc}"
                                  ) from exc
            (report,), _ = await run_viewers(gateway, base_url, [path], 1, "H264",
                                             args.duration_s, False,
                                             lambda: relay.stats.packets_in)
        finally:
            await gateway.remove_drone(path)
    require(report["stamps_read"], f"{path}: no capture stamp could be read from the viewer's "
            "frames (nothing arrived through the server)")
    return {
        "latency_ms_p50": report["latency_ms_p50"],
        "latency_ms_p95": report["latency_ms_p95"],
        "stamps_read": report["stamps_read"],
        "viewer_fps": report["fps"][0],
        "codec": info.codec_name,
        "size_px": [info.width_px, info.height_px],
        "source_opens": relay.source.stats.opens,
    }


async def bench() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration-s", type=float, default=6.0)
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=720)
    parser.add_argument("--fps", type=int, default=30)
    parser.add_argument("--paths", nargs="+", choices=PATHS, default=list(PATHS))
    args = parser.parse_args()
    if any(p.startswith("rtsp") for p in args.paths):
        require(not missing_rtsp_server(), missing_rtsp_server())
    if "rtmp" in args.paths:
        require(not missing_rtmp_server(), missing_rtmp_server())
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; "
          f"camera {args.width}x{args.height} at {args.fps} fps", flush=True)
    results: dict[str, Any] = {}
    async with VideoGateway(source_open_wait_s=30) as gateway, serving(gateway) as base_url:
        for path in args.paths:
            results[path] = await measure(gateway, base_url, path, args)
            r = results[path]
            print(f"{path:10s}: glass-to-glass p50 {fmt(r['latency_ms_p50'], ' ms')}, "
                  f"p95 {fmt(r['latency_ms_p95'], ' ms')} ({r['stamps_read']} stamps, viewer "
                  f"{r['viewer_fps']} fps, {r['codec']} {r['size_px'][0]}x{r['size_px'][1]})",
                  flush=True)
    direct = results.get("udp-direct")
    if direct is not None:
        for path, r in results.items():
            if path != "udp-direct":
                r["added_ms_p50"] = r["latency_ms_p50"] - direct["latency_ms_p50"]
                print(f"{path:10s}: adds {r['added_ms_p50']:+.0f} ms (p50) over the camera's "
                      "UDP MPEG-TS straight into the relay")
    print(json.dumps(results))


def main() -> None:
    asyncio.run(bench())


if __name__ == "__main__":
    run(main)
