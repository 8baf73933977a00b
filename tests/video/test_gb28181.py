"""GB/T 28181 out, against sipp (Debian's ``sip-tester``) playing the platform: REGISTER
challenged with a 401 digest and checked, the refresh before expiry, keepalives, a Catalog
query listing every drone, INVITE for PS over UDP and over TCP (the platform listening) with
the video captured here and parsed by ffprobe, BYE stopping it. The source is the simulator
camera through a DroneRelay. Skipped only when sipp or ffprobe is missing (scripts/test
installs both)."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import shutil
import struct
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from jinghang.video.gb28181 import manscdp, ps, sdp
from jinghang.video.gb28181.device import Gb28181Device
from jinghang.video.gb28181.digest import DigestClient
from jinghang.video.gb28181.ids import channel_ids
from jinghang.video.gb28181.message import SipMessage, auth_params
from jinghang.video.gb28181.message import parse as parse_sip
from jinghang.video.gb28181.rtp import parse_header
from jinghang.video.gb28181.settings import Gb28181Settings
from jinghang.video.gb28181.transport import response_to
from jinghang.video.relay import DroneRelay
from jinghang.video.simcam import udp_url
from jinghang.video.sources import VideoSource
from tests.conftest import free_tcp_port, free_udp_port
from tests.video.conftest import SMALL, Camera

SCENARIO = Path(__file__).parent / "gb28181_scenarios" / "platform.xml"
DEVICE_ID = "34020000001180000001"
SERVER_ID = "34020000002000000001"
DOMAIN = "3402000000"
PASSWORD = "gb-test-Passw0rd"
MEDIA_MS = 2500

needs_tools = pytest.mark.skipif(
    shutil.which("sipp") is None or shutil.which("ffprobe") is None,
    reason="sipp (Debian sip-tester) and ffprobe (Debian ffmpeg) are needed; scripts/test "
           "installs them",
)


@dataclass
class Capture:
    """RTP received on the platform's media ports: UDP datagrams and RFC 4571 TCP frames."""

    udp: list[tuple[float, bytes]] = field(default_factory=list)
    tcp: list[tuple[float, bytes]] = field(default_factory=list)
    tcp_connected_s: float | None = None
    tcp_closed_s: float | None = None
    #: the third session: we connect to the port of the device's answer (a=setup:active)
    active: list[tuple[float, bytes]] = field(default_factory=list)
    active_port: int | None = None
    active_connected_s: float | None = None
    active_closed_s: float | None = None


class _UdpSink(asyncio.DatagramProtocol):
    def __init__(self, capture: Capture) -> None:
        self.capture = capture

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.capture.udp.append((time.monotonic(), data))


async def _read_rfc4571(reader: asyncio.StreamReader, into: list[tuple[float, bytes]]) -> None:
    try:
        while True:
            length = struct.unpack(">H", await reader.readexactly(2))[0]
            into.append((time.monotonic(), await reader.readexactly(length)))
    except (asyncio.IncompleteReadError, ConnectionError):
        return


async def _tcp_sink(capture: Capture, reader: asyncio.StreamReader,
                    writer: asyncio.StreamWriter) -> None:
    capture.tcp_connected_s = time.monotonic()
    await _read_rfc4571(reader, capture.tcp)
    capture.tcp_closed_s = time.monotonic()
    writer.close()


async def _connect_when_answered(capture: Capture, device: Gb28181Device) -> None:
    """Play the platform's side of a=setup:active: connect to the port the device answered
    with (read from its open session, the port its SDP answer named)."""
    while True:
        pushes = [d.push for d in device.dialogs.values() if d.push.offer.transport ==
                  "tcp-active"]
        if pushes and pushes[0].local_port:
            break
        await asyncio.sleep(0.05)
    capture.active_port = pushes[0].local_port
    reader, writer = await asyncio.open_connection("127.0.0.1", capture.active_port)
    capture.active_connected_s = time.monotonic()
    await _read_rfc4571(reader, capture.active)
    capture.active_closed_s = time.monotonic()
    writer.close()


def _program_stream(packets: list[bytes], ssrc: int) -> bytes:
    """The PS as sent: the payloads of the stream's RTP packets, in sequence order."""
    parsed = [parse_header(p) for p in packets]
    assert parsed, "no RTP arrived"
    assert {p[4] for p in parsed} == {ssrc}, "RTP SSRC is not the one of the SDP's y= line"
    assert {p[0] for p in parsed} == {96}
    start = parsed[0][2]
    parsed.sort(key=lambda p: (p[2] - start) & 0xFFFF)
    return b"".join(p[5] for p in parsed)


