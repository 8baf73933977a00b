"""Video sources: RTSP, UDP MPEG-TS, RTMP or a file, read with PyAV, reconnecting on loss.

PyAV's reads block, so each *source* has one reader thread (never one per viewer, never one
per drone beyond its source): it opens the input, demuxes encoded packets and hands them to
the event loop with ``call_soon_threadsafe``. When the input fails or goes silent for
``read_timeout_s`` the thread closes it and reopens with exponential backoff, forever, until
the source is stopped. The first failure to open is kept as a :class:`SourceUnavailable`
naming the source, which ``wait_open`` raises to callers that need the picture now.

The address is a :class:`~jinghang.video.source_address.SourceAddress`: credentials and the
RTSP transport travel in it (or come as ``username``/``password``/``transport``), and only
its redacted form (``url``) is ever logged, shown in status or put in an error. A failure is
kept as a stable ``code`` beside its English text (:class:`SourceFailure`). A camera that
refuses the credentials is retried only every ``auth_retry_s``: a wrong password does not fix
itself, and cameras lock accounts out after a few tries.

The thread never touches asyncio objects except through ``call_soon_threadsafe``; stopping
sets a ``threading.Event`` and PyAV's interrupt timeout wakes any blocked read within
``read_timeout_s``.
"""

from __future__ import annotations

import asyncio
import fractions
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import av
import av.bitstream

from jinghang.errors import VideoError
from jinghang.video.access_units import AccessUnitJoiner
from jinghang.video.blocking import run_in_own_thread
from jinghang.video.nal import is_keyframe
from jinghang.video.source_address import (
    SUPPORTED_SCHEMES,
    SourceAddress,
    check_source_url,
    parse_source_address,
)

log = logging.getLogger(__name__)

__all__ = ["SUPPORTED_SCHEMES", "SourceEnded", "SourceFailure", "SourceUnavailable",
           "StreamInfo", "VideoSource", "check_source_url", "describe"]


class SourceUnavailable(VideoError):
    """A video source could not be opened (or is not open yet); names the source."""

    code = "video.source_unavailable"
    status_code = 503
    title = "Video source unavailable"


@dataclass(frozen=True, slots=True)
class StreamInfo:
    """What a newly opened source carries: codec, size, time base and codec extradata."""

    codec_name: str
    width_px: int
    height_px: int
    time_base: fractions.Fraction
    extradata: bytes | None
    open_count: int


@dataclass(frozen=True, slots=True)
class SourceFailure:
    """Why the source is not delivering: a stable ``code`` (the console translates it), its
    parameters, and the English text (credentials redacted)."""

    code: str
    message: str
    params: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "params": self.params}


@dataclass(slots=True)
class SourceStats:
    """Counters a user can check: how often the source was opened and how much was read."""

    opens: int = 0
    open_failures: int = 0
    packets_read: int = 0
    bytes_read: int = 0
    last_packet_monotonic_s: float = 0.0
    last_error: str = ""
    last_failure: SourceFailure | None = None
    errors: list[str] = field(default_factory=list)


#: FFmpeg input flags for sources read without its bitstream parser.
UNPARSED_FFLAGS = "nobuffer+noparse+nofillin"


def _input_options(url: str, transport: str | None = None) -> dict[str, str]:
    if url.startswith("rtsp"):
        options = {"rtsp_transport": transport or "tcp", "fflags": "nobuffer",
                   "max_delay": "200000"}
        if transport == "udp":
            options["buffer_size"] = "4000000"  # a keyframe arrives as one burst
        return options
    if url.startswith("udp://"):
        # no bitstream parser: it holds each frame until the next one starts (a frame period
        # of latency); MPEG-TS cameras send one frame per PES, the demuxer's pieces of a big
        # one are joined again (access_units.py) and keyframes are found from the NAL
        # headers instead (see _demux)
        return {"fflags": UNPARSED_FFLAGS, "probesize": "500000", "analyzeduration": "1500000"}
    if url.startswith("rtmp"):
        # FLV announces no streams up front: FFmpeg's default probe (5 s) waits to see
        # whether audio follows, longer than the open timeout; half a second finds the video
        return {"fflags": "nobuffer", "rtmp_live": "live", "analyzeduration": "500000",
                "probesize": "500000"}
    return {}


