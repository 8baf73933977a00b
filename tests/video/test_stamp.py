"""The capture stamp reads back exactly, and a damaged stamp reads as nothing."""

from __future__ import annotations

import numpy as np

from jinghang.video.stamp import HEIGHT_PX, WIDTH_PX, read_stamp, write_stamp


def test_stamp_round_trip_and_damage() -> None:
    image = np.full((360, 640, 3), 120, np.uint8)
    write_stamp(image, 1_795_756_780_726)
    assert read_stamp(image) == 1_795_756_780_726
    assert read_stamp(image[:, :, 0]) == 1_795_756_780_726
    image[:HEIGHT_PX, WIDTH_PX // 2 : WIDTH_PX // 2 + 16] ^= 255  # flip a column of cells
    assert read_stamp(image) is None
    assert read_stamp(np.zeros((10, 10), np.uint8)) is None
