"""Run inside a loopback-only network namespace by test_loopback_only.py: the simulator camera,
the gateway built from settings as ``jinghang serve`` builds it, and one aiortc viewer; prints
``frames N`` (the viewer's decoded frames) and exits 0 when a picture arrived, 1 otherwise."""

from __future__ import annotations

import asyncio
import sys

from jinghang.config import Settings
from jinghang.video.gateway import VideoGateway
from jinghang.video.simcam import CameraSettings, SimCamera, build_world, fixed_pose, udp_url

SMALL = CameraSettings(width_px=426, height_px=240, fps=15, bitrate_bps=400_000)


async def main(policy: str) -> int:
    from tests.video.conftest import Viewer  # the tests' viewer, with no ICE patching

    url = udp_url(45_678)
    camera = SimCamera(fixed_pose(), url, SMALL, world=build_world(size_px=512, metres_per_px=1.0))
    settings = Settings(ice_loopback=policy)  # type: ignore[arg-type]
    async with VideoGateway.from_settings(settings) as gateway, asyncio.TaskGroup() as group:
        cam_task = group.create_task(camera.run())
        gateway.add_drone("drone-1", url)
        viewer = Viewer("H264")
        try:
            session = await gateway.open_session("drone-1", await viewer.offer())
            await viewer.accept(session.answer_sdp)
            try:
                await viewer.wait_frames(5, timeout_s=10)
            except TimeoutError:
                pass
            print(f"frames {viewer.frames}", flush=True)
            return 0 if viewer.frames >= 5 else 1
        finally:
            await viewer.close()
            cam_task.cancel()


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1])))
