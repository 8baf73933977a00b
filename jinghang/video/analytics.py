"""The analytics hook: motion by background subtraction, and people and vehicles by a small
neural detector (``detector_model``), on a sampled frame rate, publishing ``video.detection``
events (drone, time, class, score, box, and the box's ground position on the map).

It never touches the live path. The relay hands it keyframes (which decode on their own, so
sampling costs one decode per sample, not a decode of the whole stream) through a one-slot
mailbox: when the detector is busy the newest keyframe replaces the waiting one and the
skip is counted. The detector runs in the default executor. The sample rate is at most the
source's keyframe rate (one a second from the simulator camera and most drone encoders).
Motion on a moving or turning camera is the camera's own motion: it is reported as it is.

People and vehicles come from the CenterNet model that an installed npm package ships (see
``detector_model``); it is loaded on the first sample, in the executor. Only where no model is
installed does the detector fall back to OpenCV's HOG people detector (upright pedestrians of
at least about 64 x 128 px at the 640 px analysis width: an oblique camera at low altitude,
not a nadir view from 100 m), and then there are no vehicles. OpenCV 5 moved HOG out of the
main modules, so the project pins OpenCV 4.x; where the installed ``cv2`` has neither, only
motion is reported.

The ground position is the bottom centre of the box cast onto flat ground from the drone's
position, relative altitude and heading, with the camera's field of view and gimbal pitch
(``ground``); it is None when the drone's position is unknown.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any

import av
import cv2
import numpy as np

from jinghang.events import EventBus
from jinghang.video.blocking import run_blocking
from jinghang.video.detector_model import MODEL_NAME, ObjectDetector, load_detector
from jinghang.video.ground import CameraGeometry, ground_position
from jinghang.video.osd import OsdInfo, OsdSource
from jinghang.video.sources import StreamInfo

log = logging.getLogger(__name__)

TOPIC = "video.detection"
ANALYSIS_WIDTH_PX = 640
MODEL_SOURCE = MODEL_NAME


@dataclass(frozen=True, slots=True)
class Detection:
    """One box in full-frame pixels: ``kind`` is ``"motion"``, ``"person"`` or ``"vehicle"``;
    ``label`` is the class (``"car"``, ``"truck"``, ...; the kind for motion and HOG people);
    ``source`` is what found it (``"motion"``, ``"hog"`` or the model's name)."""

    kind: str
    x_px: int
    y_px: int
    width_px: int
    height_px: int
    score: float
    label: str = ""
    source: str = ""


class Detector:
    """Synchronous detectors over frames (one instance per drone: MOG2 keeps history).

    ``use_model`` False keeps to HOG (the fallback) even where a model is installed.
    """

    def __init__(self, min_motion_area_frac: float = 0.0005, detect_people: bool = True,
                 max_boxes: int = 10, warmup_samples: int = 2, use_model: bool = True,
                 min_object_scores: dict[str, float] | None = None) -> None:
        self.warmup_samples = warmup_samples
        self.samples_seen = 0
        self.min_motion_area_frac = min_motion_area_frac
        self.detect_people = detect_people
        self.max_boxes = max_boxes
        self.use_model = use_model
        self.min_object_scores = min_object_scores
        self._background = cv2.createBackgroundSubtractorMOG2(
            history=20, varThreshold=25, detectShadows=False)
        self._model: ObjectDetector | None = None
        self._model_tried = not (detect_people and use_model)
        self._hog: Any | None = None
        self._kernel = np.ones((3, 3), np.uint8)

    @property
    def people_available(self) -> bool:
        """Whether people are looked for at all (by the model or, failing that, by HOG)."""
        self._load()
        return self._model is not None or self._hog is not None

    @property
    def model_name(self) -> str | None:
        """The neural detector in use; None where people come from HOG (or nothing)."""
        self._load()
        return None if self._model is None else MODEL_SOURCE

    def _load(self) -> None:
        if not self._model_tried:  # a few seconds: done on the first sample, off the loop
            self._model_tried = True
            self._model = load_detector(self.min_object_scores)
        if self._model is None and self._hog is None and self.detect_people:
            self._hog = _people_detector()

    def analyse(self, image: Any) -> list[Detection]:
        """Boxes of what moved since earlier samples, and of people and vehicles, in
        ``image`` (BGR).

        The first ``warmup_samples`` only teach the background model and report no motion
        (people and vehicles are looked for from the first sample on).
        """
        height, width = image.shape[:2]
        scale = min(1.0, ANALYSIS_WIDTH_PX / width)
        small = cv2.resize(image, (int(width * scale), int(height * scale))) if scale < 1 else image
        grey = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY) if small.ndim == 3 else small
        found = self._motion(grey, scale)
        if not self.detect_people:
            return found
        self._load()
        if self._model is not None:
            colour = image if image.ndim == 3 else cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
            found.extend(Detection(box.kind, box.x_px, box.y_px, box.width_px, box.height_px,
                                   box.score, box.label, MODEL_SOURCE)
                         for box in self._model.detect(colour)[: self.max_boxes])
        elif self._hog is not None:
            rects, weights = self._hog.detectMultiScale(grey, winStride=(8, 8), padding=(8, 8),
                                                        scale=1.1)
            for (x, y, w, h), weight in list(zip(rects, np.ravel(weights), strict=False))[
                : self.max_boxes
            ]:
                found.append(Detection("person", int(x / scale), int(y / scale), int(w / scale),
                                       int(h / scale), float(weight), "person", "hog"))
        return found

    def _motion(self, grey: Any, scale: float) -> list[Detection]:
        mask = self._background.apply(grey)
        self.samples_seen += 1
        if self.samples_seen <= self.warmup_samples:  # still learning the background
            return []
        mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, self._kernel)
        contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        min_area = self.min_motion_area_frac * grey.shape[0] * grey.shape[1]
        boxes = sorted((cv2.boundingRect(c) for c in contours if cv2.contourArea(c) >= min_area),
                       key=lambda b: b[2] * b[3], reverse=True)
        area_px = grey.shape[0] * grey.shape[1]
        return [Detection("motion", int(x / scale), int(y / scale), int(w / scale),
                          int(h / scale), float(w * h) / area_px, "motion", "motion")
                for x, y, w, h in boxes[: self.max_boxes]]


