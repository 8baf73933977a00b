"""Video gateway benchmarks: glass-to-glass latency, gateway CPU, streams per machine.

    python bench/bench_video.py                 # everything, about two minutes
    python bench/bench_video.py --part latency  # latency and CPU per stream / per viewer
    python bench/bench_video.py --part capacity --max-streams 12

The gateway runs in this process (WHEP over uvicorn on 127.0.0.1, no auth). Cameras and
viewers run in their own processes so that their CPU is not counted as gateway CPU:

- latency: a live simulator camera at 1280x720, 30 fps (``python -m jinghang.video.simcam``)
  stamps each frame's capture time. First the camera is decoded directly (no gateway, no
  WebRTC: ``bench_video_direct.py``), then one decoding WebRTC viewer reads the stamps back
  from each decoded frame; p50/p95 for H.264 passthrough and for the VP8 transcode path,
  beside the direct figure with the difference and the ratio. The viewer completes a frame
  on its RTP marker bit as a browser does (aiortc's own buffer waits for the next frame).
- CPU: the gateway process's CPU time (all its threads) over the measured window, divided by
  the window, with 0, 1 and 4 viewers; "per extra viewer" is (4 viewers - 1 viewer) / 3.
- capacity: N 720p30 streams (a recorded simulator clip replayed to N UDP ports, so no
  rendering competes for the CPU) with four counting viewers each; a stream is carried when
  every viewer gets at least 90 % of the frames. Bounded runs of a few seconds each.

Everything shares one machine, so figures are bounded by the cores the other processes
(viewers, replayer, other work on the machine) take; the load average is printed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._common import NotMeasured, require, run  # noqa: E402
from jinghang.errors import JinghangError  # noqa: E402
from jinghang.video.api import router_for  # noqa: E402
from jinghang.video.gateway import VideoGateway  # noqa: E402
from jinghang.video.sources import VideoSource  # noqa: E402
from tests.conftest import free_tcp_port, free_udp_port  # noqa: E402

PY = sys.executable
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}

#: The benchmark's viewers all sign in as one user: its per-user WHEP limit (8 in production)
#: would cap the capacity run at two streams of four viewers.
GATEWAY_OPTIONS: dict[str, Any] = {"source_open_wait_s": 15, "max_sessions_per_user": 1024}


def no_auth() -> str:
    return "bench"


@contextlib.asynccontextmanager
async def serving(gateway: VideoGateway) -> AsyncIterator[str]:
    app = FastAPI()
    app.include_router(router_for(gateway, no_auth))

    @app.exception_handler(JinghangError)
    async def on_error(request: Any, exc: JinghangError) -> Any:
        from fastapi.responses import JSONResponse

        return JSONResponse(exc.to_dict(), status_code=exc.status_code)

    port = free_tcp_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="off"))
    async with asyncio.TaskGroup() as group:
        group.create_task(server.serve())
        for _ in range(400):
            if server.started:
                break
            await asyncio.sleep(0.05)
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            server.should_exit = True


@dataclass
class Window:
    """The gateway's CPU over a measured window, and the frames it handled in it."""

    cpu_s: float
    wall_s: float
    frames: int

    @property
    def cores(self) -> float:
        return self.cpu_s / self.wall_s

    @property
    def cpu_ms_per_frame(self) -> float:
        return 1000 * self.cpu_s / max(self.frames, 1)

    def cores_at(self, fps: float) -> float:
        """CPU time per frame times the frame rate: the share of a core this work needs at
        ``fps`` (independent of how much CPU other processes left us)."""
        return self.cpu_ms_per_frame * fps / 1000


