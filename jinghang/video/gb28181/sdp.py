"""The SDP of a GB/T 28181 INVITE (where the platform wants the PS stream, over what) and
the device's answer. Besides RFC 4566, GB/T 28181 adds ``y=`` (the SSRC, 10 digits) and
``f=`` (media parameters); TCP transport follows RFC 4145/4571 (``TCP/RTP/AVP``,
``a=setup:active`` when the platform connects to us, ``passive`` when we connect to it).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Literal

MAX_SDP_BYTES = 8 * 1024
Transport = Literal["udp", "tcp-active", "tcp-passive"]


class BadSdp(ValueError):
    """An INVITE's SDP that cannot be served (the reply is 488 with this text)."""


@dataclass(frozen=True, slots=True)
class MediaOffer:
    """What the platform asked for in its INVITE."""

    session_name: str
    host: str
    port: int
    #: ``udp``; ``tcp-passive``: the platform listens and we connect (its ``a=setup:passive``);
    #: ``tcp-active``: the platform connects to our port (its ``a=setup:active``).
    transport: Transport
    payload_type: int
    ssrc: int


def parse_offer(body: bytes) -> MediaOffer:
    if not body:
        raise BadSdp("the INVITE has no SDP")
    if len(body) > MAX_SDP_BYTES:
        raise BadSdp(f"the SDP is over {MAX_SDP_BYTES} bytes")
    text = body.decode("utf-8", errors="replace")
    session_name = ""
    host = ""
    media: list[str] | None = None
    setup = ""
    rtpmaps: dict[int, str] = {}
    ssrc: int | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if len(line) < 2 or line[1] != "=":
            continue
        kind, value = line[0], line[2:].strip()
        if kind == "s":
            session_name = value
        elif kind == "c":
            parts = value.split()
            if len(parts) == 3 and parts[:2] == ["IN", "IP4"]:
                host = parts[2].split("/")[0]
        elif kind == "m" and value.startswith("video ") and media is None:
            media = value.split()
        elif kind == "a" and value.startswith("setup:"):
            setup = value[6:].strip().lower()
        elif kind == "a" and value.startswith("rtpmap:"):
            match = re.match(r"rtpmap:(\d+)\s+([A-Za-z0-9._-]+)/", value)
            if match:
                rtpmaps[int(match.group(1))] = match.group(2).upper()
        elif kind == "y":
            if not re.fullmatch(r"\d{1,10}", value) or int(value) > 0xFFFFFFFF:
                raise BadSdp("y= must be the SSRC in at most 10 decimal digits")
            ssrc = int(value)
    if session_name not in ("Play", ""):
        raise BadSdp(f"only live Play sessions are served, not {session_name}")
    if media is None or len(media) < 4:
        raise BadSdp("the SDP has no m=video line")
    try:
        port = int(media[1])
        ipaddress.IPv4Address(host)
    except ValueError:
        raise BadSdp("the SDP needs an IPv4 c= address and a numeric m= port") from None
    if not 0 < port < 65536:
        raise BadSdp("the m= port is out of range")
    proto = media[2].upper()
    if proto == "RTP/AVP":
        transport: Transport = "udp"
    elif proto == "TCP/RTP/AVP":
        if setup == "active":
            transport = "tcp-active"
        elif setup in ("passive", ""):
            transport = "tcp-passive"
        else:
            raise BadSdp(f"a=setup:{setup} is not served (active or passive)")
    else:
        raise BadSdp(f"media transport {media[2]} is not served (RTP/AVP or TCP/RTP/AVP)")
    formats = [int(f) for f in media[3:] if f.isdigit()]
    ps_types = [pt for pt in formats if rtpmaps.get(pt) == "PS"]
    if not ps_types:
        raise BadSdp("the platform does not offer PS/90000")
    if ssrc is None:
        raise BadSdp("the SDP has no y= SSRC line")
    return MediaOffer(session_name or "Play", host, port, transport, ps_types[0], ssrc)


def answer(offer: MediaOffer, origin_id: str, host: str, port: int) -> bytes:
    """Our SDP: we send PS from ``host:port`` (for TCP: where we listen, or connect from)."""
    proto = "RTP/AVP" if offer.transport == "udp" else "TCP/RTP/AVP"
    lines = [
        "v=0",
        f"o={origin_id} 0 0 IN IP4 {host}",
        f"s={offer.session_name}",
        f"c=IN IP4 {host}",
        "t=0 0",
        f"m=video {port} {proto} {offer.payload_type}",
        "a=sendonly",
        f"a=rtpmap:{offer.payload_type} PS/90000",
    ]
    if offer.transport == "tcp-active":
        lines += ["a=setup:passive", "a=connection:new"]
    elif offer.transport == "tcp-passive":
        lines += ["a=setup:active", "a=connection:new"]
    lines += [f"y={offer.ssrc:010d}", "f="]
    return ("\r\n".join(lines) + "\r\n").encode("ascii")