def _people_detector() -> Any | None:
    hog_class = getattr(cv2, "HOGDescriptor", None)
    if hog_class is None:
        log.warning("this OpenCV (%s) has no HOGDescriptor: person detection is off",
                    getattr(cv2, "__version__", "?"))
        return None
    hog = hog_class()
    hog.setSVMDetector(hog_class.getDefaultPeopleDetector())
    return hog


def decode_keyframe(data: bytes, info: StreamInfo) -> Any | None:
    """Decode one self-contained keyframe to a BGR image (None if it does not decode)."""
    decoder: Any = av.CodecContext.create(info.codec_name, "r")
    if info.extradata:
        decoder.extradata = info.extradata
    try:
        frames = list(decoder.decode(av.Packet(data))) + list(decoder.decode(None))
    except av.FFmpegError:
        return None
    return frames[0].to_ndarray(format="bgr24") if frames else None


class VideoAnalytics:
    """Samples one drone's keyframes and publishes detections on the event bus."""

    def __init__(
        self,
        bus: EventBus,
        drone_id: str,
        position_source: OsdSource | None = None,
        sample_interval_s: float = 1.0,
        detector: Detector | None = None,
        camera: CameraGeometry | None = None,
    ) -> None:
        self.bus = bus
        self.camera = camera or CameraGeometry()
        self.drone_id = drone_id
        self.position_source = position_source
        self.sample_interval_s = sample_interval_s
        self.detector = detector or Detector()
        self.samples_analysed = 0
        self.samples_skipped = 0
        self.events_published = 0
        self._slot: tuple[bytes, StreamInfo, float] | None = None
        self._ready = asyncio.Event()
        self._last_taken_s = 0.0

    def offer_keyframe(self, data: bytes, info: StreamInfo) -> None:
        """Called by the relay for each keyframe (on the event loop; never blocks)."""
        now = time.time()
        if now - self._last_taken_s < self.sample_interval_s * 0.9:
            return
        if self._slot is not None:
            self.samples_skipped += 1
        self._last_taken_s = now
        self._slot = (data, info, now)
        self._ready.set()

    async def run(self) -> None:
        while True:
            await self._ready.wait()
            self._ready.clear()
            if self._slot is None:
                continue
            data, info, time_s = self._slot
            self._slot = None
            detections = await run_blocking(self._analyse, data, info)
            self.samples_analysed += 1
            self._publish(detections, time_s, info)

    def _analyse(self, data: bytes, info: StreamInfo) -> list[Detection]:
        image = decode_keyframe(data, info)
        return [] if image is None else self.detector.analyse(image)

    def _position(self) -> OsdInfo | None:
        if self.position_source is None:
            return None
        try:
            return self.position_source()
        except Exception as exc:  # telemetry trouble must not stop analytics
            log.warning("drone %s: position source failed: %s", self.drone_id, exc)
            return None

    def _publish(self, detections: list[Detection], time_s: float, info: StreamInfo) -> None:
        position = self._position()
        for det in detections:
            ground = self._ground(det, position, info)
            self.bus.publish(TOPIC, {
                "drone_id": self.drone_id,
                "time_s": time_s,
                "kind": det.kind,
                "class": det.label or det.kind,
                "detector": det.source,
                "box_px": [det.x_px, det.y_px, det.width_px, det.height_px],
                "frame_px": [info.width_px, info.height_px],
                "score": round(det.score, 4),
                "latitude_deg": position.latitude_deg if position else None,
                "longitude_deg": position.longitude_deg if position else None,
                "relative_altitude_m": position.relative_altitude_m if position else None,
                "ground_latitude_deg": round(ground[0], 7) if ground else None,
                "ground_longitude_deg": round(ground[1], 7) if ground else None,
            })
            self.events_published += 1

    def _ground(self, det: Detection, position: OsdInfo | None,
                info: StreamInfo) -> tuple[float, float] | None:
        """Where the box's bottom centre stands on the map (None without a full pose)."""
        if (position is None or position.latitude_deg is None or position.longitude_deg is None
                or position.relative_altitude_m is None or not info.width_px
                or not info.height_px):
            return None
        return ground_position(det.x_px + det.width_px / 2, det.y_px + det.height_px,
                               (info.width_px, info.height_px), position.latitude_deg,
                               position.longitude_deg, position.relative_altitude_m,
                               position.heading_deg or 0.0, self.camera)
