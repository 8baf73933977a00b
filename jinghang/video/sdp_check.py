"""Checks on a viewer's SDP offer before any of it reaches aiortc.

A WHEP offer comes from the network, so it is treated as hostile: bounded size and line
count, printable text only, well-formed ``x=`` lines, at most a few media sections and ICE
candidates, the credentials WebRTC needs, a video section that can receive and a codec the
gateway can send. Every refusal is a :class:`BadOffer` (HTTP 400) saying what is wrong.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from aiortc.sdp import SessionDescription

from jinghang.errors import VideoError

MAX_OFFER_BYTES = 32 * 1024
MAX_LINES = 1000
MAX_LINE_CHARS = 1024
MAX_MEDIA_SECTIONS = 4
MAX_CANDIDATES = 64
SENDABLE_CODECS = ("H264", "VP8")

_LINE = re.compile(r"^[a-z]=[\x20-\x7e]*$")


class BadOffer(VideoError):
    """The SDP offer is malformed, hostile or asks for nothing the gateway can send."""

    code = "video.bad_offer"
    status_code = 400
    title = "Bad SDP offer"


@dataclass(frozen=True, slots=True)
class OfferSummary:
    """What the checked offer asks for: the video codecs the viewer can receive."""

    video_codecs: tuple[str, ...]

    @property
    def takes_h264(self) -> bool:
        return "H264" in self.video_codecs


def check_offer(raw: bytes | str) -> tuple[str, OfferSummary]:
    """Return the offer as text and a summary, or raise :class:`BadOffer` with the reason."""
    if isinstance(raw, str):
        raw = raw.encode("utf-8", "replace")
    if not raw.strip():
        raise BadOffer("the SDP offer is empty", field="sdp")
    if len(raw) > MAX_OFFER_BYTES:
        raise BadOffer(f"the SDP offer is {len(raw)} bytes, over the limit", field="sdp",
                       value=len(raw), limit=MAX_OFFER_BYTES)
    try:
        text = raw.decode("ascii")
    except UnicodeDecodeError:
        raise BadOffer("the SDP offer is not ASCII text", field="sdp") from None
    lines = [line for line in text.replace("\r\n", "\n").split("\n") if line]
    if len(lines) > MAX_LINES:
        raise BadOffer("the SDP offer has too many lines", field="sdp", value=len(lines),
                       limit=MAX_LINES)
    if lines[0] != "v=0":
        raise BadOffer("the SDP offer must start with v=0", field="sdp.v", value=lines[0][:40])
    for number, line in enumerate(lines, start=1):
        if len(line) > MAX_LINE_CHARS:
            raise BadOffer(f"SDP line {number} is too long", field="sdp", value=len(line),
                           limit=MAX_LINE_CHARS)
        if not _LINE.match(line):
            raise BadOffer(f"SDP line {number} is not a type=value line of printable text",
                           field="sdp", value=line[:40])
    media = [line for line in lines if line.startswith("m=")]
    if len(media) > MAX_MEDIA_SECTIONS:
        raise BadOffer("the SDP offer has too many media sections", field="sdp.m",
                       value=len(media), limit=MAX_MEDIA_SECTIONS)
    candidates = sum(1 for line in lines if line.startswith("a=candidate:"))
    if candidates > MAX_CANDIDATES:
        raise BadOffer("the SDP offer has too many ICE candidates", field="sdp.a=candidate",
                       value=candidates, limit=MAX_CANDIDATES)
    try:
        description = SessionDescription.parse(text)
    except Exception as exc:  # aiortc's parser raises whatever the bad input provokes
        raise BadOffer(f"the SDP offer cannot be parsed: {type(exc).__name__}: {exc}",
                       field="sdp") from None
    videos = [m for m in description.media if m.kind == "video"]
    if not videos:
        raise BadOffer("the SDP offer has no video section", field="sdp.m")
    video = videos[0]
    if video.direction not in (None, "recvonly", "sendrecv"):
        raise BadOffer(f"the offer's video section is {video.direction}; it must receive",
                       field="sdp.a=direction", value=video.direction,
                       limit=["recvonly", "sendrecv"])
    for section in description.media:
        ice = section.ice
        if ice is None or not ice.usernameFragment or not ice.password:
            raise BadOffer("the SDP offer lacks ICE credentials (a=ice-ufrag, a=ice-pwd)",
                           field="sdp.a=ice-ufrag")
        if section.dtls is None or not section.dtls.fingerprints:
            raise BadOffer("the SDP offer lacks a DTLS fingerprint (a=fingerprint)",
                           field="sdp.a=fingerprint")
    codecs = tuple(
        dict.fromkeys(c.mimeType.split("/")[-1].upper() for c in video.rtp.codecs)
    )
    if not any(c in SENDABLE_CODECS for c in codecs):
        raise BadOffer("the offer's video section takes neither H264 nor VP8",
                       field="sdp.a=rtpmap", value=list(codecs), limit=list(SENDABLE_CODECS))
    return text, OfferSummary(codecs)