def _ffprobe(path: Path) -> dict[str, object]:
    """ffprobe's view of the captured PS, every frame decoded (a decoding error fails)."""
    import subprocess

    out = subprocess.run(
        ["ffprobe", "-v", "error", "-count_frames", "-show_entries",
         "stream=codec_name,codec_type,width,height,nb_read_frames:format=format_name",
         "-of", "json", str(path)], capture_output=True, text=True, timeout=60, check=False)
    assert out.returncode == 0 and not out.stderr.strip(), out.stderr
    result: dict[str, object] = json.loads(out.stdout)
    return result


async def _run_platform(tmp_path: Path, camera: Camera, sip_transport: str) -> None:
    settings = Gb28181Settings(
        enabled=True, server_id=SERVER_ID, server_domain=DOMAIN, server_host="127.0.0.1",
        server_port=free_udp_port() if sip_transport == "udp" else free_tcp_port(),
        device_id=DEVICE_ID, password=PASSWORD, transport=sip_transport,
        keepalive_interval_s=60.0, register_expiry_s=3600, retry_interval_s=1.0)
    live = DroneRelay("1", VideoSource(camera.url))
    # a second drone whose camera is off: it is listed all the same
    offline = DroneRelay("7", VideoSource(udp_url(free_udp_port())))
    device = Gb28181Device(settings, {"1": live, "7": offline})
    channels = channel_ids(["1", "7"], settings.channel_id_prefix)
    capture = Capture()
    loop = asyncio.get_running_loop()
    udp_port, tcp_port = free_udp_port(), free_tcp_port()
    udp_sink, _ = await loop.create_datagram_endpoint(
        lambda: _UdpSink(capture), local_addr=("127.0.0.1", udp_port))
    tcp_server = await asyncio.start_server(
        lambda r, w: _tcp_sink(capture, r, w), "127.0.0.1", tcp_port)
    log_path = tmp_path / "sipp-messages.log"
    error_path = tmp_path / "sipp-errors.log"
    keys = {"device_id": DEVICE_ID, "password": PASSWORD, "server_id": SERVER_ID,
            "server_domain": DOMAIN, "channel_id": channels["1"],
            "udp_media_port": str(udp_port), "tcp_media_port": str(tcp_port),
            }
    args = ["sipp", "-sf", str(SCENARIO), "-i", "127.0.0.1", "-p", str(settings.server_port),
            "-t", "u1" if sip_transport == "udp" else "t1", "-nostdin", "-timeout", "60s",
            "-timeout_error", "-trace_msg", "-message_file", str(log_path), "-trace_err",
            "-error_file", str(error_path)]
    for key, value in keys.items():
        args += ["-key", key, value]
    try:
        async with asyncio.TaskGroup() as tasks:
            relay_task = tasks.create_task(live.run())
            await live.source.wait_open(15.0)
            sipp = await asyncio.create_subprocess_exec(
                *args, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE, cwd=tmp_path)
            await asyncio.sleep(0.5)  # sipp binds its port
            device_task = tasks.create_task(device.run())
            active_task = tasks.create_task(_connect_when_answered(capture, device))
            _, stderr = await asyncio.wait_for(sipp.communicate(), 90)
            stopped_s = time.monotonic()
            await asyncio.sleep(1.0)
            device_task.cancel()
            relay_task.cancel()
            active_task.cancel()
    finally:
        udp_sink.close()
        tcp_server.close()
    messages = log_path.read_text(errors="replace") if log_path.exists() else ""
    errors = error_path.read_text(errors="replace") if error_path.exists() else ""
    assert sipp.returncode == 0, (
        f"sipp (the platform) failed with {sipp.returncode}: {stderr.decode(errors='replace')}"
        f"\n{errors[-3000:]}\n{messages[-6000:]}")

    # registration: challenged, answered with digest credentials, refreshed
    assert messages.count("REGISTER sip:") >= 3
    assert 'Authorization: Digest username="' + DEVICE_ID in messages
    assert device.stats.registrations >= 2
    # keepalive and catalog (every drone a channel, the offline one too)
    assert "<CmdType>Keepalive</CmdType>" in messages
    assert device.stats.keepalives_answered >= 1
    assert "<SumNum>2</SumNum>" in messages
    for channel in channels.values():
        assert f"<DeviceID>{channel}</DeviceID>" in messages
    assert "<Status>OFF</Status>" in messages and "<Status>ON</Status>" in messages
    assert "<CmdType>DeviceInfo</CmdType>" in messages and "<Channel>2</Channel>" in messages

    # UDP: PS over RTP that ffprobe reads as H.264 at the camera's size
    udp_ps = tmp_path / "udp.ps"
    udp_ps.write_bytes(_program_stream([p for _, p in capture.udp], 100000001))
    # TCP (the platform listened, RFC 4571 frames)
    assert capture.tcp_connected_s is not None, "the device never connected for TCP media"
    tcp_ps = tmp_path / "tcp.ps"
    tcp_ps.write_bytes(_program_stream([p for _, p in capture.tcp], 100000002))
    # TCP (the platform connected to the port of our answer)
    assert capture.active_port is not None
    assert f"m=video {capture.active_port} TCP/RTP/AVP 96" in messages
    active_ps = tmp_path / "tcp-active.ps"
    active_ps.write_bytes(_program_stream([p for _, p in capture.active], 100000003))
    for path in (udp_ps, tcp_ps, active_ps):
        probed = _ffprobe(path)
        streams = probed["streams"]
        assert isinstance(streams, list)
        video = [s for s in streams if s.get("codec_type") == "video"]
        assert video and video[0]["codec_name"] == "h264", probed
        assert (video[0]["width"], video[0]["height"]) == (SMALL.width_px, SMALL.height_px)
        # 2.5 s at 15 frames/s, from the first keyframe on (a keyframe every 2 s or less)
        assert int(video[0]["nb_read_frames"]) >= 8, probed
        print(path.name, video[0]["nb_read_frames"], "frames decoded")
        assert "mpeg" in str(probed["format"]), probed  # type: ignore[index]

    # BYE stops the stream: no UDP once the TCP session had begun (after the first BYE), each
    # TCP connection closed by the device before the next session, nothing after sipp ended
    assert all(t < capture.tcp_connected_s for t, _ in capture.udp)
    assert capture.tcp_closed_s is not None and capture.active_connected_s is not None
    assert all(t <= capture.tcp_closed_s for t, _ in capture.tcp)
    assert capture.tcp_closed_s < capture.active_connected_s
    assert capture.active_closed_s is not None and capture.active_closed_s <= stopped_s
    assert not live.packet_consumers
    assert device.stats.byes == 3


