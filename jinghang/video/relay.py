"""One relay per drone: reads the drone's source once and fans it out to every viewer.

Passthrough viewers (they take H.264) get the source's packets as they are. The relay holds
the source's last keyframe (with its SPS/PPS in front), and a viewer joining between two
keyframes is sent it at once, so a browser shows a picture immediately instead of a black
box until the source's next keyframe; the live packets follow from that next keyframe (the
ones in between refer to frames the viewer never had). Transcode
viewers share one :class:`~jinghang.video.transcode.Transcoder` (decode, on-screen display,
VP8), which runs only while at least one of them watches. Packet consumers (recorders) and
the analytics hook see the same packets; neither can slow the live path: consumers are plain
calls that queue, analytics takes keyframes into a one-slot mailbox.

Counters in :class:`RelayStats` say how often the source was read and encoded, so "read once,
encoded at most once, whatever the number of viewers" can be checked.

A camera may change its picture size mid-stream (new SPS/PPS in front of an IDR frame, the
RTSP description still giving the old ones): the relay keeps the parameter sets it last saw
in-band and puts those, not the stale description's, in front of a keyframe that lacks them.
A source that reconnects (a server restarted) sends every viewer on from its next keyframe,
in the same WebRTC session.

``latest_picture()`` gives what a still of "now" needs: the packets from the last keyframe
(parameter sets in front) to the newest, with the stream's description and the wall-clock time
the newest arrived; a snapshot decodes them (the live path never decodes for it).

An RTSP server that repeats SPS/PPS before every slice of a keyframe (GStreamer's rtph264pay
with ``config-interval=-1`` and a multi-slice encoder) makes FFmpeg's parser cut the keyframe
in two at the repeated SPS. The second part starts with a slice that does not start the
picture; the relay joins it to the first and sends the whole keyframe on, so that the frames
after it are decoded against the whole picture, not against its top slice alone.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import av

from jinghang.video.blocking import run_blocking
from jinghang.video.osd import OsdInfo, OsdSource
from jinghang.video.sources import StreamInfo, VideoSource, describe
from jinghang.video.tracks import ViewerTrack, wallclock_packet
from jinghang.video.transcode import Transcoder

log = logging.getLogger(__name__)

Mode = Literal["passthrough", "transcode"]
PacketConsumer = Callable[[av.Packet, StreamInfo], None]
KeyframeConsumer = Callable[[bytes, StreamInfo], None]

_H264_SPS = 7
_H264_PPS = 8
_START = b"\x00\x00\x01"
#: The most packets held for ``latest_picture`` (a keyframe and what follows it); past this
#: (a very long GOP) the picture is the one this many packets after the keyframe.
MAX_PICTURE_PACKETS = 300


@dataclass(frozen=True, slots=True)
class LatestPicture:
    """The newest picture as packets: a keyframe (parameter sets in front), then the packets
    after it in order; decoding them all gives the latest frame."""

    packets: tuple[bytes, ...]
    info: StreamInfo
    received_at_s: float  # wall clock (time.time()) of the newest packet held


@dataclass(slots=True)
class RelayStats:
    """What the relay did: packets in from the source, frames decoded and encoded."""

    packets_in: int = 0
    source_opens: int = 0
    passthrough_packets_out: int = 0
    keyframes_primed: int = 0
    transcode_packets_in: int = 0
    transcode_packets_dropped: int = 0
    frames_decoded: int = 0
    frames_encoded: int = 0
    transcoders_created: int = 0
    transcode_busy_s: float = 0.0
    split_keyframes_joined: int = 0


def _h264_parameter_sets(data: bytes) -> bytes:
    """The SPS and PPS NAL units at the head of an Annex-B access unit (with start codes);
    empty when it has none. Stops at the first slice, so the picture data is not scanned."""
    found: list[bytes] = []
    index = data.find(_START)
    while index != -1 and index + 3 < len(data):
        nal_type = data[index + 3] & 0x1F
        if 1 <= nal_type <= 5:  # a slice: parameter sets come before it
            break
        following = data.find(_START, index + 3)
        end = len(data) if following == -1 else following
        if nal_type in (_H264_SPS, _H264_PPS):
            found.append(b"\x00\x00\x00\x01" + data[index + 3:end].rstrip(b"\x00"))
        index = following
    return b"".join(found) if any(nal[4] & 0x1F == _H264_SPS for nal in found) else b""


def _first_slice_at(data: bytes) -> int:
    """Where the first slice NAL unit (from its start code) of an access unit begins; -1 if
    it has none."""
    index = data.find(_START)
    while index != -1 and index + 4 < len(data):
        if 1 <= data[index + 3] & 0x1F <= 5:
            return index
        index = data.find(_START, index + 3)
    return -1


def _continues_picture(data: bytes, at: int) -> bool:
    """Whether the slice at ``at`` is not the picture's first (first_mb_in_slice, the first
    Exp-Golomb code of the slice header, is not 0, whose code is a single 1 bit)."""
    return at != -1 and not data[at + 4] & 0x80


class DroneRelay:
    """The fan-out for one drone. ``await relay.run()`` reads the source until cancelled."""

    def __init__(
        self,
        drone_id: str,
        source: VideoSource,
        osd_source: OsdSource | None = None,
        transcode_bitrate_bps: int = 1_500_000,
        transcode_queue: int = 10,
    ) -> None:
        self.drone_id = drone_id
        self.source = source
        self.osd_source = osd_source
        self.transcode_bitrate_bps = transcode_bitrate_bps
        self.stats = RelayStats()
        self.viewers: dict[Mode, set[ViewerTrack]] = {"passthrough": set(), "transcode": set()}
        self.packet_consumers: list[PacketConsumer] = []
        self.keyframe_consumers: list[KeyframeConsumer] = []
        self._start_s = time.monotonic()
        self._transcode_queue: asyncio.Queue[tuple[bytes, bool]] = asyncio.Queue(
            transcode_queue
        )
        self._transcoder: Transcoder | None = None
        self._transcode_need_keyframe = True
        self._force_vp8_keyframe = False
        self._last_keyframe: bytes | None = None
        self._parameter_sets = b""
        self._previous_was_keyframe = False
        self._picture_packets: list[bytes] = []
        self._picture_at_s = 0.0

    # -- viewers --------------------------------------------------------------------------

    @property
    def viewer_count(self) -> int:
        return sum(len(v) for v in self.viewers.values())

    @property
    def source_is_h264(self) -> bool | None:
        """Whether the source is H.264 (None until it has been opened once)."""
        info = self.source.info
        return None if info is None else info.codec_name == "h264"

    @property
    def keyframe_held(self) -> bool:
        """Whether a new passthrough viewer would be started on a held keyframe now."""
        return self._last_keyframe is not None

    def latest_picture(self) -> LatestPicture | None:
        """The packets of the newest picture since the last keyframe (None before the first
        keyframe of the current stream)."""
        info = self.source.info
        if info is None or not self._picture_packets:
            return None
        return LatestPicture(tuple(self._picture_packets), info, self._picture_at_s)

    def add_viewer(self, mode: Mode) -> ViewerTrack:
        track = ViewerTrack(self.drone_id, mode)
        self.viewers[mode].add(track)
        if mode == "transcode":
            self._force_vp8_keyframe = True
        elif self._last_keyframe is not None:
            track.prime(wallclock_packet(self._last_keyframe, self._start_s, True))
            self.stats.keyframes_primed += 1
        track.on("ended", lambda: self.remove_viewer(track))
        return track

    def remove_viewer(self, track: ViewerTrack) -> None:
        self.viewers["passthrough"].discard(track)
        if track in self.viewers["transcode"]:
            self.viewers["transcode"].discard(track)
            if not self.viewers["transcode"]:
                # the decoder misses every packet from now on: the next viewer starts afresh
                # on a source keyframe rather than on P-frames decoded against stale pictures
                self._transcoder = None
                self._transcode_need_keyframe = True

    # -- running --------------------------------------------------------------------------

    async def run(self) -> None:
        async with asyncio.TaskGroup() as tasks:
            tasks.create_task(self.source.run(self._on_packet, self._on_open))
            tasks.create_task(self._transcode_loop())

    def _on_open(self, info: StreamInfo) -> None:
        self.stats.source_opens += 1
        self._last_keyframe = None  # the new stream's parameters may differ
        self._picture_packets = []
        self._parameter_sets = b""
        self._previous_was_keyframe = False
        if info.codec_name == "h264" and info.extradata and info.extradata.startswith(
            (b"\x00\x00\x01", b"\x00\x00\x00\x01")
        ):
            self._parameter_sets = _h264_parameter_sets(info.extradata)
        for track in self.viewers["passthrough"]:
            track.restart()
        self._transcoder = None
        self._transcode_need_keyframe = True
        self._force_vp8_keyframe = True

    def _on_packet(self, packet: av.Packet) -> None:
        self.stats.packets_in += 1
        info = self.source.info
        if info is None:
            return
        keyframe = bool(packet.is_keyframe)
        data = bytes(packet)
        if keyframe and info.codec_name == "h264":
            at = _first_slice_at(data)
            if (self._previous_was_keyframe and self._last_keyframe is not None
                    and _continues_picture(data, at)):
                data = self._last_keyframe + data[at:]  # the rest of the same keyframe
                self.stats.split_keyframes_joined += 1
            in_band = _h264_parameter_sets(data)
            if in_band:
                self._parameter_sets = in_band  # (a new picture size comes this way)
            elif self._parameter_sets:
                data = self._parameter_sets + data
            self._last_keyframe = data
        self._previous_was_keyframe = keyframe
        if keyframe:
            self._picture_packets = [data]
            self._picture_at_s = time.time()
        elif self._picture_packets and len(self._picture_packets) < MAX_PICTURE_PACKETS:
            self._picture_packets.append(data)
            self._picture_at_s = time.time()
        if self.viewers["passthrough"] and info.codec_name == "h264":
            # (a viewer that joined before a non-H.264 source first opened gets nothing;
            # it has to reconnect and is then offered the transcoded picture)
            out = wallclock_packet(data, self._start_s, keyframe)
            for track in tuple(self.viewers["passthrough"]):
                track.offer(out)
            self.stats.passthrough_packets_out += 1
        if self.viewers["transcode"]:
            self._queue_for_transcode(data, keyframe)
        for consumer in tuple(self.packet_consumers):
            consumer(packet, info)
        if keyframe:
            for keyframe_consumer in tuple(self.keyframe_consumers):
                keyframe_consumer(data, info)

    def _queue_for_transcode(self, data: bytes, keyframe: bool) -> None:
        if self._transcode_need_keyframe and not keyframe:
            self.stats.transcode_packets_dropped += 1
            return
        if self._transcode_queue.full():
            while not self._transcode_queue.empty():
                self._transcode_queue.get_nowait()
                self.stats.transcode_packets_dropped += 1
            if not keyframe:
                self._transcode_need_keyframe = True
                return
        self._transcode_need_keyframe = False
        self._transcode_queue.put_nowait((data, keyframe))

    async def _transcode_loop(self) -> None:
        while True:
            data, _keyframe = await self._transcode_queue.get()
            if not self.viewers["transcode"] or self.source.info is None:
                self._transcoder = None
                self._transcode_need_keyframe = True
                continue
            if self._transcoder is None:
                self._transcoder = Transcoder(self.source.info, self.transcode_bitrate_bps)
                self.stats.transcoders_created += 1
            transcoder = self._transcoder
            force = self._force_vp8_keyframe
            osd = self._osd_info()
            self.stats.transcode_packets_in += 1
            started_s = time.perf_counter()
            try:
                encoded = await run_blocking(transcoder.feed, data, osd, force)
            except av.FFmpegError as exc:
                log.warning("drone %s: transcoding failed (%s); waiting for a keyframe",
                            self.drone_id, exc)
                self._transcoder = None
                self._transcode_need_keyframe = True
                continue
            self.stats.transcode_busy_s += time.perf_counter() - started_s
            if any(item.keyframe for item in encoded):
                # (a packet that decoded to nothing leaves the request standing, or a new
                # viewer would wait for the encoder's own next keyframe, seconds away)
                self._force_vp8_keyframe = False
            self.stats.frames_decoded = transcoder.frames_decoded
            self.stats.frames_encoded = transcoder.frames_encoded
            for item in encoded:
                out = wallclock_packet(item.data, self._start_s, item.keyframe)
                for track in tuple(self.viewers["transcode"]):
                    track.offer(out)

    def _osd_info(self) -> OsdInfo:
        if self.osd_source is None:
            return OsdInfo(drone_id=self.drone_id)
        try:
            return self.osd_source()
        except Exception as exc:  # a broken telemetry callback must not stop the video
            log.warning("drone %s: on-screen display source failed: %s", self.drone_id, exc)
            return OsdInfo(drone_id=self.drone_id)

    def describe(self) -> dict[str, Any]:
        """A JSON-ready view for status pages and benchmarks."""
        return {
            "drone_id": self.drone_id,
            "viewers": {mode: len(tracks) for mode, tracks in self.viewers.items()},
            "source_open": self.source.is_open,
            "source_packets_read": self.source.stats.packets_read,
            "keyframe_held": self.keyframe_held,
            "source": describe(self.source),
            **{name: getattr(self.stats, name) for name in self.stats.__slots__},
        }
