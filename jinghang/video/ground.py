"""Where a detection stands on the map: the box's bottom centre cast onto flat ground.

The camera is the same pinhole as the simulator camera's (``simcam.projection``): a horizontal
field of view, the drone's heading, and a gimbal pitch that is 0 at the horizon and -90
straight down. The ground is taken as flat at the take-off height (the drone's relative
altitude is its height above it), which is what a drone without a terrain model knows; the
error grows with the terrain's relief and with a shallow pitch. A point at or above the horizon
has no ground position (None).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from jinghang.missions.geo import destination
from jinghang.video.simcam.projection import Intrinsics, ground_to_image

MAX_GROUND_RANGE_M = 5000.0


@dataclass(frozen=True, slots=True)
class CameraGeometry:
    """How the drone's camera looks: field of view and gimbal pitch (nadir by default)."""

    horizontal_fov_deg: float = 80.0
    gimbal_pitch_deg: float = -90.0


def ground_position(
    x_px: float,
    y_px: float,
    frame_px: tuple[int, int],
    latitude_deg: float,
    longitude_deg: float,
    relative_altitude_m: float,
    heading_deg: float,
    camera: CameraGeometry,
) -> tuple[float, float] | None:
    """(latitude_deg, longitude_deg) of the ground seen at pixel (x_px, y_px)."""
    if relative_altitude_m <= 0:
        return None
    width_px, height_px = frame_px
    intrinsics = Intrinsics(width_px, height_px, camera.horizontal_fov_deg)
    homography = ground_to_image(intrinsics, 0.0, 0.0, relative_altitude_m, heading_deg,
                                 camera.gimbal_pitch_deg)
    try:
        east_m, north_m, scale = np.linalg.solve(homography, np.array([x_px, y_px, 1.0]))
    except np.linalg.LinAlgError:
        return None
    # the image point is (u, v, 1) = H @ (e, n, 1) / depth: depth > 0 in front of the camera
    if scale <= 0:
        return None
    east_m, north_m = east_m / scale, north_m / scale
    range_m = math.hypot(east_m, north_m)
    if range_m > MAX_GROUND_RANGE_M:
        return None
    bearing = math.degrees(math.atan2(east_m, north_m))
    return destination((latitude_deg, longitude_deg), bearing, range_m)
