"""The object detector on real photographs and footage that packages ship, against boxes drawn
by hand (listed below), with the precision and recall it reaches; the events it publishes carry
class, score, box and the ground position; HOG takes over only where no model is installed.

The imagery (none of it copied into this repository):
- ``small-vehicles1.jpeg`` and ``terrain2.png`` from sahi's source distribution on PyPI
  (``requirements/testdata.txt``, downloaded by scripts/test): a motorway seen from a bridge
  (vehicles of 8 to 60 px), and off-road cars from a low hill with sahi's own COCO boxes;
- frames 0 and 250 of OpenCV's ``vtest.avi`` (Debian's opencv-doc): people and vehicles seen
  from a second-floor window.
No package or Debian ships a nadir view from 30-120 m with people in it; these are the nearest
real views (oblique, from above) that can be had here.
"""

from __future__ import annotations

import asyncio
import json
import os
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import av
import cv2
import numpy as np
import pytest

from jinghang.events import EventBus
from jinghang.missions.geo import distance_m
from jinghang.video.analytics import TOPIC, Detector
from jinghang.video.detector_model import MODEL_ENV, MODEL_NAME, find_model
from jinghang.video.gateway import VideoGateway
from jinghang.video.ground import CameraGeometry, ground_position
from jinghang.video.osd import OsdInfo
from jinghang.video.sources import VideoSource

TESTDATA_DIR = Path(os.environ.get("JINGHANG_TESTDATA", Path.home() / ".cache/jinghang/testdata"))
SAHI_SDIST = TESTDATA_DIR / "sahi-0.12.8.tar.gz"
SAHI_DEMO = "sahi-0.12.8/demo/demo_data/"
PEDESTRIAN_CLIP = Path("/usr/share/doc/opencv-doc/examples/data/vtest.avi")
IOU_MATCH = 0.5

Box = tuple[int, int, int, int]  # x0, y0, x1, y1 in the image's pixels

# Drawn by hand on the 1068 x 580 photo. Vehicles whose centre is above row 188 (the far
# traffic, under 10 px tall) are neither required nor counted against the detector; the
# ``HARD`` ones (8-9 px tall) likewise.
MOTORWAY_VEHICLES: list[Box] = [
    (323, 323, 381, 362), (449, 311, 494, 339), (383, 279, 418, 303), (523, 226, 545, 241),
    (543, 235, 566, 250), (564, 242, 588, 262), (605, 239, 630, 259), (700, 234, 722, 252),
    (719, 243, 749, 273), (760, 232, 781, 248), (766, 261, 793, 283), (785, 205, 800, 220),
    (617, 201, 630, 211), (622, 206, 638, 219), (657, 203, 671, 215), (643, 191, 657, 208),
    (628, 194, 638, 204), (833, 309, 874, 344),
]
MOTORWAY_HARD: list[Box] = [(750, 192, 761, 201), (666, 183, 676, 191), (633, 177, 643, 189)]
MOTORWAY_FAR_ROW_PX = 188

# Drawn by hand on the 768 x 576 frames (the car at the right edge is half in the picture).
CLIP_TRUTH: dict[int, dict[str, list[Box]]] = {
    0: {"person": [(254, 220, 283, 308), (499, 157, 531, 233), (640, 240, 685, 321)],
        "vehicle": [(651, 44, 724, 99), (734, 50, 768, 94)]},
    250: {"person": [(39, 175, 61, 246), (193, 151, 221, 225), (372, 231, 420, 326),
                     (634, 121, 658, 186), (657, 126, 679, 187), (544, 189, 578, 266),
                     (595, 254, 641, 354)],
          "vehicle": [(651, 44, 724, 99), (734, 50, 768, 94)]},
}


@pytest.fixture(scope="module")
def detector() -> Detector:
    if find_model() is None:
        pytest.skip("no detection model installed (scripts/test runs npm ci in models/)")
    found = Detector(max_boxes=50)
    assert found.model_name == MODEL_NAME
    return found


def _sahi_image(name: str) -> Any:
    if not SAHI_SDIST.is_file():
        pytest.skip(f"no {SAHI_SDIST} (scripts/test downloads requirements/testdata.txt)")
    with tarfile.open(SAHI_SDIST) as archive:
        member = archive.extractfile(SAHI_DEMO + name)
        assert member is not None
        data = member.read()
    return cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)


