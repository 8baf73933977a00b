"""What one simulator camera costs: CPU per 720p frame for rendering (one perspective warp
of the pre-rendered world, the vehicles, the stamp) and for H.264 encoding, and so how many
720p30 cameras two cores can run.

    python bench/bench_video_camera.py [--frames 150] [--width 1280 --height 720]

CPU time (not wall time) per frame, so other load on the machine does not inflate it.
"""

from __future__ import annotations

import argparse
import fractions
import sys
import time
from pathlib import Path

import av
import cv2

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import require, run
from jinghang.video.simcam import CameraPose, build_world
from jinghang.video.simcam.projection import Intrinsics
from jinghang.video.simcam.render import Renderer


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--frames", type=int, default=150)
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=720)
    args = parser.parse_args()
    started = time.process_time()
    world = build_world()
    build_s = time.process_time() - started
    renderer = Renderer(world, Intrinsics(args.width, args.height), 37.5, 122.1)
    codec = av.CodecContext.create("libx264", "w")
    codec.width, codec.height, codec.pix_fmt = args.width, args.height, "yuv420p"
    codec.time_base = fractions.Fraction(1, 30)
    codec.bit_rate = 2_500_000
    codec.options = {"preset": "ultrafast", "tune": "zerolatency",
                     "x264-params": "keyint=30:min-keyint=30:scenecut=0"}
    render_s = encode_s = 0.0
    size = 0
    for index in range(args.frames):
        pose = CameraPose(37.5, 122.1, 80.0, (index * 0.2) % 360, -35.0)
        t0 = time.process_time()
        image = renderer.render(pose, index / 30, int(time.time() * 1000))
        t1 = time.process_time()
        frame = av.VideoFrame.from_ndarray(cv2.cvtColor(image, cv2.COLOR_BGR2YUV_I420),
                                           format="yuv420p")
        frame.pts = index
        size += sum(p.size for p in codec.encode(frame))
        t2 = time.process_time()
        render_s += t1 - t0
        encode_s += t2 - t1
    size += sum(p.size for p in codec.encode(None))  # flush: what the encoder still holds
    require(args.frames > 0, "no frame rendered (--frames 0)")
    require(size > 0, f"the H.264 encoder produced nothing from {args.frames} frames")
    per_frame_ms = 1000 * (render_s + encode_s) / args.frames
    print(f"world built once in {build_s:.1f} s CPU (shared by every camera in a process)")
    print(f"{args.width}x{args.height}: render {1000 * render_s / args.frames:.1f} ms + "
          f"encode {1000 * encode_s / args.frames:.1f} ms CPU per frame = "
          f"{per_frame_ms * 30 / 10:.0f} % of a core at 30 fps; "
          f"{int(2000 / (per_frame_ms * 30))} cameras on two cores; "
          f"{size * 8 / (args.frames / 30) / 1e6:.2f} Mbit/s")


if __name__ == "__main__":
    run(main)
