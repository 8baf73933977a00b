"""The capture-time stamp: a machine-readable block of black and white squares.

The simulator camera writes the wall-clock capture time (milliseconds since the Unix epoch)
into the top-left corner of every frame as ``ROWS x COLS`` square cells, one bit each; the
viewer (a benchmark or a test) reads it back from the decoded picture to measure
glass-to-glass latency. Cells of 16 px survive H.264 and VP8 at ordinary bitrates. The last
``CHECK_BITS`` bits are a checksum, so a damaged stamp reads as ``None`` instead of a wrong
time. The gateway's on-screen display never draws over this block.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

CELL_PX = 16
COLS = 16
ROWS = 3
TIME_BITS = 44
CHECK_BITS = 4
#: The area the stamp occupies, from the top-left corner of the frame.
WIDTH_PX = CELL_PX * COLS
HEIGHT_PX = CELL_PX * ROWS

_TIME_MASK = (1 << TIME_BITS) - 1


def _checksum(value: int) -> int:
    total = 0
    while value:
        total ^= value & 0xF
        value >>= 4
    return total ^ 0x5


def _bits_of(time_ms: int) -> list[int]:
    value = time_ms & _TIME_MASK
    word = (value << CHECK_BITS) | _checksum(value)
    return [(word >> (TIME_BITS + CHECK_BITS - 1 - i)) & 1 for i in range(ROWS * COLS)]


def write_stamp(image: npt.NDArray[Any], time_ms: int) -> None:
    """Draw ``time_ms`` into the top-left corner of ``image`` (H x W x 3 or H x W) in place."""
    if image.shape[0] < HEIGHT_PX or image.shape[1] < WIDTH_PX:
        raise ValueError(f"frame smaller than the {WIDTH_PX}x{HEIGHT_PX} px stamp")
    bits = np.array(_bits_of(time_ms), dtype=np.uint8).reshape(ROWS, COLS) * 255
    block = np.kron(bits, np.ones((CELL_PX, CELL_PX), dtype=np.uint8))
    if image.ndim == 3:
        image[:HEIGHT_PX, :WIDTH_PX, :] = block[:, :, None]
    else:
        image[:HEIGHT_PX, :WIDTH_PX] = block


def read_stamp(luma: npt.NDArray[Any]) -> int | None:
    """The capture time in ms read back from a frame's luma (or grey) plane, or None.

    44 bits of milliseconds carry any time until the year 2527.
    """
    if luma.ndim == 3:
        luma = luma[:, :, 1]
    if luma.shape[0] < HEIGHT_PX or luma.shape[1] < WIDTH_PX:
        return None
    half = CELL_PX // 2
    centres = luma[half:HEIGHT_PX:CELL_PX, half:WIDTH_PX:CELL_PX][:ROWS, :COLS]
    bits = (centres.astype(np.int32) > 128).astype(np.int64).ravel()
    word = 0
    for bit in bits:
        word = (word << 1) | int(bit)
    value = word >> CHECK_BITS
    if (word & ((1 << CHECK_BITS) - 1)) != _checksum(value):
        return None
    return value


def read_stamp_from_frame(frame: object) -> int | None:
    """Read the stamp from a decoded ``av.VideoFrame`` (any pixel format PyAV can convert)."""
    import av  # local: only viewers need PyAV here

    assert isinstance(frame, av.VideoFrame)
    luma = frame.to_ndarray(format="gray")
    return read_stamp(luma)