def _clip_frames(indices: set[int]) -> dict[int, Any]:
    if not PEDESTRIAN_CLIP.is_file():
        pytest.skip(f"no {PEDESTRIAN_CLIP} (apt-get install opencv-doc)")
    frames = {}
    with av.open(str(PEDESTRIAN_CLIP)) as clip:
        for index, frame in enumerate(clip.decode(video=0)):
            if index in indices:
                frames[index] = frame.to_ndarray(format="bgr24")
            if index >= max(indices):
                break
    return frames


def _iou(a: Box, b: Box) -> float:
    ix = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union else 0.0


def _corners(found: Any) -> Box:
    return (found.x_px, found.y_px, found.x_px + found.width_px, found.y_px + found.height_px)


def _score(found: list[Box], truth: list[Box], ignore: list[Box] | None = None,
           far_row_px: int | None = None) -> tuple[int, int, int]:
    """(true positives, false positives, missed): greedy one-to-one matching at IoU 0.5, best
    overlap first; unmatched finds on ``ignore`` boxes or above ``far_row_px`` count nowhere."""
    pairs = sorted(((_iou(f, t), i, j) for i, f in enumerate(found) for j, t in enumerate(truth)),
                   reverse=True)
    used_found: set[int] = set()
    used_truth: set[int] = set()
    for iou, i, j in pairs:
        if iou < IOU_MATCH or i in used_found or j in used_truth:
            continue
        used_found.add(i)
        used_truth.add(j)
    false_positives = 0
    for i, box in enumerate(found):
        if i in used_found:
            continue
        if any(_iou(box, other) >= IOU_MATCH for other in ignore or []):
            continue
        if far_row_px is not None and (box[1] + box[3]) / 2 < far_row_px:
            continue
        false_positives += 1
    return len(used_truth), false_positives, len(truth) - len(used_truth)


def _report(name: str, tp: int, fp: int, fn: int) -> tuple[float, float]:
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    print(f"{name}: TP {tp} FP {fp} FN {fn} precision {precision:.2f} recall {recall:.2f}")
    return precision, recall


def _objects(detector: Detector, image: Any, kind: str) -> list[Box]:
    return [_corners(d) for d in detector.analyse(image) if d.kind == kind]


def test_vehicles_on_a_motorway_seen_from_above(detector: Detector) -> None:
    image = _sahi_image("small-vehicles1.jpeg")
    assert image.shape[:2] == (580, 1068)
    found = _objects(detector, image, "vehicle")
    tp, fp, fn = _score(found, MOTORWAY_VEHICLES, MOTORWAY_HARD, MOTORWAY_FAR_ROW_PX)
    precision, recall = _report("motorway vehicles", tp, fp, fn)
    assert precision >= 0.9 and recall >= 0.7


def test_cars_against_sahis_own_boxes(detector: Detector) -> None:
    image = _sahi_image("terrain2.png")
    with tarfile.open(SAHI_SDIST) as archive:
        member = archive.extractfile(SAHI_DEMO + "terrain2_coco.json")
        assert member is not None
        coco = json.load(member)
    truth = [(round(x), round(y), round(x + w), round(y + h))
             for x, y, w, h in (a["bbox"] for a in coco["annotations"])]
    found = _objects(detector, image, "vehicle")
    tp, fp, fn = _score(found, truth)
    precision, recall = _report("off-road cars (sahi's boxes)", tp, fp, fn)
    assert precision >= 0.8 and recall >= 0.8


def test_people_and_vehicles_seen_from_a_window(detector: Detector) -> None:
    frames = _clip_frames(set(CLIP_TRUTH))
    totals = {"person": [0, 0, 0], "vehicle": [0, 0, 0]}
    for index, truth in CLIP_TRUTH.items():
        detections = detector.analyse(frames[index])
        for kind, boxes in truth.items():
            found = [_corners(d) for d in detections if d.kind == kind]
            for k, v in enumerate(_score(found, boxes)):
                totals[kind][k] += v
    person = _report("clip people", *totals["person"])
    vehicle = _report("clip vehicles", *totals["vehicle"])
    assert person[0] >= 0.8 and person[1] >= 0.8
    assert vehicle[0] >= 0.8 and vehicle[1] >= 0.8