async def run_viewers(gateway: VideoGateway, base_url: str, drones: list[str], per_drone: int,
                      codec: str, duration_s: float, count_only: bool,
                      frames: Callable[[], int], warmup_s: float = 2.0
                      ) -> tuple[list[dict[str, Any]], Window]:
    """One viewer process per drone with ``per_drone`` viewers each. Once every session is
    up and past its warm-up, measure the gateway's CPU and the frames it handled
    (``frames()``) over ``duration_s``; then stop the viewers and collect their reports."""
    procs = []
    for drone in drones:
        cmd = [PY, str(ROOT / "bench" / "bench_video_viewer.py"), "--base-url", base_url,
               "--drone", drone, "--viewers", str(per_drone), "--codec", codec,
               "--warmup-s", str(warmup_s), "--until-stdin"]
        if count_only:
            cmd.append("--count-only")
        procs.append(await asyncio.create_subprocess_exec(
            *cmd, env=ENV, stdin=subprocess.PIPE, stdout=subprocess.PIPE))
    before = len(gateway.sessions)
    expected = len(drones) * per_drone + before
    for _ in range(900):  # up to 3 minutes for every viewer to have signaled
        if len(gateway.sessions) >= expected or any(p.returncode is not None for p in procs):
            break
        await asyncio.sleep(0.2)
    sessions = len(gateway.sessions) - before
    try:
        require(sessions >= len(drones) * per_drone,
                f"only {sessions} of {len(drones) * per_drone} viewers got a WHEP session "
                "(a viewer process failed, see above)")
        await asyncio.sleep(warmup_s + 1.5)  # first keyframe (<= 1 s) and the viewers' warm-up
        cpu0, wall0, frames0 = time.process_time(), time.monotonic(), frames()
        await asyncio.sleep(duration_s)
        window = Window(time.process_time() - cpu0, time.monotonic() - wall0,
                        frames() - frames0)
    finally:
        reports = []
        for drone, proc in zip(drones, procs, strict=True):
            out = b""
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                out, _ = await proc.communicate(b"stop\n")
            lines = out.decode().strip().splitlines() if proc.returncode == 0 else []
            require(lines, f"the viewer process of {drone} failed (exit {proc.returncode})")
            reports.append(json.loads(lines[-1]))
    require(window.frames > 0, f"the gateway handled no frame of {', '.join(drones)} in the "
            f"{duration_s:g} s window")
    for drone, report in zip(drones, reports, strict=True):
        got = report["frames"]
        require(all(got), f"no frame arrived at {got.count(0)} of {len(got)} {codec} viewers of "
                f"{drone} in {warmup_s + 1.5 + duration_s:g} s (WebRTC did not connect or "
                f"carried nothing)")
    return reports, window


async def idle_window(seconds: float, frames: Callable[[], int]) -> Window:
    cpu0, wall0, frames0 = time.process_time(), time.monotonic(), frames()
    await asyncio.sleep(seconds)
    return Window(time.process_time() - cpu0, time.monotonic() - wall0, frames() - frames0)


def fmt(value: Any, unit: str = "") -> str:
    if value is None:
        return "-"
    return f"{value:.0f}{unit}" if isinstance(value, float) else f"{value}{unit}"


