"""A video source's address as configured, and the same address made safe to show.

A drone's video source is one string in the fleet register (``video_source_url``), so what a
camera needs beside its address travels in it:

- credentials as URL user info, percent-encoded (``rtsp://admin:p%40ss@10.0.0.21/main``), or
  given apart as ``username``/``password`` (they then replace any in the URL);
- the RTSP transport in the fragment, as go2rtc and others write it
  (``rtsp://10.0.0.21/main#transport=udp``; TCP, interleaved in the RTSP connection, is the
  default: it passes NAT and firewalls and loses nothing). The fragment is never sent.

:class:`SourceAddress` holds what FFmpeg opens (``open_url``, with the credentials) and what
logs, status pages and error messages show (``shown_url``: user info as ``***``, secret
query parameters too); ``redact`` cleans any text (FFmpeg puts the address it failed to open
in its messages) of the credentials.
"""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass
from typing import Any

from jinghang.errors import VideoError

SUPPORTED_SCHEMES = ("rtsp://", "rtsps://", "udp://", "rtmp://", "rtmps://", "srt://", "file:")
#: What a camera address given over the API may be: a network camera. A file (``file:`` or a
#: bare path) stands in for a camera only in the host's own settings, never from a request,
#: or anyone with the admin role could point the gateway at any file on the server.
NETWORK_SCHEMES = ("rtsp://", "rtsps://", "udp://", "rtmp://", "rtmps://", "srt://")
MAX_URL_CHARS = 2048
TRANSPORTS = ("tcp", "udp")
OPTIONS = ("transport",)
HIDDEN = "***"
_CREDENTIAL_SCHEMES = ("rtsp", "rtsps", "rtmp", "rtmps")
_SECRET_QUERY = re.compile(
    r"(?i)^(password|passwd|pwd|pass|passphrase|token|secret|auth|sign|key)$")


@dataclass(frozen=True, slots=True)
class SourceAddress:
    """A parsed source address: ``open_url`` for FFmpeg, ``shown_url`` for people."""

    open_url: str
    shown_url: str
    scheme: str
    transport: str | None
    has_credentials: bool
    #: the address as configured and as opened (shown as ``shown_url`` where they appear)
    forms: tuple[str, ...] = ()
    #: the user info and password in every spelling (shown as ``***``)
    secrets: tuple[str, ...] = ()

    @property
    def is_rtsp(self) -> bool:
        return self.scheme in ("rtsp", "rtsps")

    def redact(self, text: str) -> str:
        """``text`` with the address shown safely and no credential left in it."""
        for form in self.forms:
            text = text.replace(form, self.shown_url)
        for secret in self.secrets:
            text = text.replace(secret, HIDDEN)
        return text


def _refuse(message: str, url: str, **details: Any) -> VideoError:
    return VideoError(message, field="source_url", value=url, **details)


def _shown(parts: urllib.parse.SplitResult) -> str:
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = host + (f":{parts.port}" if parts.port is not None else "")
    if parts.username is not None or parts.password is not None:
        netloc = f"{HIDDEN}@{netloc}"
    query = "&".join(
        f"{name}={HIDDEN if _SECRET_QUERY.match(name) else value}" if sep else name
        for name, sep, value in (item.partition("=") for item in parts.query.split("&") if item)
    )
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def _secret_query_values(query: str) -> list[str]:
    return [value for name, _, value in (item.partition("=") for item in query.split("&"))
            if _SECRET_QUERY.match(name) and value]


