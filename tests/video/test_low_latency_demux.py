"""A camera's frame reaches the viewers as soon as its last datagram has arrived.

FFmpeg's bitstream parser held each MPEG-TS frame until the next frame began (a whole frame
period, 33 ms at 30 fps, before anyone saw it). The relay now reads MPEG-TS over UDP without
it and tells keyframes from the NAL headers; these tests send a camera's frames one at a
time over real UDP and hold the next frame back. A frame bigger than the demuxer's 200 KiB
buffer comes out of it in pieces that the relay joins again: a recording made from this input
has every frame sent, whole, and verifies.
"""

from __future__ import annotations

import asyncio
import fractions
import io
import socket
from pathlib import Path
from typing import Any

import av
import numpy as np

from jinghang.video.gateway import VideoGateway
from jinghang.video.nal import is_keyframe
from jinghang.video.sources import VideoSource
from jinghang.video.verify import verify_directory
from tests.conftest import free_udp_port

DATAGRAM_BYTES = 1316


class _Chunks(io.RawIOBase):
    """A write-only file that keeps what each ``mux`` call flushed."""

    def __init__(self) -> None:
        self.pending = b""

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self.pending += bytes(data)
        return len(data)

    def take(self) -> bytes:
        out, self.pending = self.pending, b""
        return out


def _encode_frames(count: int, codec: str = "libx264") -> tuple[list[bytes], list[bool]]:
    """``count`` frames of a moving picture as a camera sends them: MPEG-TS, one frame per
    PES with its length; the bytes each frame put on the wire and whether it was a keyframe."""
    sink = _Chunks()
    out = av.open(sink, mode="w", format="mpegts",
                  options={"flush_packets": "1", "max_delay": "0", "omit_video_pes_length": "0"})
    stream: Any = out.add_stream(codec, rate=30)
    stream.width, stream.height, stream.pix_fmt = 320, 240, "yuv420p"
    stream.codec_context.time_base = fractions.Fraction(1, 30)
    stream.options = {"preset": "ultrafast", "tune": "zerolatency",
                      "x264-params": "keyint=10:min-keyint=10:scenecut=0:repeat-headers=1"}
    chunks: list[bytes] = []
    keys: list[bool] = []
    rng = np.random.default_rng(7)
    for index in range(count):
        picture = rng.integers(0, 255, (360, 320), dtype=np.uint8)
        frame = av.VideoFrame.from_ndarray(picture, format="yuv420p")  # type: ignore[arg-type]
        frame.pts = index
        for packet in stream.encode(frame):
            keys.append(bool(packet.is_keyframe))
            out.mux(packet)
        chunks.append(sink.take())
    out.close()
    return chunks, keys


def _pes_pts(chunk: bytes) -> int | None:
    """The PTS (90 kHz) of the first PES that starts in ``chunk`` (TS packets of 188 bytes)."""
    for at in range(0, len(chunk) - 187, 188):
        ts = chunk[at:at + 188]
        if not ts[1] & 0x40:  # payload_unit_start_indicator
            continue
        offset = 4 + (1 + ts[4] if ts[3] & 0x20 else 0)
        pes = ts[offset:]
        if pes[:3] == b"\x00\x00\x01" and pes[3] == 0xE0 and pes[7] & 0x80:
            b = pes[9:14]
            return (((b[0] >> 1) & 7) << 30 | b[1] << 22 | (b[2] >> 1) << 15 | b[3] << 7
                    | b[4] >> 1)
    return None


def _send(sock: socket.socket, port: int, data: bytes) -> None:
    for at in range(0, len(data), DATAGRAM_BYTES):
        sock.sendto(data[at:at + DATAGRAM_BYTES], ("127.0.0.1", port))


async def test_each_frame_is_handed_on_before_the_next_one_is_sent() -> None:
    chunks, keys = _encode_frames(40)
    port = free_udp_port()
    source = VideoSource(f"udp://127.0.0.1:{port}", open_timeout_s=10)
    received: list[tuple[int | None, bool]] = []
    arrived = asyncio.Event()

    def on_packet(packet: Any) -> None:
        received.append((packet.pts, bool(packet.is_keyframe)))
        arrived.set()

    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    async with asyncio.TaskGroup() as group:
        task = group.create_task(source.run(on_packet))
        # the demuxer probes the stream first: keep the camera going until it has opened
        index = 0
        while not source.is_open:
            _send(sender, port, chunks[index % 20])
            index += 1
            await asyncio.sleep(1 / 30)
        await asyncio.sleep(0.3)
        received.clear()
        # now one frame at a time, the next one held back until this one came out
        handed_on = 0
        for chunk in chunks[20:]:
            pts = _pes_pts(chunk)
            arrived.clear()
            _send(sender, port, chunk)
            try:
                async with asyncio.timeout(1.0):
                    while not received or received[-1][0] != pts:
                        await arrived.wait()
                        arrived.clear()
                handed_on += 1
            except TimeoutError:
                pass
        task.cancel()
    sender.close()
    assert handed_on == 20, f"only {handed_on} of 20 frames came out before the next was sent"
    # the keyframes are still known without the parser
    assert [key for _, key in received[-20:]] == keys[20:]