def _udp_input(url: str) -> str:
    if url.startswith("udp://") and "fifo_size" not in url:
        return url + ("&" if "?" in url else "?") + "fifo_size=100000&overrun_nonfatal=1"
    return url


class SourceEnded(OSError):  # an OSError so that the reader's reconnect path takes it
    """The input ended (a live source that stopped sending, or a file not set to loop)."""


def explain_failure(exc: BaseException, address: SourceAddress, opened: bool,
                    elapsed_s: float, timeout_s: float) -> SourceFailure:
    """What a failed open or read means for whoever runs the drone, in one line."""
    where = address.shown_url
    if isinstance(exc, av.error.HTTPUnauthorizedError):
        how = ("the user name or password" if address.has_credentials
               else "to stream without credentials")
        return SourceFailure("video_source_unauthorized",
                             f"the camera at {where} refused {how} (401 Unauthorized)",
                             {"source": where, "credentials_given": address.has_credentials})
    if isinstance(exc, av.error.HTTPForbiddenError):
        return SourceFailure("video_source_forbidden",
                             f"the camera at {where} forbids this stream (403 Forbidden)",
                             {"source": where})
    if isinstance(exc, av.error.HTTPNotFoundError):
        return SourceFailure("video_source_not_found",
                             f"the server at {where} has no stream at this path (404)",
                             {"source": where})
    if isinstance(exc, ConnectionRefusedError):
        return SourceFailure("video_source_refused",
                             f"nothing accepts connections at {where} (connection refused)",
                             {"source": where})
    if isinstance(exc, SourceEnded):
        return SourceFailure("video_source_ended", f"the stream from {where} ended",
                             {"source": where})
    if isinstance(exc, TimeoutError | av.error.ExitError) or elapsed_s >= 0.9 * timeout_s:
        what = "stopped sending" if opened else "sent no picture"
        return SourceFailure("video_source_timeout", f"{where} {what} within {timeout_s:g} s",
                             {"source": where, "timeout_s": timeout_s})
    return SourceFailure("video_source_error",
                         address.redact(f"{where}: {type(exc).__name__}: {exc}"),
                         {"source": where, "error": type(exc).__name__})


_ANNEXB_FILTERS = {"h264": "h264_mp4toannexb", "hevc": "hevc_mp4toannexb"}


def _needs_annexb(codec_name: str, extradata: bytes | None) -> bool:
    """MP4, RTMP and FLV carry H.264/H.265 as length-prefixed NAL units with an avcC/hvcC
    header (first byte 1); WebRTC and MPEG-TS want Annex-B start codes."""
    return codec_name in _ANNEXB_FILTERS and extradata is not None and extradata[:1] == b"\x01"


PacketHandler = Callable[[av.Packet], None]
OpenHandler = Callable[[StreamInfo], None]


