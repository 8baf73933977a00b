"""Which access units of an Annex-B H.264 or H.265 stream can be decoded on their own.

The relay reads MPEG-TS over UDP without FFmpeg's bitstream parser (the parser holds each
frame until the next one starts, a whole frame period of latency), so nothing marks its
packets as keyframes: this module finds out from the NAL unit headers. An access unit is a
keyframe when its first picture slice is an IDR slice (H.264 type 5) or an IRAP picture
(H.265 types 16-23).
"""

from __future__ import annotations

_START = b"\x00\x00\x01"

#: H.264 nal_unit_type values of slices (the VCL units), and of the IDR slice.
_H264_SLICES = frozenset(range(1, 6))
_H264_IDR = 5
#: H.265 VCL units are types 0-31; IRAP pictures (IDR, CRA, BLA) are 16-23.
_H265_VCL_MAX = 31
_H265_IRAP = range(16, 24)


def nal_types(data: bytes, codec_name: str) -> list[int]:
    """The nal_unit_type of each NAL unit in ``data``, in order, up to the first slice."""
    types: list[int] = []
    at = data.find(_START)
    while at != -1 and at + 3 < len(data):
        header = data[at + 3]
        if codec_name == "hevc":
            kind = (header >> 1) & 0x3F
            types.append(kind)
            if kind <= _H265_VCL_MAX:
                break
        else:
            kind = header & 0x1F
            types.append(kind)
            if kind in _H264_SLICES:
                break
        at = data.find(_START, at + 3)
    return types


def is_keyframe(data: bytes, codec_name: str) -> bool:
    """Whether the access unit in ``data`` (Annex-B) starts with an IDR/IRAP picture."""
    types = nal_types(data, codec_name)
    if not types:
        return False
    if codec_name == "hevc":
        return types[-1] in _H265_IRAP
    return types[-1] == _H264_IDR