async def bench_latency(duration_s: float) -> dict[str, Any]:
    port = free_udp_port()
    camera = await asyncio.create_subprocess_exec(
        PY, "-m", "jinghang.video.simcam", "--port", str(port), env=ENV)
    results: dict[str, Any] = {}
    try:
        direct = await asyncio.create_subprocess_exec(
            PY, str(ROOT / "bench" / "bench_video_direct.py"), "--url",
            f"udp://127.0.0.1:{port}", "--duration-s", str(duration_s), env=ENV,
            stdout=subprocess.PIPE)
        out, _ = await direct.communicate()
        lines = out.decode().strip().splitlines()
        require(direct.returncode == 0 and lines, "the direct decoder failed "
                f"(exit {direct.returncode})")
        results["direct"] = json.loads(lines[-1])
        require(results["direct"]["stamps_read"], "no capture stamp could be read by the "
                "direct decoder: no baseline measured")
        async with VideoGateway(**GATEWAY_OPTIONS) as gateway, serving(gateway) as url:
            relay = gateway.add_drone("d1", VideoSource(f"udp://127.0.0.1:{port}"))
            await relay.source.wait_open(30)
            source_only = await idle_window(4, lambda: relay.stats.packets_in)
            results["source_only"] = {"cores": source_only.cores,
                                      "cpu_ms_per_frame": source_only.cpu_ms_per_frame}
            counters = {"passthrough": lambda: relay.stats.packets_in,
                        "transcode": lambda: relay.stats.frames_encoded}
            for path, codec in (("passthrough", "H264"), ("transcode", "VP8")):
                (one,), w1 = await run_viewers(gateway, url, ["d1"], 1, codec, duration_s,
                                               False, counters[path])
                (four,), w4 = await run_viewers(gateway, url, ["d1"], 4, codec, duration_s,
                                                True, counters[path])
                require(one["stamps_read"], f"no capture stamp could be read from the {path} "
                        "viewer's frames: no latency measured")
                results[path] = {
                    "latency_ms_p50": one["latency_ms_p50"],
                    "latency_ms_p95": one["latency_ms_p95"],
                    "stamps_read": one["stamps_read"],
                    "viewer_fps": one["fps"],
                    "fps_4_viewers": four["fps"],
                    "cpu_ms_per_frame_1_viewer": w1.cpu_ms_per_frame,
                    "cpu_ms_per_frame_4_viewers": w4.cpu_ms_per_frame,
                    "cores_at_30fps_1_viewer": w1.cores_at(30),
                    "cores_at_30fps_4_viewers": w4.cores_at(30),
                    "cores_per_extra_viewer": (w4.cores_at(30) - w1.cores_at(30)) / 3,
                    "measured_cores_1_viewer": w1.cores,
                    "measured_cores_4_viewers": w4.cores,
                }
            results["relay"] = relay.describe()
    finally:
        with contextlib.suppress(ProcessLookupError):
            camera.terminate()
        await camera.wait()
    return results


def _relay_frames(relays: list[Any], path: str) -> int:
    if path == "passthrough":
        return sum(r.stats.packets_in for r in relays)
    return sum(r.stats.frames_encoded for r in relays)


async def bench_capacity(max_streams: int, duration_s: float, clip: Path) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for path, codec in (("passthrough", "H264"), ("transcode", "VP8")):
        carried = 0
        runs = []
        n = 1
        while n <= max_streams:
            ports = [free_udp_port() for _ in range(n)]
            replay = await asyncio.create_subprocess_exec(
                PY, str(ROOT / "bench" / "bench_video_replay.py"), str(clip),
                *map(str, ports), "--duration-s", str(duration_s + 60 + 5 * n), env=ENV)
            try:
                async with VideoGateway(**GATEWAY_OPTIONS) as gateway, \
                        serving(gateway) as url:
                    for i, port in enumerate(ports):
                        gateway.add_drone(f"d{i}", VideoSource(f"udp://127.0.0.1:{port}"))
                    for i in range(n):
                        await gateway.relay(f"d{i}").source.wait_open(30)
                    relays = [gateway.relay(f"d{i}") for i in range(n)]
                    frames = functools.partial(_relay_frames, relays, path)
                    try:
                        reports, window = await run_viewers(
                            gateway, url, [f"d{i}" for i in range(n)], 4, codec, duration_s,
                            True, frames)
                    except NotMeasured as exc:
                        if n == 1:
                            raise  # not even one stream: nothing was measured
                        print(f"  {path:11s} {n:2d} streams x 4 viewers: NOT carried ({exc})",
                              flush=True)
                        reports, window = [], None
            finally:
                with contextlib.suppress(ProcessLookupError):
                    replay.terminate()
                await replay.wait()
            if window is None:
                break
            min_fps = min(f for report in reports for f in report["fps"])
            cores = window.cores
            ok = min_fps >= 27.0  # carried: every viewer received >= 90 % of the frames
            runs.append({"streams": n, "gateway_cores": round(cores, 2),
                         "cores_at_30fps": round(window.cores_at(30 * n), 2),
                         "min_viewer_fps": min_fps, "carried": ok,
                         "load_avg_1m": os.getloadavg()[0]})
            print(f"  {path:11s} {n:2d} streams x 4 viewers: gateway {cores * 100:5.0f}% CPU "
                  f"({window.cpu_ms_per_frame:.1f} ms per frame), "
                  f"slowest viewer {min_fps:4.1f} fps -> {'carried' if ok else 'NOT carried'}",
                  flush=True)
            if not ok:
                break
            carried = n
            n = n + 1 if n < 4 else n + 2
        out[path] = {"carried_streams": carried, "runs": runs}
    return out