def test_keyframes_are_told_from_the_nal_headers() -> None:
    for codec, name in (("libx264", "h264"), ("libx265", "hevc")):
        if codec not in av.codecs_available:
            continue
        encoder: Any = av.CodecContext.create(codec, "w")
        encoder.width, encoder.height, encoder.pix_fmt = 320, 240, "yuv420p"
        encoder.time_base = fractions.Fraction(1, 30)
        encoder.gop_size = 5
        encoder.options = {"preset": "ultrafast", "tune": "zerolatency"}
        flags: list[tuple[bool, bool]] = []
        rng = np.random.default_rng(3)
        for index in range(12):
            picture = rng.integers(0, 255, (360, 320), dtype=np.uint8)
            frame = av.VideoFrame.from_ndarray(picture, format="yuv420p")  # type: ignore[arg-type]
            frame.pts = index
            flags += [(bool(p.is_keyframe), is_keyframe(bytes(p), name))
                      for p in encoder.encode(frame)]
        assert flags and all(expected == found for expected, found in flags), (codec, flags)
        assert sum(expected for expected, _ in flags) >= 2
    assert not is_keyframe(b"", "h264")
    assert not is_keyframe(b"\x00\x00\x01", "h264")
    assert not is_keyframe(b"garbage without a start code", "hevc")


def _big_keyframe_stream(count: int) -> tuple[list[bytes], list[bool], np.ndarray]:
    """``count`` frames of one still, noisy picture, MPEG-TS as a camera sends it: the
    keyframes are larger than the demuxer's 200 KiB buffer, the frames between are small."""
    sink = _Chunks()
    out = av.open(sink, mode="w", format="mpegts",
                  options={"flush_packets": "1", "max_delay": "0", "omit_video_pes_length": "0"})
    stream: Any = out.add_stream("libx264", rate=30)
    stream.width, stream.height, stream.pix_fmt = 640, 480, "yuv420p"
    stream.codec_context.time_base = fractions.Fraction(1, 30)
    stream.options = {"preset": "ultrafast", "tune": "zerolatency", "qp": "4",
                      "x264-params": "keyint=10:min-keyint=10:scenecut=0:repeat-headers=1"}
    picture = np.random.default_rng(11).integers(0, 255, (720, 640), dtype=np.uint8)
    chunks: list[bytes] = []
    keys: list[bool] = []
    for index in range(count):
        frame = av.VideoFrame.from_ndarray(picture, format="yuv420p")  # type: ignore[arg-type]
        frame.pts = index
        for packet in stream.encode(frame):
            keys.append(bool(packet.is_keyframe))
            out.mux(packet)
        chunks.append(sink.take())
    out.close()
    return chunks, keys, picture[:480]


async def _send_paced(sock: socket.socket, port: int, data: bytes) -> None:
    """A frame's datagrams in bursts, as a camera's network link delivers them."""
    burst = DATAGRAM_BYTES * 40
    for at in range(0, len(data), burst):
        _send(sock, port, data[at:at + burst])
        await asyncio.sleep(0.002)


async def test_a_recording_from_the_parser_free_input_has_every_frame_sent(
    tmp_path: Path,
) -> None:
    chunks, keys, picture = _big_keyframe_stream(150)
    assert max(len(chunk) for chunk, key in zip(chunks, keys, strict=True) if key) > 230_000
    port = free_udp_port()
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    closed: list[dict[str, Any]] = []

    async def on_segment_closed(path: Path, sha256_hex: str, meta: dict[str, Any]) -> None:
        closed.append(meta)

    async with VideoGateway() as gateway:
        relay = gateway.add_drone("drone-1", f"udp://127.0.0.1:{port}")
        index = 0
        while not relay.source.is_open or not keys[index]:  # the demuxer probes first
            assert index < 110, "the relay never opened the camera"
            await _send_paced(sender, port, chunks[index])
            index += 1
            await asyncio.sleep(1 / 30)
        recorder = gateway.start_recording("drone-1", "flight-1", tmp_path, on_segment_closed,
                                           segment_duration_s=3600.0)
        sent = chunks[index:index + 30]  # three keyframes and the nine frames after each
        for chunk in [*sent, chunks[index + 30]]:  # (and the next frame, which ends the last)
            await _send_paced(sender, port, chunk)
            await asyncio.sleep(1 / 30)
        await asyncio.sleep(1.0)
        await gateway.stop_recording("drone-1")
    sender.close()

    assert recorder.error is None
    assert len(closed) == 1 and closed[0]["packets"] >= len(sent)
    assert closed[0]["codec"] == "h264"
    segment = tmp_path / "drone-1" / "flight-1" / closed[0]["file"]
    with av.open(str(segment)) as container:
        times = [packet.pts for packet in container.demux(video=0) if packet.size]
        container.seek(0)
        pictures = [frame.to_ndarray(format="yuv420p")[:480] for frame in container.decode(video=0)]
    # every frame sent is in the segment, once, in order, and decodes
    assert times[:len(sent)] == sorted(set(times))[:len(sent)]
    assert len(pictures) == len(times) == closed[0]["packets"]
    assert len(pictures) >= len(sent)
    # every picture whole, the keyframes' far ends included (they came in several pieces)
    for got in pictures:
        assert float(np.abs(got.astype(int) - picture.astype(int)).mean()) < 4.0
    assert verify_directory(tmp_path).ok
