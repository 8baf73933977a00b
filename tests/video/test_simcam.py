"""The simulator camera's geometry and picture: what is below a camera looking straight down
is in the middle of the picture, the horizon is where it should be, and bad settings are
refused naming the field."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from jinghang.errors import VideoError
from jinghang.video.simcam import CameraPose, CameraSettings
from jinghang.video.simcam.projection import Intrinsics, ground_to_image, horizon_row
from jinghang.video.simcam.render import Renderer
from jinghang.video.stamp import read_stamp


def _project(h: Any, east_m: float, north_m: float) -> tuple[float, float]:
    x, y, w = h @ np.array([east_m, north_m, 1.0])
    return x / w, y / w


def test_straight_down_view_centres_the_point_below_and_puts_heading_up() -> None:
    intrinsics = Intrinsics(1280, 720, 80.0)
    h = ground_to_image(intrinsics, 10.0, 20.0, 100.0, heading_deg=0.0, pitch_deg=-90.0)
    assert _project(h, 10.0, 20.0) == pytest.approx((640.0, 360.0))
    x, y = _project(h, 10.0, 30.0)  # 10 m north of the drone: up in the picture
    assert x == pytest.approx(640.0) and y < 360.0
    h_east = ground_to_image(intrinsics, 0.0, 0.0, 100.0, heading_deg=90.0, pitch_deg=-90.0)
    x, y = _project(h_east, 10.0, 0.0)  # heading east: east is up
    assert x == pytest.approx(640.0) and y < 360.0


def test_horizon_and_sky(small_world: Any) -> None:
    intrinsics = Intrinsics(640, 360, 80.0)
    assert horizon_row(intrinsics, -90.0) < 0
    assert 0 < horizon_row(intrinsics, -10.0) < 180
    renderer = Renderer(small_world, intrinsics, 37.5, 122.1)
    frame = renderer.render(CameraPose(37.5, 122.1, 50.0, 0.0, -10.0), 0.0, 123_456)
    assert frame.shape == (360, 640, 3)
    assert read_stamp(frame) == 123_456
    sky = frame[60:70, 400:640]  # above the horizon, right of the stamp
    assert sky[:, :, 0].mean() > sky[:, :, 2].mean()  # blue-ish (BGR)


@pytest.mark.parametrize(("settings", "field"), [
    (CameraSettings(width_px=100), "width_px"),
    (CameraSettings(height_px=721), "height_px"),
    (CameraSettings(fps=0), "fps"),
])
def test_bad_camera_settings_name_the_field(settings: CameraSettings, field: str) -> None:
    with pytest.raises(VideoError) as error:
        settings.check()
    assert error.value.field == field