def clip_size(clip: Path) -> int:
    return clip.stat().st_size if clip.exists() else 0


async def record_clip(clip: Path, seconds: float) -> None:
    """About ``seconds`` of the simulator camera (720p30) in ``clip``: the camera runs until the
    file has been growing that long (its world is built first: seconds under load)."""
    import signal

    maker = await asyncio.create_subprocess_exec(
        PY, "-m", "jinghang.video.simcam", "--output", str(clip), env=ENV)
    try:
        for _ in range(1200):  # up to 2 minutes to build the world and open the file
            if clip_size(clip) or maker.returncode is not None:
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(seconds)
    finally:
        with contextlib.suppress(ProcessLookupError):
            maker.send_signal(signal.SIGINT)  # the camera closes the file on an interrupt
        await maker.wait()
    require(clip_size(clip) > 0,
            f"the simulator camera wrote no clip to replay (exit {maker.returncode})")


async def bench() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--part", choices=["latency", "capacity", "all"], default="all")
    parser.add_argument("--duration-s", type=float, default=6.0)
    parser.add_argument("--max-streams", type=int, default=10)
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}", flush=True)
    report: dict[str, Any] = {}
    if args.part in ("latency", "all"):
        lat = await bench_latency(args.duration_s)
        report["latency"] = lat
        print(f"source read only (0 viewers): gateway "
              f"{lat['source_only']['cpu_ms_per_frame']:.2f} ms CPU per frame")
        d = lat["direct"]
        print(f"direct decode (no gateway, no WebRTC): glass-to-glass p50 "
              f"{fmt(d['latency_ms_p50'], ' ms')}, p95 {fmt(d['latency_ms_p95'], ' ms')} "
              f"({d['stamps_read']} stamps)")
        for path in ("passthrough", "transcode"):
            r = lat[path]
            if r["latency_ms_p50"] is not None and d["latency_ms_p50"]:
                print(f"{path:11s} vs direct: +{r['latency_ms_p50'] - d['latency_ms_p50']:.1f} ms"
                      f" at p50, ratio {r['latency_ms_p50'] / d['latency_ms_p50']:.2f}")
            print(f"{path:11s} 720p30: glass-to-glass p50 {fmt(r['latency_ms_p50'], ' ms')}, "
                  f"p95 {fmt(r['latency_ms_p95'], ' ms')} ({r['stamps_read']} stamps, viewer "
                  f"{r['viewer_fps'][0]} fps); gateway CPU per stream at 30 fps: "
                  f"{r['cores_at_30fps_1_viewer'] * 100:.1f}% of a core with 1 viewer, "
                  f"{r['cores_at_30fps_4_viewers'] * 100:.1f}% with 4, "
                  f"{r['cores_per_extra_viewer'] * 100:.2f}% per extra viewer "
                  f"({r['cpu_ms_per_frame_1_viewer']:.2f} / {r['cpu_ms_per_frame_4_viewers']:.2f}"
                  f" ms per frame)", flush=True)
            cores4 = r["cores_at_30fps_4_viewers"]
            print(f"{'':11s} -> a 2-core gateway carries about {int(2 * 0.8 / cores4)} such "
                  f"streams with 4 viewers each at 80 % CPU (extrapolated from CPU per frame)")
    if args.part in ("capacity", "all"):
        with tempfile.TemporaryDirectory() as tmp:
            clip = Path(tmp) / "clip.ts"
            await record_clip(clip, seconds=6.0)
            print("capacity (720p30 streams, 4 viewers each):", flush=True)
            report["capacity"] = await bench_capacity(args.max_streams, args.duration_s, clip)
        for path in ("passthrough", "transcode"):
            print(f"{path:11s}: {report['capacity'][path]['carried_streams']} streams carried")
    print(json.dumps(report, default=str))


def main() -> None:
    asyncio.run(bench())


if __name__ == "__main__":
    run(main)
