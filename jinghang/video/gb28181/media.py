"""One live push of a drone's H.264 to the platform, as its INVITE asked: PS over RTP over
UDP, or over TCP (RFC 4571 framing) either connecting to the platform (its
``a=setup:passive``) or accepting its connection on a port we answer with (``active``).

The push subscribes to the drone's relay (``DroneRelay.packet_consumers``, a plain call on
the event loop) only from ``start()`` (the ACK) to ``stop()`` (BYE), begins on a keyframe
(with the stream's SPS/PPS in front where the source keeps them out of band), and over TCP
drops frames up to the next keyframe rather than buffer without bound when the platform
reads slower than the camera sends.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import av

from jinghang.video.gb28181.ps import ps_access_unit
from jinghang.video.gb28181.rtp import CLOCK_RATE_HZ, RtpPacketiser, frame_rfc4571
from jinghang.video.gb28181.sdp import MediaOffer
from jinghang.video.relay import DroneRelay
from jinghang.video.sources import StreamInfo

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 5.0
MAX_TCP_BUFFER_BYTES = 2 * 1024 * 1024
_H264_SPS = 7


def has_h264_sps(data: bytes) -> bool:
    """Whether an Annex-B access unit carries an SPS (so a receiver can start on it)."""
    index = data.find(b"\x00\x00\x01")
    while index != -1 and index + 3 < len(data):
        if data[index + 3] & 0x1F == _H264_SPS:
            return True
        index = data.find(b"\x00\x00\x01", index + 3)
    return False


@dataclass(slots=True)
class PushStats:
    frames_sent: int = 0
    frames_dropped: int = 0
    rtp_packets_sent: int = 0
    bytes_sent: int = 0


class _Udp(asyncio.DatagramProtocol):
    def error_received(self, exc: Exception) -> None:  # ICMP unreachable: keep sending
        log.debug("GB/T 28181: RTP datagram error: %s", exc)


class MediaPush:
    """Sends one drone's video to one platform address until stopped."""

    def __init__(self, relay: DroneRelay, offer: MediaOffer, local_host: str,
                 on_lost: Callable[[], None] | None = None) -> None:
        self.relay = relay
        self.offer = offer
        self.local_host = local_host
        self.on_lost = on_lost
        self.local_port = 0
        self.stats = PushStats()
        self.rtp = RtpPacketiser(offer.ssrc, payload_type=offer.payload_type)
        self.started = False
        self.stopped = False
        self._udp: asyncio.DatagramTransport | None = None
        self._server: asyncio.Server | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._accepted: asyncio.Future[asyncio.StreamWriter] | None = None
        self._watch: asyncio.Task[None] | None = None
        self._need_keyframe = True
        self._ts_offset = secrets.randbelow(1 << 32)
        self._clock_origin_s = time.monotonic()

    async def prepare(self) -> int:
        """Bind what the answer names (the UDP source port, or our TCP listening port)."""
        loop = asyncio.get_running_loop()
        if self.offer.transport == "udp":
            transport, _ = await loop.create_datagram_endpoint(
                _Udp, local_addr=(self.local_host, 0),
                remote_addr=(self.offer.host, self.offer.port))
            self._udp = transport
            self.local_port = int(transport.get_extra_info("sockname")[1])
        elif self.offer.transport == "tcp-active":
            self._accepted = loop.create_future()
            self._server = await asyncio.start_server(self._on_connection, self.local_host, 0)
            self.local_port = int(self._server.sockets[0].getsockname()[1])
        else:
            self.local_port = 9  # we connect from an ephemeral port (RFC 4145 uses 9)
        return self.local_port

    async def _on_connection(self, reader: asyncio.StreamReader,
                             writer: asyncio.StreamWriter) -> None:
        if self._accepted is None or self._accepted.done():
            writer.close()
            return
        self._accepted.set_result(writer)
        self._watch = asyncio.create_task(self._drain_reader(reader))

    async def start(self) -> None:
        """Connect where needed and start sending (the platform's ACK arrived)."""
        if self.started or self.stopped:
            return
        if self.offer.transport == "tcp-passive":
            reader, self._writer = await asyncio.wait_for(
                asyncio.open_connection(self.offer.host, self.offer.port), CONNECT_TIMEOUT_S)
            self._watch = asyncio.create_task(self._drain_reader(reader))
        elif self.offer.transport == "tcp-active":
            assert self._accepted is not None
            self._writer = await asyncio.wait_for(self._accepted, CONNECT_TIMEOUT_S)
            if self._server is not None:
                self._server.close()
        if self.stopped:
            return
        self.started = True
        self.relay.packet_consumers.append(self.on_packet)
        log.info("GB/T 28181: drone %s pushing to %s:%d over %s (SSRC %d)",
                 self.relay.drone_id, self.offer.host, self.offer.port, self.offer.transport,
                 self.offer.ssrc)

    async def _drain_reader(self, reader: asyncio.StreamReader) -> None:
        """Read (and discard: RTCP, if any) until the platform closes the connection."""
        with contextlib.suppress(OSError):
            while await reader.read(4096):
                pass
        if not self.stopped:
            log.info("GB/T 28181: the platform closed the media connection of drone %s",
                     self.relay.drone_id)
            self.stop()
            if self.on_lost is not None:
                self.on_lost()

    def stop(self) -> None:
        """Stop sending at once: no RTP leaves after this returns."""
        if self.stopped:
            return
        self.stopped = True
        if self.on_packet in self.relay.packet_consumers:
            self.relay.packet_consumers.remove(self.on_packet)
        if self._udp is not None:
            self._udp.close()
        if self._writer is not None:
            self._writer.close()
        if self._server is not None:
            self._server.close()
        if self._accepted is not None and not self._accepted.done():
            self._accepted.cancel()
        if self._watch is not None and self._watch is not asyncio.current_task():
            self._watch.cancel()

    # -- packets ------------------------------------------------------------------------

    def _to_90khz(self, value: int | None, time_base: Any) -> int:
        if value is None or not time_base:
            return int((time.monotonic() - self._clock_origin_s) * CLOCK_RATE_HZ)
        return int(value * time_base * CLOCK_RATE_HZ)

    def on_packet(self, packet: av.Packet, info: StreamInfo) -> None:
        """The relay's packet consumer: never raises into the relay (its other consumers,
        the recorder among them, get the packet after this one)."""
        if self.stopped or info.codec_name != "h264":
            return
        try:
            self._send_packet(packet, info)
        except Exception:
            log.exception("GB/T 28181: pushing drone %s failed; push stopped",
                          self.relay.drone_id)
            self.stop()
            if self.on_lost is not None:
                self.on_lost()

    def _send_packet(self, packet: av.Packet, info: StreamInfo) -> None:
        keyframe = bool(packet.is_keyframe)
        if self._need_keyframe and not keyframe:
            self.stats.frames_dropped += 1
            return
        if self._writer is not None and (self._writer.is_closing() or
                                         self._writer.transport.get_write_buffer_size()
                                         > MAX_TCP_BUFFER_BYTES):
            self._need_keyframe = True
            self.stats.frames_dropped += 1
            return
        self._need_keyframe = False
        data = bytes(packet)
        if keyframe and info.extradata and not has_h264_sps(data) and info.extradata.startswith(
                (b"\x00\x00\x01", b"\x00\x00\x00\x01")):
            data = info.extradata + data
        time_base = packet.time_base or info.time_base
        pts = self._to_90khz(packet.pts, time_base)
        dts = self._to_90khz(packet.dts, time_base) if packet.dts is not None else pts
        pack = ps_access_unit(data, pts, keyframe, dts)
        for rtp in self.rtp.packets(pack, pts + self._ts_offset):
            if self._udp is not None:
                self._udp.sendto(rtp)
            elif self._writer is not None:
                self._writer.write(frame_rfc4571(rtp))
            self.stats.rtp_packets_sent += 1
            self.stats.bytes_sent += len(rtp)
        self.stats.frames_sent += 1
