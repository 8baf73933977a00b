"""The object detector: people and vehicles by a small CenterNet (MobileNetV3) trained on COCO.

The weights are not in this repository and are never downloaded at run time: they are the
``centernet`` TF.js graph model that the npm package ``@vladmandic/human`` ships (MIT as
published; trained by the mobilenetv3_centernet project, which states no licence; the package is
pinned in ``models/package-lock.json`` and installed by ``scripts/test`` with
``npm ci``). ``find_model`` looks for it there, in npm's global folders, or at the path in
``JINGHANG_DETECTOR_MODEL``. The graph is translated to ONNX in memory (``tfjs_graph``) and run
by OpenCV's DNN module on the CPU: 0.13-0.16 s per 512 px tile on one core here, two tiles
for a 16:9 or 4:3 frame.

The network sees each square tile squeezed to 512 x 512 px and answers a 128 x 128 heat map
per class (a peak is an object's centre) with the distances from the centre to the box's four
sides.
Peaks are the cells that are the maximum of their 3 x 3 neighbourhood, as the model's own
decoding does. Only the classes a police drone looks for are kept: person, and the vehicles
(bicycle, car, motorcycle, bus, truck).
"""

from __future__ import annotations

import functools
import logging
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

log = logging.getLogger(__name__)

MODEL_ENV = "JINGHANG_DETECTOR_MODEL"
MODEL_PACKAGE = "@vladmandic/human"
MODEL_FILE = "models/centernet.json"
MODEL_NAME = "centernet-mobilenetv3-coco"
_OUTPUTS = ["tower_0/keypoints", "tower_0/wh"]
INPUT_PX = 512
STRIDE_PX = 4

# COCO class index -> (class, kind)
CLASSES: dict[int, tuple[str, str]] = {
    0: ("person", "person"),
    1: ("bicycle", "vehicle"),
    2: ("car", "vehicle"),
    3: ("motorcycle", "vehicle"),
    5: ("bus", "vehicle"),
    7: ("truck", "vehicle"),
}
# The least score reported, by kind: chosen on the test imagery (tests/video/
# test_detector_model.py), where no false person appears at 0.4 and vehicles, smaller and
# more often seen from above, need 0.3 to be found.
MIN_SCORES: dict[str, float] = {"person": 0.4, "vehicle": 0.3}


@dataclass(frozen=True, slots=True)
class ObjectBox:
    """One object in the caller's image pixels."""

    label: str  # "person", "car", "truck", ...
    kind: str  # "person" or "vehicle"
    x_px: int
    y_px: int
    width_px: int
    height_px: int
    score: float


def _search_roots() -> list[Path]:
    repo = Path(__file__).resolve().parents[2]
    return [repo / "models" / "node_modules", Path("/usr/lib/node_modules"),
            Path("/usr/local/lib/node_modules")]


def find_model() -> Path | None:
    """The installed model's ``model.json``, or None where the package is not installed."""
    configured = os.environ.get(MODEL_ENV)
    if configured:
        path = Path(configured)
        return path if path.is_file() else None
    for root in _search_roots():
        path = root / MODEL_PACKAGE / MODEL_FILE
        if path.is_file():
            return path
    return None


@functools.lru_cache(maxsize=4)
def _onnx_bytes(model_json: Path) -> bytes:
    """The translated network (done once per process: it takes a few seconds)."""
    import onnx

    from jinghang.video.tfjs_graph import convert

    model = onnx.load_from_string(convert(model_json, _OUTPUTS))
    return bytes(onnx.shape_inference.infer_shapes(model).SerializeToString())


