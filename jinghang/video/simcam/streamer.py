"""The simulator camera: renders a drone's view and sends it as H.264 in MPEG-TS over UDP.

It behaves as a real drone camera does on the wire (libx264 ultrafast, zerolatency, one
keyframe a second, in-band SPS/PPS, one frame per PES with its length, 188-byte TS packets
in 1316-byte datagrams), so the
gateway cannot tell it from one. Each frame carries its capture time in the stamp block.

The pose comes from ``pose_source`` (the demo wires it to a simulated vehicle's physics
state), called on the event loop once per frame. Rendering and encoding run in the default
executor, one job per frame, so the event loop never blocks on them.
"""

from __future__ import annotations

import asyncio
import fractions
import time
from collections.abc import Callable
from dataclasses import dataclass

import av
import cv2

from jinghang.errors import VideoError
from jinghang.video.blocking import run_blocking
from jinghang.video.simcam.pose import CameraPose
from jinghang.video.simcam.projection import Intrinsics
from jinghang.video.simcam.render import Renderer
from jinghang.video.simcam.world import Image, World, build_world

PoseSource = Callable[[], CameraPose]

MAX_WIDTH_PX = 3840
MAX_FPS = 60


@dataclass(frozen=True, slots=True)
class CameraSettings:
    """Picture size, frame rate and bitrate of the simulated camera."""

    width_px: int = 1280
    height_px: int = 720
    fps: int = 30
    bitrate_bps: int = 2_500_000
    horizontal_fov_deg: float = 80.0
    keyframe_interval_s: float = 1.0

    def check(self) -> None:
        if not 320 <= self.width_px <= MAX_WIDTH_PX or self.width_px % 2:
            raise VideoError("camera width must be even, 320..3840 px", field="width_px",
                             value=self.width_px, limit=[320, MAX_WIDTH_PX])
        if not 240 <= self.height_px <= 2160 or self.height_px % 2:
            raise VideoError("camera height must be even, 240..2160 px", field="height_px",
                             value=self.height_px, limit=[240, 2160])
        if not 1 <= self.fps <= MAX_FPS:
            raise VideoError("camera frame rate out of range", field="fps", value=self.fps,
                             limit=[1, MAX_FPS])


def udp_url(port: int, host: str = "127.0.0.1") -> str:
    """The MPEG-TS over UDP address a camera sends to and a gateway source reads from."""
    return f"udp://{host}:{port}"


class SimCamera:
    """One simulated drone camera. ``await camera.run()`` streams until cancelled."""

    def __init__(
        self,
        pose_source: PoseSource,
        url: str,
        settings: CameraSettings | None = None,
        world: World | None = None,
        origin: tuple[float, float] | None = None,
    ) -> None:
        self.settings = settings or CameraSettings()
        self.settings.check()
        self.pose_source = pose_source
        self.url = url
        self._world = world
        self._origin = origin
        self.frames_sent = 0

    async def run(self) -> None:
        """Render, stamp, encode and send frames at the configured rate until cancelled."""
        world = self._world if self._world is not None else await run_blocking(build_world)
        first_pose = self.pose_source()
        origin = self._origin or (first_pose.latitude_deg, first_pose.longitude_deg)
        s = self.settings
        renderer = Renderer(world, Intrinsics(s.width_px, s.height_px, s.horizontal_fov_deg),
                            *origin)
        output = await run_blocking(self._open_output)
        try:
            stream = self._add_stream(output)
            period_s = 1.0 / s.fps
            start = time.monotonic()
            index = 0
            while True:
                pose = self.pose_source()
                await run_blocking(self._send_one, renderer, output, stream, pose, index)
                self.frames_sent += 1
                index += 1
                delay = start + index * period_s - time.monotonic()
                if delay < -period_s:  # fell behind: skip ahead instead of bursting
                    skipped = int(-delay / period_s)
                    index += skipped
                    delay += skipped * period_s
                await asyncio.sleep(max(delay, 0.0))
        finally:
            await run_blocking(output.close)

    def _open_output(self) -> av.container.OutputContainer:
        target = self.url
        if target.startswith("udp://") and "pkt_size" not in target:
            target += ("&" if "?" in target else "?") + "pkt_size=1316"
        try:
            # each frame's PES carries its length, so that a receiver can hand the frame on
            # as soon as its last TS packet arrives instead of at the next frame's start
            return av.open(target, mode="w", format="mpegts",
                           options={"flush_packets": "1", "max_delay": "0",
                                    "omit_video_pes_length": "0"})
        except av.FFmpegError as exc:
            raise VideoError(f"simulator camera cannot open output {self.url}: {exc}",
                             field="url", value=self.url) from exc

    def _add_stream(self, output: av.container.OutputContainer) -> av.VideoStream:
        s = self.settings
        keyint = max(1, round(s.fps * s.keyframe_interval_s))
        stream = output.add_stream("libx264", rate=s.fps)
        stream.width = s.width_px
        stream.height = s.height_px
        stream.pix_fmt = "yuv420p"
        stream.bit_rate = s.bitrate_bps
        stream.codec_context.time_base = fractions.Fraction(1, s.fps)
        stream.options = {
            "preset": "ultrafast",
            "tune": "zerolatency",
            "profile": "baseline",
            "x264-params": f"keyint={keyint}:min-keyint={keyint}:scenecut=0:repeat-headers=1",
        }
        return stream

    def _send_one(
        self,
        renderer: Renderer,
        output: av.container.OutputContainer,
        stream: av.VideoStream,
        pose: CameraPose,
        index: int,
    ) -> None:
        capture_ms = int(time.time() * 1000)
        bgr = renderer.render(pose, index / self.settings.fps, capture_ms)
        yuv: Image = cv2.cvtColor(bgr, cv2.COLOR_BGR2YUV_I420)
        frame = av.VideoFrame.from_ndarray(yuv, format="yuv420p")  # type: ignore[arg-type]
        frame.pts = index
        frame.time_base = fractions.Fraction(1, self.settings.fps)
        for packet in stream.encode(frame):
            output.mux(packet)


def fixed_pose(
    latitude_deg: float = 37.5,
    longitude_deg: float = 122.1,
    relative_altitude_m: float = 80.0,
    heading_deg: float = 90.0,
    gimbal_pitch_deg: float = -35.0,
) -> PoseSource:
    """A pose source for a drone hovering still (tests, benchmarks, a camera without a drone)."""
    pose = CameraPose(latitude_deg, longitude_deg, relative_altitude_m, heading_deg,
                      gimbal_pitch_deg)
    return lambda: pose


def orbiting_pose(
    latitude_deg: float = 37.5,
    longitude_deg: float = 122.1,
    relative_altitude_m: float = 80.0,
    heading_rate_deg_s: float = 6.0,
    gimbal_pitch_deg: float = -35.0,
) -> PoseSource:
    """A pose source for a drone hovering and slowly turning on the spot."""
    start = time.monotonic()

    def pose() -> CameraPose:
        heading = ((time.monotonic() - start) * heading_rate_deg_s) % 360.0
        return CameraPose(latitude_deg, longitude_deg, relative_altitude_m, heading,
                          gimbal_pitch_deg)

    return pose
