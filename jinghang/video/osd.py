"""The on-screen display drawn on transcoded video: drone, time, position, altitude, mission.

It is drawn on the luma plane of the decoded picture only (white text on a dark band), which
costs well under a millisecond and needs no colour conversion. It sits at the bottom of the
picture and never covers the capture stamp in the top-left corner.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt


@dataclass(frozen=True, slots=True)
class OsdInfo:
    """What the display shows; the gateway asks a callback for it once per frame."""

    drone_id: str
    latitude_deg: float | None = None
    longitude_deg: float | None = None
    relative_altitude_m: float | None = None
    heading_deg: float | None = None
    mission: str = ""
    time_s: float | None = None  # wall clock; None for "now"


OsdSource = Callable[[], OsdInfo]


def osd_lines(info: OsdInfo, time_s: float) -> list[str]:
    """The display's text lines (ASCII: OpenCV's Hershey fonts have no CJK glyphs)."""
    stamp = dt.datetime.fromtimestamp(info.time_s or time_s, dt.UTC)
    first = f"{info.drone_id}  {stamp:%Y-%m-%d %H:%M:%S}Z"
    parts = []
    if info.latitude_deg is not None and info.longitude_deg is not None:
        parts.append(f"{info.latitude_deg:.6f}, {info.longitude_deg:.6f}")
    if info.relative_altitude_m is not None:
        parts.append(f"ALT {info.relative_altitude_m:.1f} m")
    if info.heading_deg is not None:
        parts.append(f"HDG {info.heading_deg:03.0f}")
    lines = [first, "  ".join(parts)]
    if info.mission:
        lines.append(f"MISSION {info.mission}"[:80])
    return [line for line in lines if line]


def draw_osd(luma: npt.NDArray[Any], info: OsdInfo, time_s: float) -> None:
    """Draw the display onto a luma (grey) plane in place."""
    height, width = luma.shape[:2]
    scale = max(0.4, width / 1280 * 0.7)
    line_px = int(28 * scale / 0.7)
    lines = osd_lines(info, time_s)
    top = height - line_px * len(lines) - 8
    band = luma[max(top - 4, 0) :, : min(width, int(760 * scale / 0.7))]
    np.floor_divide(band, 3, out=band)
    for i, text in enumerate(lines):
        y = top + line_px * (i + 1) - 8
        cv2.putText(luma, text, (10, y), cv2.FONT_HERSHEY_SIMPLEX, scale, 255, 2, cv2.LINE_AA)
