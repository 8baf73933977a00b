"""The analytics hook: motion by background subtraction and a HOG person detector, on a
sampled frame rate, publishing ``video.detection`` events (drone, time, position, box).

It never touches the live path. The relay hands it keyframes (which decode on their own, so
sampling costs one decode per sample, not a decode of the whole stream) through a one-slot
mailbox: when the detector is busy the newest keyframe replaces the waiting one and the
skip is counted. The detector runs in the default executor. The sample rate is at most the
source's keyframe rate (one a second from the simulator camera and most drone encoders).
Motion on a moving or turning camera is the camera's own motion: it is reported as it is.

The person detector is OpenCV's HOG people detector (upright pedestrians of at least about
64 x 128 px at the 640 px analysis width: an oblique camera at low altitude, not a nadir
view from 100 m). OpenCV 5 moved HOG out of the main modules (into contrib's
``xobjdetect``), so the project pins OpenCV 4.x; where the installed ``cv2`` has no
``HOGDescriptor`` anyway the person detector is off (``Detector.people_available`` is
False, and it is logged once) and only motion is reported.
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
from jinghang.video.osd import OsdInfo, OsdSource
from jinghang.video.sources import StreamInfo

log = logging.getLogger(__name__)

TOPIC = "video.detection"
ANALYSIS_WIDTH_PX = 640


@dataclass(frozen=True, slots=True)
class Detection:
    """One box in full-frame pixels: ``kind`` is ``"motion"`` or ``"person"``."""

    kind: str
    x_px: int
    y_px: int
    width_px: int
    height_px: int
    score: float


class Detector:
    """Synchronous detectors over grey frames (one instance per drone: MOG2 keeps history)."""

    def __init__(self, min_motion_area_frac: float = 0.0005, detect_people: bool = True,
                 max_boxes: int = 10, warmup_samples: int = 2) -> None:
        self.warmup_samples = warmup_samples
        self.samples_seen = 0
        self.min_motion_area_frac = min_motion_area_frac
        self.detect_people = detect_people
        self.max_boxes = max_boxes
        self._background = cv2.createBackgroundSubtractorMOG2(
            history=20, varThreshold=25, detectShadows=False)
        self._hog = _people_detector()
        self._kernel = np.ones((3, 3), np.uint8)

    @property
    def people_available(self) -> bool:
        return self._hog is not None

    def analyse(self, image: Any) -> list[Detection]:
        """Boxes of what moved since earlier samples, and of people, in ``image`` (BGR).

        The first ``warmup_samples`` only teach the background model and report no motion
        (people are looked for from the first sample on).
        """
        height, width = image.shape[:2]
        scale = min(1.0, ANALYSIS_WIDTH_PX / width)
        small = cv2.resize(image, (int(width * scale), int(height * scale))) if scale < 1 else image
        grey = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY) if small.ndim == 3 else small
        found = self._motion(grey, scale)
        if self.detect_people and self._hog is not None:
            rects, weights = self._hog.detectMultiScale(grey, winStride=(8, 8), padding=(8, 8),
                                                        scale=1.1)
            for (x, y, w, h), weight in list(zip(rects, np.ravel(weights), strict=False))[
                : self.max_boxes
            ]:
                found.append(Detection("person", int(x / scale), int(y / scale), int(w / scale),
                                       int(h / scale), float(weight)))
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
                          int(h / scale), float(w * h) / area_px)
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
    ) -> None:
        self.bus = bus
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
            self.bus.publish(TOPIC, {
                "drone_id": self.drone_id,
                "time_s": time_s,
                "kind": det.kind,
                "box_px": [det.x_px, det.y_px, det.width_px, det.height_px],
                "frame_px": [info.width_px, info.height_px],
                "score": round(det.score, 4),
                "latitude_deg": position.latitude_deg if position else None,
                "longitude_deg": position.longitude_deg if position else None,
                "relative_altitude_m": position.relative_altitude_m if position else None,
            })
            self.events_published += 1
