"""Run a simulated drone camera on its own: ``python -m jinghang.video.simcam --port 5600``.

Sends H.264 in MPEG-TS over UDP to 127.0.0.1 (or writes a ``.ts`` file with ``--output``)
from a drone hovering at a fixed spot and slowly turning, until interrupted or for
``--duration-s``. Benchmarks run cameras this way, in their own processes, so that a
camera's rendering is not counted as gateway work.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib

from jinghang.video.simcam.streamer import CameraSettings, SimCamera, orbiting_pose, udp_url


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m jinghang.video.simcam")
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--port", type=int, help="UDP port on 127.0.0.1 to send to")
    target.add_argument("--output", help="write MPEG-TS to this file instead")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=720)
    parser.add_argument("--fps", type=int, default=30)
    parser.add_argument("--bitrate", type=int, default=2_500_000, help="bits per second")
    parser.add_argument("--turn-deg-s", type=float, default=6.0, help="heading rate")
    parser.add_argument("--duration-s", type=float, default=0.0, help="0: until interrupted")
    args = parser.parse_args()
    url = udp_url(args.port) if args.port else args.output
    camera = SimCamera(
        orbiting_pose(heading_rate_deg_s=args.turn_deg_s),
        url,
        CameraSettings(args.width, args.height, args.fps, args.bitrate),
    )

    async def run() -> None:
        if args.duration_s > 0:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(args.duration_s):
                    await camera.run()
        else:
            await camera.run()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run())


if __name__ == "__main__":
    main()