@needs_tools
async def test_registers_lists_drones_and_pushes_ps_over_udp_and_tcp_sip_udp(
        tmp_path: Path, camera: Camera) -> None:
    await _run_platform(tmp_path, camera, "udp")


@needs_tools
async def test_the_same_over_sip_tcp(tmp_path: Path, camera: Camera) -> None:
    await _run_platform(tmp_path, camera, "tcp")


# -- the parts on their own -------------------------------------------------------------


def test_program_stream_map_names_h264_and_checks_out() -> None:
    psm = ps.program_stream_map()
    assert psm[:4] == b"\x00\x00\x01\xbc"
    assert psm[12] == ps.STREAM_TYPE_H264 and psm[13] == 0xE0
    assert ps.crc32_mpeg2(psm) == 0  # a CRC over data and its own CRC leaves zero


def test_a_large_keyframe_is_split_into_pes_packets_under_64k() -> None:
    frame = b"\x00\x00\x00\x01\x65" + bytes(200_000)
    pack = ps.ps_access_unit(frame, 90_000, keyframe=True)
    assert pack.count(b"\x00\x00\x01\xe0") >= 4
    assert pack.count(b"\x00\x00\x01\xbc") == 1 and pack.count(b"\x00\x00\x01\xbb") == 1


def test_digest_response_is_rfc2617() -> None:
    client = DigestClient("Mufasa", "Circle Of Life")
    client.accept(
        'Digest realm="testrealm@host.com", qop="auth", '
        'nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"')
    value = client.credentials("GET", "/dir/index.html")
    assert value is not None and 'opaque="5ccc069c403ebaf9f0171e9517f40e41"' in value
    assert "qop=auth" in value and "nc=00000001" in value
    _, fields = auth_params(value)

    def md5(text: str) -> str:
        return hashlib.md5(text.encode()).hexdigest()

    ha1 = md5("Mufasa:testrealm@host.com:Circle Of Life")
    ha2 = md5("GET:/dir/index.html")
    assert fields["response"] == md5(f"{ha1}:dcd98b7102dd2f0e8b11d0f600bfb0c093:00000001:"
                                     f"{fields['cnonce']}:auth:{ha2}")


