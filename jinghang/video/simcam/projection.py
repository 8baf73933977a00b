"""Pinhole projection of the flat synthetic ground into the camera image.

The ground is the plane ``up = 0`` in local east/north/up metres. A camera pose gives a
rotation and a position, and the ground-to-image mapping is then a plane homography, so a
view is one ``cv2.warpPerspective`` of the pre-rendered world image: no per-frame
rasterising. Rows above the horizon see sky.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Intrinsics:
    """A pinhole camera of the given image size and horizontal field of view."""

    width_px: int
    height_px: int
    horizontal_fov_deg: float = 80.0

    @property
    def focal_px(self) -> float:
        return (self.width_px / 2) / math.tan(math.radians(self.horizontal_fov_deg) / 2)

    def matrix(self) -> FloatArray:
        f = self.focal_px
        return np.array(
            [[f, 0.0, self.width_px / 2], [0.0, f, self.height_px / 2], [0.0, 0.0, 1.0]]
        )


def rotation_world_to_camera(heading_deg: float, pitch_deg: float) -> FloatArray:
    """Rows are the camera's right, down and forward axes in east/north/up coordinates."""
    psi = math.radians(heading_deg)
    theta = math.radians(pitch_deg)
    forward = np.array(
        [math.sin(psi) * math.cos(theta), math.cos(psi) * math.cos(theta), math.sin(theta)]
    )
    right = np.array([math.cos(psi), -math.sin(psi), 0.0])
    down = np.cross(forward, right)
    return np.stack([right, down, forward])


def ground_to_image(
    intrinsics: Intrinsics,
    east_m: float,
    north_m: float,
    altitude_m: float,
    heading_deg: float,
    pitch_deg: float,
) -> FloatArray:
    """The homography from ground (east_m, north_m, 1) to image pixels (x, y, 1)."""
    rotation = rotation_world_to_camera(heading_deg, pitch_deg)
    centre = np.array([east_m, north_m, altitude_m])
    extrinsic = np.column_stack([rotation[:, 0], rotation[:, 1], -rotation @ centre])
    return intrinsics.matrix() @ extrinsic


def horizon_row(intrinsics: Intrinsics, pitch_deg: float) -> float:
    """The image row of the horizon (negative when it is above the picture)."""
    pitch = max(min(pitch_deg, -0.5), -90.0)
    if pitch <= -89.99:
        return -1e9
    return intrinsics.height_px / 2 + intrinsics.focal_px * math.tan(math.radians(pitch))
