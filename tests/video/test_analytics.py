"""The analytics hook: motion boxes where something moved, events on the bus with the
drone's position, fed from the live stream without being on its path."""

from __future__ import annotations

import asyncio
from typing import Any

import numpy as np

from jinghang.events import EventBus
from jinghang.video.analytics import TOPIC, Detector
from jinghang.video.gateway import VideoGateway
from jinghang.video.osd import OsdInfo
from jinghang.video.simcam import orbiting_pose
from tests.conftest import free_udp_port
from tests.video.conftest import Camera


def test_motion_box_covers_what_moved() -> None:
    detector = Detector(detect_people=False)
    rng = np.random.default_rng(1)
    background = rng.integers(90, 110, (720, 1280, 3), dtype=np.uint8)
    for _ in range(5):
        assert detector.analyse(background.copy()) == []  # the background does not move
    moved = background.copy()
    moved[300:400, 600:700] = 255  # a 100 x 100 px object appears
    boxes = [d for d in detector.analyse(moved) if d.kind == "motion"]
    assert boxes, "no motion found"
    box = boxes[0]
    assert abs(box.x_px - 600) <= 8 and abs(box.y_px - 300) <= 8
    assert abs(box.width_px - 100) <= 12 and abs(box.height_px - 100) <= 12


async def test_detections_are_published_with_drone_and_position(small_world: Any) -> None:
    bus = EventBus()
    cam = Camera(free_udp_port(), small_world, pose_source=orbiting_pose(heading_rate_deg_s=40))

    def where() -> OsdInfo:
        return OsdInfo("drone-7", 37.5, 122.1, 80.0, 0.0, "patrol")

    async with (asyncio.TaskGroup() as group, VideoGateway(bus=bus) as gateway,
                bus.subscribe(TOPIC) as events):
        cam.start(group)
        gateway.add_drone("drone-7", cam.url, osd_source=where, analytics=True,
                          analytics_interval_s=0.5)
        try:
            async with asyncio.timeout(20):
                event = await events.get()
        finally:
            await cam.stop()
    assert event.topic == "video.detection"
    assert event.data["drone_id"] == "drone-7"
    assert event.data["kind"] in ("motion", "person")
    x, y, w, h = event.data["box_px"]
    assert 0 <= x < 640 and 0 <= y < 360 and w > 0 and h > 0
    assert (event.data["latitude_deg"], event.data["relative_altitude_m"]) == (37.5, 80.0)
    assert gateway.analytics["drone-7"].samples_analysed >= 3  # two to learn, then motion