def parse_source_address(
    url: str,
    *,
    transport: str | None = None,
    username: str | None = None,
    password: str | None = None,
) -> SourceAddress:
    """Check and split a configured address; refuse what PyAV should not be pointed at
    (``field`` names the setting, ``limit`` what is allowed; credentials never in the error)."""
    if not url or len(url) > MAX_URL_CHARS:
        raise VideoError(f"video source address is empty or longer than {MAX_URL_CHARS} "
                         "characters", field="source_url", value=len(url), limit=MAX_URL_CHARS)
    if "://" not in url:  # a file path (a file stands in for a camera)
        return SourceAddress(url, url, "file", None, False)
    scheme = url.split("://", 1)[0].lower()
    if not url.lower().startswith(SUPPORTED_SCHEMES):
        raise _refuse(f"video source scheme not supported: {scheme}", scheme,
                      limit=list(SUPPORTED_SCHEMES))
    try:
        parts = urllib.parse.urlsplit(url)
        parts.port  # noqa: B018 (a port that is not a number raises here)
    except ValueError as exc:
        raise _refuse(f"video source address cannot be parsed: {exc}",
                      url.split("@")[-1][:80]) from None
    shown = _shown(parts)
    options = urllib.parse.parse_qs(parts.fragment, keep_blank_values=True)
    unknown = sorted(set(options) - set(OPTIONS))
    if parts.fragment and (unknown or not options):
        named = ", ".join(unknown) or parts.fragment
        raise _refuse(f"unknown video source option after '#': {named}", shown,
                      limit=list(OPTIONS))
    given = options.get("transport") or [""]
    chosen = transport if transport is not None else (given[-1] or None)
    if chosen is not None:
        chosen = chosen.lower()
        if chosen not in TRANSPORTS:
            raise VideoError("video source transport must be tcp or udp", field="transport",
                             value=chosen, limit=list(TRANSPORTS))
        if scheme not in ("rtsp", "rtsps"):
            raise VideoError("a transport can only be chosen for an RTSP source",
                             field="transport", value=shown, limit=["rtsp://", "rtsps://"])
    user = username if username is not None else parts.username
    secret = password if password is not None else parts.password
    if (username is not None or password is not None) and scheme not in _CREDENTIAL_SCHEMES:
        raise VideoError("credentials can only be given for an RTSP or RTMP source",
                         field="username", value=shown,
                         limit=[f"{s}://" for s in _CREDENTIAL_SCHEMES])
    host = parts.netloc.rpartition("@")[2]
    userinfo = ""
    if user is not None or secret is not None:
        name = user or ""
        userinfo = urllib.parse.quote(urllib.parse.unquote(name) if username is None else name,
                                      safe="")
        if secret is not None:
            plain = urllib.parse.unquote(secret) if password is None else secret
            userinfo += ":" + urllib.parse.quote(plain, safe="")
        userinfo += "@"
    open_url = urllib.parse.urlunsplit((parts.scheme, userinfo + host, parts.path,
                                        parts.query, ""))
    shown = _shown(urllib.parse.urlsplit(open_url))
    forms = sorted({url, open_url} - {shown}, key=len, reverse=True)
    secrets = {userinfo.rstrip("@"), parts.netloc.rpartition("@")[0]}
    for raw in (secret, parts.password):
        if raw:
            secrets |= {raw, urllib.parse.unquote(raw), urllib.parse.quote(raw, safe="")}
    secrets |= set(_secret_query_values(parts.query))
    ordered = sorted((s for s in secrets if s and s not in shown), key=len, reverse=True)
    return SourceAddress(open_url, shown, scheme, chosen, bool(userinfo), tuple(forms),
                         tuple(ordered))


def check_source_url(url: str) -> str:
    """Refuse an address PyAV should not be pointed at; the address itself when it is fine."""
    parse_source_address(url)
    return url


class NotANetworkCamera(VideoError):
    status_code = 422
    title = "Not a network camera address"
    code = "video.not_network_camera"


def check_network_camera(url: str, *, field: str = "video_source_url") -> None:
    """Refuse a camera address that is not a network camera (see :data:`NETWORK_SCHEMES`);
    empty means no camera and is allowed."""
    if url and not url.lower().startswith(NETWORK_SCHEMES):
        raise NotANetworkCamera(
            "a camera address given over the API must be a network camera "
            f"({', '.join(s.rstrip('/:') for s in NETWORK_SCHEMES)})",
            field=field, value=url.split("@")[-1][:80], limit=list(NETWORK_SCHEMES))


def redact_url(url: str) -> str:
    """The address as it may be shown (credentials and secret parameters as ``***``); an
    address that cannot be parsed shows as its scheme only."""
    if not url or ("@" not in url and "?" not in url):
        return url  # (the fleet view calls this for every drone: the common case is free)
    try:
        return parse_source_address(url).shown_url
    except VideoError:
        return url.split("://", 1)[0] + "://" + HIDDEN if "://" in url else HIDDEN
