"""Decode a drone's stream, draw the on-screen display, and encode VP8: once per drone.

A :class:`Transcoder` is synchronous and owned by one relay, which calls ``feed`` from a
worker thread (``run_blocking``), one packet at a time, in order. Its output is encoded
VP8 packets that every transcode viewer of the drone shares.
"""

from __future__ import annotations

import fractions
import time
from dataclasses import dataclass
from typing import Any

import av
import numpy as np

from jinghang.video.osd import OsdInfo, draw_osd
from jinghang.video.sources import StreamInfo

DEFAULT_BITRATE_BPS = 1_500_000


@dataclass(frozen=True, slots=True)
class EncodedPacket:
    """One encoded VP8 frame."""

    data: bytes
    keyframe: bool


class Transcoder:
    """Decoder + display + VP8 encoder for one drone's stream."""

    def __init__(self, info: StreamInfo, bitrate_bps: int = DEFAULT_BITRATE_BPS,
                 keyframe_interval_frames: int = 60) -> None:
        self.info = info
        self.bitrate_bps = bitrate_bps
        self.keyframe_interval_frames = keyframe_interval_frames
        self.frames_decoded = 0
        self.frames_encoded = 0
        self._decoder: Any = av.CodecContext.create(info.codec_name, "r")
        self._decoder.thread_count = 1
        if info.extradata:
            self._decoder.extradata = info.extradata
        self._encoder: Any = None
        self._frame_index = 0

    def _open_encoder(self, width: int, height: int) -> Any:
        encoder: Any = av.CodecContext.create("libvpx", "w")
        encoder.width = width
        encoder.height = height
        encoder.pix_fmt = "yuv420p"
        encoder.bit_rate = self.bitrate_bps
        encoder.time_base = fractions.Fraction(1, 1000)
        encoder.gop_size = self.keyframe_interval_frames
        encoder.qmin = 4
        encoder.qmax = 56
        encoder.thread_count = 1  # one drone, one core at most; many drones spread
        encoder.options = {
            "deadline": "realtime",
            "cpu-used": "16",  # the fastest realtime setting: ~10 ms per 720p frame
            "lag-in-frames": "0",
            "error-resilient": "1",
            "static-thresh": "100",
            "undershoot-pct": "95",
            "overshoot-pct": "15",
            "bufsize": str(self.bitrate_bps),
            "maxrate": str(self.bitrate_bps),
        }
        return encoder

    def feed(self, data: bytes, osd: OsdInfo | None, force_keyframe: bool) -> list[EncodedPacket]:
        """Decode one source packet and return the VP8 packets of what it decoded to."""
        out: list[EncodedPacket] = []
        for frame in self._decoder.decode(av.Packet(data)):
            self.frames_decoded += 1
            out.extend(self._encode(frame, osd, force_keyframe))
            force_keyframe = False
        return out

    def _encode(self, frame: Any, osd: OsdInfo | None, force_keyframe: bool
                ) -> list[EncodedPacket]:
        planes: Any = frame.to_ndarray(format="yuv420p")
        height, width = int(frame.height), int(frame.width)
        if osd is not None:
            draw_osd(planes[:height], osd, time.time())
        picture = av.VideoFrame.from_ndarray(np.ascontiguousarray(planes), format="yuv420p")
        if self._encoder is None or (self._encoder.width, self._encoder.height) != (width,
                                                                                     height):
            self._encoder = self._open_encoder(width, height)
        picture.pts = self._frame_index
        picture.time_base = fractions.Fraction(1, 1000)
        self._frame_index += 33
        if force_keyframe:
            picture.pict_type = av.video.frame.PictureType.I
        packets = [
            EncodedPacket(bytes(p), bool(p.is_keyframe)) for p in self._encoder.encode(picture)
        ]
        self.frames_encoded += 1
        return packets
