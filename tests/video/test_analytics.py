"""The analytics hook: motion boxes where something moved, events on the bus with the
drone's position, fed from the live stream without being on its path."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import av
import cv2
import numpy as np
import pytest

from jinghang.events import EventBus
from jinghang.video.analytics import TOPIC, Detector
from jinghang.video.gateway import VideoGateway
from jinghang.video.osd import OsdInfo
from jinghang.video.simcam import orbiting_pose
from jinghang.video.sources import VideoSource
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
                # (HOG also fires on the simulator's scenery now and then: skip those)
                while event.data["kind"] != "motion":
                    event = await events.get()
        finally:
            await cam.stop()
    assert event.topic == "video.detection"
    assert event.data["drone_id"] == "drone-7"
    x, y, w, h = event.data["box_px"]
    assert 0 <= x < 640 and 0 <= y < 360 and w > 0 and h > 0
    assert (event.data["latitude_deg"], event.data["relative_altitude_m"]) == (37.5, 80.0)
    assert gateway.analytics["drone-7"].samples_analysed >= 3  # two to learn, then motion


# OpenCV's pedestrian sample (the clip its peopledetect.py demo runs on), shipped by Debian's
# opencv-doc package; not copied into this repository.
PEDESTRIAN_CLIP = Path("/usr/share/doc/opencv-doc/examples/data/vtest.avi")


def test_person_detector_is_available() -> None:
    # OpenCV 5 has no HOGDescriptor; the project pins 4.x so people are looked for even
    # where no model is installed
    assert Detector(use_model=False).people_available, (
        f"OpenCV {cv2.__version__} has no HOG people detector")


def _pedestrian_frames(count: int) -> list[Any]:
    if not PEDESTRIAN_CLIP.is_file():
        pytest.skip(f"no {PEDESTRIAN_CLIP} (apt-get install opencv-doc); pedestrian test skipped")
    with av.open(str(PEDESTRIAN_CLIP)) as clip:
        return [frame.to_ndarray(format="bgr24")
                for frame, _ in zip(clip.decode(video=0), range(count), strict=False)]


def test_hog_fallback_finds_a_person_in_a_pedestrian_scene() -> None:
    frame = _pedestrian_frames(1)[0]
    people = [d for d in Detector(use_model=False).analyse(frame) if d.kind == "person"]
    assert people, "HOG found no person in OpenCV's pedestrian sample"
    height_px, width_px = frame.shape[:2]
    for person in people:  # upright boxes inside the frame, about twice as tall as wide
        assert 0 <= person.x_px and person.x_px + person.width_px <= width_px + 16
        assert 0 <= person.y_px and person.y_px + person.height_px <= height_px + 16
        assert 1.6 <= person.height_px / person.width_px <= 2.4


def _h264_clip(frames: list[Any], path: Path, fps: int = 10) -> Path:
    """The pedestrian frames as a drone would send them: H.264 in MPEG-TS, a keyframe a
    second."""
    height_px, width_px = frames[0].shape[:2]
    with av.open(str(path), mode="w", format="mpegts") as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width_px, height_px, "yuv420p"
        stream.options = {"preset": "ultrafast", "x264-params": f"keyint={fps}:scenecut=0"}
        for index, bgr in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(bgr, format="bgr24")
            frame.pts = index
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path


async def test_person_events_published_from_a_drone_stream(tmp_path: Path) -> None:
    clip = _h264_clip(_pedestrian_frames(30), tmp_path / "pedestrians.ts")
    bus = EventBus()

    def where() -> OsdInfo:
        return OsdInfo("drone-3", 37.51, 122.12, 35.0, 90.0, "search")

    async with VideoGateway(bus=bus) as gateway, bus.subscribe(TOPIC) as events:
        gateway.add_drone("drone-3", VideoSource(str(clip)), osd_source=where, analytics=True,
                          analytics_interval_s=0.5)
        async with asyncio.timeout(20):
            event = await events.get()
            while event.data["kind"] != "person":
                event = await events.get()
    assert event.data["drone_id"] == "drone-3"
    assert event.data["frame_px"] == [768, 576]
    x, y, w, h = event.data["box_px"]
    assert 0 <= x < 768 and 0 <= y < 576 and 1.6 <= h / w <= 4.0  # upright
    assert event.data["class"] == "person" and event.data["score"] > 0
    assert (event.data["latitude_deg"], event.data["longitude_deg"],
            event.data["relative_altitude_m"]) == (37.51, 122.12, 35.0)