class ObjectDetector:
    """People and vehicles in BGR frames (not thread-safe: one per analytics worker)."""

    def __init__(self, model_json: Path, min_scores: dict[str, float] | None = None,
                 max_boxes: int = 50) -> None:
        self.model_json = model_json
        self.min_scores = {**MIN_SCORES, **(min_scores or {})}
        self._thresholds = np.array([self.min_scores[kind] for _, kind in CLASSES.values()],
                                    np.float32)
        self.max_boxes = max_boxes
        self._net = cv2.dnn.readNetFromONNX(np.frombuffer(_onnx_bytes(model_json), np.uint8))
        self._out_names = list(self._net.getUnconnectedOutLayersNames())

    def detect(self, image: Any) -> list[ObjectBox]:
        """People and vehicles in ``image`` (BGR), best first.

        A wide frame is looked at as overlapping square tiles across its width (two for
        16:9), so that small objects keep about 0.7 of their pixels instead of 0.4; boxes
        found twice where tiles overlap are merged (the better score stays).
        """
        height_px, width_px = image.shape[:2]
        side = min(height_px, width_px)
        count = max(1, math.ceil(max(height_px, width_px) / side - 0.25))
        found: list[ObjectBox] = []
        for index in range(count):
            offset = 0 if count == 1 else round(index * (max(height_px, width_px) - side)
                                                  / (count - 1))
            if width_px >= height_px:
                tile = image[:, offset : offset + side] if count > 1 else image
                found.extend(self._detect_tile(tile, offset, 0))
            else:
                tile = image[offset : offset + side] if count > 1 else image
                found.extend(self._detect_tile(tile, 0, offset))
        return _merge(found)[: self.max_boxes]

    def _detect_tile(self, image: Any, dx_px: int, dy_px: int) -> list[ObjectBox]:
        height_px, width_px = image.shape[:2]
        blob = cv2.resize(image, (INPUT_PX, INPUT_PX), interpolation=cv2.INTER_AREA)
        blob = np.ascontiguousarray(blob[None, :, :, ::-1], dtype=np.float32)  # RGB, 0-255
        self._net.setInput(blob)
        heat, sides = self._outputs(self._net.forward(self._out_names))
        heat = heat[:, :, list(CLASSES)]
        padded = np.pad(heat, ((1, 1), (1, 1), (0, 0)))
        peaks = (heat == sliding_window_view(padded, (3, 3), axis=(0, 1)).max(axis=(-2, -1)))
        rows, cols, channels = np.nonzero(peaks & (heat >= self._thresholds))
        scores = heat[rows, cols, channels]
        sx, sy = width_px / INPUT_PX, height_px / INPUT_PX
        found = []
        labels = list(CLASSES.values())
        for row, col, channel, score in zip(rows, cols, channels, scores, strict=True):
            left, top, right, bottom = (float(v) for v in sides[row, col])
            x0 = max(0.0, (col * STRIDE_PX - left) * sx)
            y0 = max(0.0, (row * STRIDE_PX - top) * sy)
            x1 = min(float(width_px), (col * STRIDE_PX + right) * sx)
            y1 = min(float(height_px), (row * STRIDE_PX + bottom) * sy)
            if x1 <= x0 or y1 <= y0:
                continue
            label, kind = labels[int(channel)]
            found.append(ObjectBox(label, kind, round(x0) + dx_px, round(y0) + dy_px,
                                   round(x1 - x0), round(y1 - y0), float(score)))
        return found

    @staticmethod
    def _outputs(outputs: Any) -> tuple[Any, Any]:
        first, second = outputs[0][0], outputs[1][0]
        return (first, second) if first.shape[-1] > second.shape[-1] else (second, first)


def _overlap(a: ObjectBox, b: ObjectBox) -> float:
    """Intersection over the smaller box (a box cut by a tile's edge lies inside the whole)."""
    ix = min(a.x_px + a.width_px, b.x_px + b.width_px) - max(a.x_px, b.x_px)
    iy = min(a.y_px + a.height_px, b.y_px + b.height_px) - max(a.y_px, b.y_px)
    if ix <= 0 or iy <= 0:
        return 0.0
    return ix * iy / min(a.width_px * a.height_px, b.width_px * b.height_px)


def _merge(boxes: list[ObjectBox], max_overlap: float = 0.6) -> list[ObjectBox]:
    """Best first; a box mostly inside a better one of the same kind is dropped."""
    kept: list[ObjectBox] = []
    for box in sorted(boxes, key=lambda b: -b.score):
        if all(other.kind != box.kind or _overlap(box, other) < max_overlap for other in kept):
            kept.append(box)
    return kept


_load_failures: set[Path] = set()


def load_detector(min_scores: dict[str, float] | None = None) -> ObjectDetector | None:
    """The installed model as a detector; None (logged once) where it is absent or unusable."""
    path = find_model()
    if path is None:
        if not _load_failures:
            log.info("no object detection model installed (npm ci in models/, or set %s): "
                     "people by HOG only", MODEL_ENV)
            _load_failures.add(Path())
        return None
    try:
        return ObjectDetector(path, min_scores=min_scores)
    except Exception as exc:  # a broken or different model must not stop analytics
        if path not in _load_failures:
            log.warning("object detection model %s does not load: %s", path, exc)
            _load_failures.add(path)
        return None