class VideoSource:
    """One drone's video input. Run it with ``await source.run(on_packet, on_open)``.

    ``on_packet`` gets every encoded video packet (on the event loop); ``on_open`` gets the
    stream's description each time the input is (re)opened, so consumers reset decoders.
    ``realtime`` paces a file to its timestamps (a file stands in for a live camera).
    ``transport`` (``"tcp"`` or ``"udp"``), ``username`` and ``password`` override what the
    address says (see :mod:`jinghang.video.source_address`).
    """

    def __init__(
        self,
        url: str,
        *,
        open_timeout_s: float = 5.0,
        read_timeout_s: float = 2.0,
        backoff_initial_s: float = 0.2,
        backoff_max_s: float = 5.0,
        auth_retry_s: float = 30.0,
        realtime: bool = True,
        loop_file: bool = True,
        options: dict[str, str] | None = None,
        transport: str | None = None,
        username: str | None = None,
        password: str | None = None,
    ) -> None:
        self.address = parse_source_address(url, transport=transport, username=username,
                                            password=password)
        #: The address as it may be shown: credentials and secret parameters as ``***``.
        self.url = self.address.shown_url
        #: Extra PyAV/FFmpeg input options, over the defaults for the scheme (RTSP over TCP
        #: unless the address asks for UDP, no input buffering).
        self.options = {**_input_options(self.address.open_url, self.address.transport),
                        **(options or {})}
        self.open_timeout_s = open_timeout_s
        self.read_timeout_s = read_timeout_s
        self.backoff_initial_s = backoff_initial_s
        self.backoff_max_s = backoff_max_s
        self.auth_retry_s = auth_retry_s
        self.realtime = realtime
        self.loop_file = loop_file
        self.stats = SourceStats()
        self.info: StreamInfo | None = None
        self._opened = asyncio.Event()
        self._closed = asyncio.Event()
        self._closed.set()
        self._stop = threading.Event()

    @property
    def is_open(self) -> bool:
        return self._opened.is_set()

    @property
    def transport(self) -> str | None:
        """The RTSP transport in use (``tcp`` or ``udp``), None for other sources."""
        return self.options.get("rtsp_transport")

    async def wait_open(self, timeout_s: float) -> StreamInfo:
        """Wait until the source is open; raise :class:`SourceUnavailable` naming it if not."""
        try:
            async with asyncio.timeout(timeout_s):
                await self._opened.wait()
        except TimeoutError:
            reason = self.stats.last_error or f"no picture within {timeout_s:g} s"
            failure = self.stats.last_failure
            raise SourceUnavailable(f"video source {self.url} cannot be opened: {reason}",
                                    field="source_url", value=self.url,
                                    limit=f"{timeout_s:g} s",
                                    code=failure.code if failure else "video_source_timeout"
                                    ) from None
        assert self.info is not None
        return self.info

    def _mark_closed(self) -> None:
        self._opened.clear()
        self._closed.set()

    async def wait_closed(self) -> None:
        """Wait until the source has lost its input (it then reconnects on its own)."""
        await self._closed.wait()

    async def run(self, on_packet: PacketHandler, on_open: OpenHandler | None = None) -> None:
        """Read until cancelled; returns once the reader thread has stopped (within
        ``read_timeout_s``, or ``open_timeout_s`` while opening)."""
        loop = asyncio.get_running_loop()
        self._stop.clear()
        try:
            await run_in_own_thread(self._stop.set, f"video-source {self.url}",
                                    self._read_forever, loop, on_packet, on_open)
        finally:
            self._stop.set()

    # -- the reader thread ----------------------------------------------------------------

    def _read_forever(
        self,
        loop: asyncio.AbstractEventLoop,
        on_packet: PacketHandler,
        on_open: OpenHandler | None,
    ) -> None:
        backoff_s = self.backoff_initial_s
        while not self._stop.is_set():
            started_s = time.monotonic()
            try:
                container = av.open(
                    _udp_input(self.address.open_url),
                    options=self.options,
                    timeout=(self.open_timeout_s, self.read_timeout_s),
                )
            except (av.FFmpegError, OSError, ValueError) as exc:
                failure = self._record_failure(exc, False, time.monotonic() - started_s)
                wait_s = (self.auth_retry_s if failure.code == "video_source_unauthorized"
                          else backoff_s)
                self._stop.wait(wait_s)
                backoff_s = min(backoff_s * 2, self.backoff_max_s)
                continue
            try:
                if not container.streams.video:
                    self._record(SourceFailure("video_source_no_video",
                                               f"{self.url} carries no video stream",
                                               {"source": self.url}), opened=False)
                    self._stop.wait(backoff_s)
                    backoff_s = min(backoff_s * 2, self.backoff_max_s)
                    continue
                annexb = self._announce_open(loop, container, on_open)
                backoff_s = self.backoff_initial_s
                self._demux(loop, container, on_packet, annexb)
            except (av.FFmpegError, OSError, ValueError) as exc:
                silent_s = time.monotonic() - max(self.stats.last_packet_monotonic_s, started_s)
                self._record_failure(exc, True, silent_s)
            finally:
                container.close()
            if not self._stop.is_set():
                loop.call_soon_threadsafe(self._mark_closed)
                self._stop.wait(backoff_s)

    def _announce_open(
        self,
        loop: asyncio.AbstractEventLoop,
        container: av.container.InputContainer,
        on_open: OpenHandler | None,
    ) -> Any:
        """Publish the stream's description; return an Annex-B filter when one is needed
        (its output carries the parameter sets in-band, so no extradata is passed on)."""
        stream = container.streams.video[0]
        ctx = stream.codec_context
        self.stats.opens += 1
        extradata = bytes(ctx.extradata) if ctx.extradata else None
        annexb: Any = None
        if _needs_annexb(ctx.name, extradata):
            annexb = av.bitstream.BitStreamFilterContext(_ANNEXB_FILTERS[ctx.name], stream)
            extradata = None
        info = StreamInfo(
            codec_name=ctx.name,
            width_px=int(ctx.width or 0),
            height_px=int(ctx.height or 0),
            time_base=stream.time_base or fractions.Fraction(1, 90000),
            extradata=extradata,
            open_count=self.stats.opens,
        )
        log.info("video source %s open: %s %dx%d%s", self.url, info.codec_name, info.width_px,
                 info.height_px, f" over {self.transport}" if self.transport else "")

        def opened() -> None:
            self.info = info
            if on_open is not None:
                on_open(info)
            self._opened.set()
            self._closed.clear()

        loop.call_soon_threadsafe(opened)
        return annexb

    def _demux(
        self,
        loop: asyncio.AbstractEventLoop,
        container: av.container.InputContainer,
        on_packet: PacketHandler,
        annexb: Any = None,
    ) -> None:
        stream = container.streams.video[0]
        is_file = self.address.scheme == "file"
        joiner = AccessUnitJoiner() if "noparse" in self.options.get("fflags", "") else None
        codec_name = stream.codec_context.name
        started = time.monotonic()
        first_time_s: float | None = None
        while not self._stop.is_set():
            for packet in container.demux(stream):
                if self._stop.is_set():
                    return
                if packet.size == 0:
                    continue
                if is_file and self.realtime and packet.pts is not None and packet.time_base:
                    t = float(packet.pts * packet.time_base)
                    first_time_s = t if first_time_s is None else first_time_s
                    ahead_s = (t - first_time_s) - (time.monotonic() - started)
                    if ahead_s > 0:
                        self._stop.wait(ahead_s)
                self.stats.packets_read += 1
                self.stats.bytes_read += packet.size
                self.stats.last_packet_monotonic_s = time.monotonic()
                if joiner is None:
                    self._hand_on(loop, packet, on_packet, annexb)
                    continue
                # without the parser: whole access units, keyframes told from the NAL headers
                for unit in joiner.feed(packet):
                    unit.is_keyframe = is_keyframe(bytes(unit), codec_name)
                    self._hand_on(loop, unit, on_packet, annexb)
            if not (is_file and self.loop_file):
                raise SourceEnded("the input ended")
            container.seek(0)
            started = time.monotonic()
            first_time_s = None

    @staticmethod
    def _hand_on(loop: asyncio.AbstractEventLoop, packet: av.Packet, on_packet: PacketHandler,
                 annexb: Any) -> None:
        if annexb is None:
            loop.call_soon_threadsafe(on_packet, packet)
            return
        for filtered in annexb.filter(packet):
            loop.call_soon_threadsafe(on_packet, filtered)

    def _record_failure(self, exc: BaseException, opened: bool, elapsed_s: float
                        ) -> SourceFailure:
        timeout_s = self.read_timeout_s if opened else self.open_timeout_s
        failure = explain_failure(exc, self.address, opened, elapsed_s, timeout_s)
        self._record(failure, opened)
        return failure

    def _record(self, failure: SourceFailure, opened: bool) -> None:
        if not opened:
            self.stats.open_failures += 1
        self.stats.last_failure = failure
        self.stats.last_error = failure.message
        self.stats.errors = [*self.stats.errors[-9:], failure.message]
        log.warning("video source %s: %s [%s]", self.url, failure.message, failure.code)


def describe(source: VideoSource) -> dict[str, Any]:
    """A JSON-ready view of a source's state for status pages (credentials redacted)."""
    info = source.info
    failure = source.stats.last_failure
    return {
        "url": source.url,
        "transport": source.transport,
        "open": source.is_open,
        "codec": info.codec_name if info else None,
        "width_px": info.width_px if info else None,
        "height_px": info.height_px if info else None,
        "opens": source.stats.opens,
        "open_failures": source.stats.open_failures,
        "packets_read": source.stats.packets_read,
        "last_error": source.stats.last_error,
        "last_error_code": failure.code if failure else None,
        "last_failure": failure.to_dict() if failure else None,
    }