def test_boxes_carry_class_and_score(detector: Detector) -> None:
    image = _sahi_image("small-vehicles1.jpeg")
    vehicles = [d for d in detector.analyse(image) if d.kind == "vehicle"]
    assert vehicles
    assert {d.label for d in vehicles} <= {"car", "truck", "bus", "motorcycle", "bicycle"}
    assert all(d.source == MODEL_NAME and 0.3 <= d.score <= 1.0 for d in vehicles)


def test_ground_position_of_a_nadir_view() -> None:
    camera = CameraGeometry(horizontal_fov_deg=80.0, gimbal_pitch_deg=-90.0)
    here = (37.5, 122.1)
    centre = ground_position(640, 360, (1280, 720), *here, 100.0, 0.0, camera)
    assert centre is not None and distance_m(centre, here) < 0.01
    # the right edge of a nadir view from 100 m heading north is 100 * tan(40 deg) m east
    right = ground_position(1280, 360, (1280, 720), *here, 100.0, 0.0, camera)
    assert right is not None
    assert abs(distance_m(right, here) - 83.9) < 0.2 and right[1] > here[1]
    # heading east, the top of the picture is east of the drone
    ahead = ground_position(640, 0, (1280, 720), *here, 100.0, 90.0, camera)
    assert ahead is not None and ahead[1] > here[1] and abs(ahead[0] - here[0]) < 1e-6
    # a camera looking at the horizon sees no ground above the middle row
    level = CameraGeometry(gimbal_pitch_deg=0.0)
    assert ground_position(640, 100, (1280, 720), *here, 100.0, 0.0, level) is None


def test_without_a_model_people_come_from_hog(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(MODEL_ENV, "/nonexistent/centernet.json")
    fallback = Detector()
    assert fallback.model_name is None and fallback.people_available
    frame = _clip_frames({0})[0]
    people = [d for d in fallback.analyse(frame) if d.kind == "person"]
    assert people and all(d.source == "hog" for d in people)
    assert not [d for d in fallback.analyse(frame) if d.kind == "vehicle"]


def _h264_clip(frames: list[Any], path: Path, fps: int = 10) -> Path:
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


def _repeat(image: Any, count: int) -> Iterator[Any]:
    for _ in range(count):
        yield image


async def test_vehicle_events_from_a_drone_stream_carry_the_ground_position(
    detector: Detector, tmp_path: Path,
) -> None:
    image = _sahi_image("small-vehicles1.jpeg")[:576, :1024]  # even size for H.264
    clip = _h264_clip(list(_repeat(image, 30)), tmp_path / "motorway.ts")
    bus = EventBus()
    here = (37.51, 122.12)

    def where() -> OsdInfo:
        return OsdInfo("drone-3", here[0], here[1], 60.0, 90.0, "traffic")

    async with VideoGateway(bus=bus) as gateway, bus.subscribe(TOPIC) as events:
        gateway.add_drone("drone-3", VideoSource(str(clip)), osd_source=where, analytics=True,
                          analytics_interval_s=0.5,
                          analytics_camera=CameraGeometry(80.0, gimbal_pitch_deg=-35.0))
        async with asyncio.timeout(60):
            event = await events.get()
            while event.data["kind"] != "vehicle":
                event = await events.get()
    data = event.data
    assert data["drone_id"] == "drone-3" and data["detector"] == MODEL_NAME
    assert data["class"] in {"car", "truck", "bus"} and data["score"] >= 0.3
    x, y, w, h = data["box_px"]
    assert 0 <= x < 1024 and 0 <= y < 576 and w > 0 and h > 0
    ground = (data["ground_latitude_deg"], data["ground_longitude_deg"])
    # heading east, 60 m up, 35 deg down: the road's vehicles lie 30-250 m east of the drone
    assert None not in ground and 30 < distance_m(ground, here) < 250
    assert ground[1] > here[1] and abs(ground[0] - here[0]) < 0.001
