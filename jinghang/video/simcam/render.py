"""Render what the camera sees: one perspective warp of the world image, sky above the
horizon, the moving vehicles projected on top, and the capture-time stamp in the corner."""

from __future__ import annotations

import cv2
import numpy as np

from jinghang.video.simcam.pose import CameraPose, local_east_north_m
from jinghang.video.simcam.projection import Intrinsics, ground_to_image, horizon_row
from jinghang.video.simcam.world import Image, World
from jinghang.video.stamp import write_stamp

HAZE_BGR = (200, 190, 180)
MIN_PITCH_DEG = -90.0
MAX_PITCH_DEG = -3.0


class Renderer:
    """Renders frames of one size over one world, with the world's origin at a lat/lon."""

    def __init__(
        self, world: World, intrinsics: Intrinsics, origin_lat_deg: float, origin_lon_deg: float
    ) -> None:
        self.world = world
        self.intrinsics = intrinsics
        self.origin = (origin_lat_deg, origin_lon_deg)
        height = intrinsics.height_px
        ramp = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None, None]
        top = np.array([170, 110, 60], np.float32)
        bottom = np.array(HAZE_BGR, np.float32)
        sky = top * (1 - ramp) + bottom * ramp
        self._sky = np.repeat(sky, intrinsics.width_px, axis=1).astype(np.uint8)

    def render(self, pose: CameraPose, time_s: float, capture_time_ms: int | None) -> Image:
        """The BGR frame seen from ``pose`` at world time ``time_s``, stamped when given."""
        east_m, north_m = local_east_north_m(
            pose.latitude_deg, pose.longitude_deg, *self.origin
        )
        pitch = min(max(pose.gimbal_pitch_deg, MIN_PITCH_DEG), MAX_PITCH_DEG)
        altitude_m = max(pose.relative_altitude_m, 1.0)
        ground_h = ground_to_image(
            self.intrinsics, east_m, north_m, altitude_m, pose.heading_deg, pitch
        )
        size = (self.intrinsics.width_px, self.intrinsics.height_px)
        frame = cv2.warpPerspective(
            self.world.image,
            ground_h @ self.world.pixel_to_ground(),
            size,
            flags=cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_CONSTANT,
            borderValue=HAZE_BGR,
        )
        horizon = horizon_row(self.intrinsics, pitch)
        if horizon > 0:
            rows = min(int(horizon) + 2, frame.shape[0])
            frame[:rows] = self._sky[:rows]
        self._draw_vehicles(frame, ground_h, time_s, horizon)
        if capture_time_ms is not None:
            write_stamp(frame, capture_time_ms)
        return frame

    def _draw_vehicles(
        self, frame: Image, ground_h: np.ndarray, time_s: float, horizon: float
    ) -> None:
        corners = np.stack([v.corners_m(time_s) for v in self.world.vehicles])  # N x 4 x 2
        flat = np.concatenate([corners.reshape(-1, 2), np.ones((corners.size // 2, 1))], 1)
        projected = flat @ ground_h.T
        depth = projected[:, 2]
        with np.errstate(divide="ignore", invalid="ignore"):
            pixels = projected[:, :2] / depth[:, None]
        pixels = pixels.reshape(-1, 4, 2)
        depth = depth.reshape(-1, 4)
        width, height = self.intrinsics.width_px, self.intrinsics.height_px
        for vehicle, quad, z in zip(self.world.vehicles, pixels, depth, strict=True):
            if (z <= 0).any():
                continue
            xs, ys = quad[:, 0], quad[:, 1]
            if xs.max() < 0 or xs.min() > width or ys.max() < max(0, horizon) or ys.min() > height:
                continue
            if np.ptp(quad[:, 0]) > width or np.ptp(quad[:, 1]) > height:
                continue
            cv2.fillConvexPoly(frame, quad.astype(np.int32), vehicle.colour_bgr, cv2.LINE_AA)