def test_hostile_manscdp_and_sdp_are_refused_with_a_reason() -> None:
    with pytest.raises(manscdp.BadManscdp, match="DTD"):
        manscdp.parse(b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><Query>&a;</Query>')
    with pytest.raises(manscdp.BadManscdp, match="well-formed"):
        manscdp.parse(b"<Query><CmdType>Catalog</Query>")
    query = manscdp.parse('<?xml version="1.0" encoding="GB2312"?><Query><CmdType>Catalog'
                          '</CmdType><SN>5</SN><DeviceID>1</DeviceID><Name>无人机</Name>'
                          '</Query>'.encode("gb2312"))
    assert (query.cmd_type, query.sn) == ("Catalog", "5")
    with pytest.raises(sdp.BadSdp, match="PS"):
        sdp.parse_offer(b"v=0\r\nc=IN IP4 127.0.0.1\r\nm=video 5000 RTP/AVP 98\r\n"
                        b"a=rtpmap:98 H264/90000\r\ny=0100000001\r\n")
    with pytest.raises(sdp.BadSdp, match="Play"):
        sdp.parse_offer(b"v=0\r\ns=Playback\r\nc=IN IP4 127.0.0.1\r\nm=video 5000 RTP/AVP 96\r\n"
                        b"a=rtpmap:96 PS/90000\r\ny=1100000001\r\n")


def test_channel_ids_are_twenty_digits_and_stable() -> None:
    ids = channel_ids(["12", "alpha", "3"], "34020000001310")
    assert ids["3"] == "34020000001310000003" and ids["12"] == "34020000001310000012"
    assert ids["alpha"] == "34020000001310900001"
    assert all(len(v) == 20 and v.isdigit() for v in ids.values())


# -- a platform that misbehaves: a plain UDP socket playing it -------------------------


class _RawPlatform(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.inbox: asyncio.Queue[tuple[SipMessage, tuple[str, int]]] = asyncio.Queue()
        self.transport: asyncio.DatagramTransport | None = None

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.inbox.put_nowait((parse_sip(data), addr))

    async def next(self, method_or_code: str | int, timeout_s: float = 10.0
                   ) -> tuple[SipMessage, tuple[str, int]]:
        async with asyncio.timeout(timeout_s):
            while True:
                message, addr = await self.inbox.get()
                if method_or_code in (message.method, message.code):
                    return message, addr

    def send(self, data: bytes, addr: tuple[str, int]) -> None:
        assert self.transport is not None
        self.transport.sendto(data, addr)


def _platform_request(method: str, uri: str, call_id: str, cseq: int, body: bytes = b"",
                      content_type: str = "Application/MANSCDP+xml") -> bytes:
    head = (f"{method} {uri} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:1;branch=z9hG4bK{call_id}"
            f"{cseq}\r\nFrom: <sip:{SERVER_ID}@{DOMAIN}>;tag=p{cseq}\r\nTo: <{uri}>\r\n"
            f"Call-ID: {call_id}\r\nCSeq: {cseq} {method}\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n")
    return head.encode() + body


async def _start_raw(password: str) -> tuple[_RawPlatform, Gb28181Device, asyncio.Task[None],
                                             Gb28181Settings]:
    loop = asyncio.get_running_loop()
    transport, platform = await loop.create_datagram_endpoint(_RawPlatform,
                                                              local_addr=("127.0.0.1", 0))
    platform.transport = transport
    port = transport.get_extra_info("sockname")[1]
    settings = Gb28181Settings(enabled=True, server_id=SERVER_ID, server_domain=DOMAIN,
                               server_port=port, device_id=DEVICE_ID, password=password,
                               retry_interval_s=0.5)
    relays = {"1": DroneRelay("1", VideoSource(udp_url(free_udp_port())))}
    device = Gb28181Device(settings, relays)
    return platform, device, asyncio.create_task(device.run()), settings


async def test_hostile_requests_get_clear_answers_and_the_device_keeps_serving() -> None:
    platform, device, task, settings = await _start_raw("")
    try:
        register, addr = await platform.next("REGISTER")
        platform.send(bytes(response_to(register, 200, "OK", "t1")), addr)
        keepalive, _ = await platform.next("MESSAGE")
        platform.send(bytes(response_to(keepalive, 200, "OK", "t2")), addr)

        device_uri = f"sip:{DEVICE_ID}@{DOMAIN}"
        platform.send(b"\x00\xff not SIP at all\r\n\r\n", addr)
        platform.send(b"INVITE sip:x SIP/2.0\r\nTo: <sip:x>\r\n\r\n", addr)  # no Via/CSeq
        platform.send(_platform_request(
            "MESSAGE", device_uri, "dtd", 1,
            b'<?xml version="1.0"?><!DOCTYPE q [<!ENTITY a "aaaa">]><Query>&a;</Query>'), addr)
        refused, _ = await platform.next(400)
        assert "DTD" in refused.phrase
        channel = channel_ids(["1"], settings.channel_id_prefix)["1"]
        platform.send(_platform_request("INVITE", f"sip:{'9' * 20}@{DOMAIN}", "nochannel", 1,
                                        b"v=0\r\n", "APPLICATION/SDP"), addr)
        assert (await platform.next(404))[0].call_id == "nochannel"
        platform.send(_platform_request(
            "INVITE", f"sip:{channel}@{DOMAIN}", "badsdp", 1,
            b"v=0\r\ns=Play\r\nc=IN IP4 127.0.0.1\r\nm=video 5000 RTP/AVP 98\r\n"
            b"a=rtpmap:98 H264/90000\r\ny=0100000001\r\n", "APPLICATION/SDP"), addr)
        not_acceptable, _ = await platform.next(488)
        assert "PS" in not_acceptable.phrase
        platform.send(_platform_request("BYE", f"sip:{channel}@{DOMAIN}", "nodialog", 2),
                      addr)
        assert (await platform.next(481))[0].call_id == "nodialog"

        # and it still answers a Catalog query
        platform.send(_platform_request(
            "MESSAGE", device_uri, "catalog", 3,
            f'<?xml version="1.0" encoding="GB2312"?><Query><CmdType>Catalog</CmdType>'
            f"<SN>9</SN><DeviceID>{DEVICE_ID}</DeviceID></Query>".encode()), addr)
        await platform.next(200)
        catalog, _ = await platform.next("MESSAGE")
        platform.send(bytes(response_to(catalog, 200, "OK", "t3")), addr)
        assert b'encoding="GB2312"' in catalog.body
        assert len(bytes(catalog)) < 1300  # one datagram under the MTU (RFC 3261 §18.1.1)
        assert f"<DeviceID>{channel}</DeviceID>".encode() in catalog.body
        assert device.stats.catalogs_answered == 1 and not task.done()

        # stopping unregisters (Expires: 0) so the platform shows the device offline at once
        task.cancel()
        unregister, _ = await platform.next("REGISTER", 3.0)
        assert unregister.get("Expires") == "0"
        platform.send(bytes(response_to(unregister, 200, "OK", "t4")), addr)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        assert platform.transport is not None
        platform.transport.close()


async def test_a_refused_password_is_reported_and_retried() -> None:
    platform, device, task, _ = await _start_raw("wrong-password")
    try:
        challenge = 'Digest realm="3402000000", nonce="abc", algorithm=MD5'
        for _ in range(2):
            register, addr = await platform.next("REGISTER")
            response = response_to(register, 401, "Unauthorized", "t")
            response.add("WWW-Authenticate", challenge)
            platform.send(bytes(response), addr)
        await platform.next("REGISTER")  # it tries again after retry_interval_s
        assert "gb28181.password" in device.stats.last_error
        assert not device.registered.is_set() and not task.done()
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        assert platform.transport is not None
        platform.transport.close()


# -- configuration and wiring --------------------------------------------------------------


def _serve_config(tmp_path: Path, gb28181: str) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "jinghang.toml"
    path.write_text(
        f'database_url = "sqlite:///{tmp_path / "j.db"}"\n'
        f'recordings_dir = "{tmp_path / "rec"}"\n'
        "[[vehicles]]\nsystem_id = 3\nname = \"UAV-3\"\nbase_latitude_deg = 31.2\n"
        f'base_longitude_deg = 121.4\nvideo_source_url = "{udp_url(free_udp_port())}"\n'
        + gb28181, encoding="utf-8")
    return path


def test_the_device_runs_beside_the_server_only_when_enabled(tmp_path: Path) -> None:
    from jinghang.api.runtime import build_services
    from jinghang.api.serve_settings import load_serve_settings

    off = build_services(load_serve_settings(str(_serve_config(tmp_path / "a", ""))))
    try:
        assert "gb28181" not in off.runners
    finally:
        off.store.close()
    on = build_services(load_serve_settings(str(_serve_config(
        tmp_path / "b", '[gb28181]\nenabled = true\npassword = "secret"\n'))))
    try:
        assert "gb28181" in on.runners
    finally:
        on.store.close()


def test_a_bad_device_id_is_refused_naming_the_field(tmp_path: Path) -> None:
    from jinghang.api.serve_settings import load_serve_settings
    from jinghang.errors import ConfigError

    with pytest.raises(ConfigError) as caught:
        load_serve_settings(str(_serve_config(tmp_path, '[gb28181]\ndevice_id = "3402"\n')))
    assert caught.value.field == "gb28181.device_id"
    assert "20 decimal digits" in caught.value.message
