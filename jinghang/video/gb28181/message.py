"""SIP messages (RFC 3261 §7), parsed and written minimally: the start line, the headers
in order (compact names expanded) and the body, with the few header fields the device
reads (Via branch, CSeq, tags, URIs' user part, digest parameters).

Not a general SIP parser on purpose: GB/T 28181 addresses are ``sip:<20 digits>@<10
digits>``, and a domain of digits is not an RFC 3261 hostname, so strict parsers (such as
``sipmessage``, tried first) refuse every platform's requests.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

COMPACT = {"i": "Call-ID", "m": "Contact", "l": "Content-Length", "c": "Content-Type",
           "f": "From", "t": "To", "v": "Via", "k": "Supported", "s": "Subject"}
_PARAM = re.compile(r";\s*([A-Za-z0-9._!%*+`'~-]+)(?:=(\"[^\"]*\"|[^;,\s]*))?")
_AUTH_PARAM = re.compile(r"([A-Za-z0-9_-]+)\s*=\s*(\"(?:[^\"\\]|\\.)*\"|[^,\s]*)")
_SIP_USER = re.compile(r"sips?:([^@;>\s]+)@")


class BadMessage(ValueError):
    """Bytes that are not a SIP message the device can answer."""


@dataclass
class SipMessage:
    """A request (``method``, ``uri``) or a response (``code``, ``phrase``)."""

    method: str = ""
    uri: str = ""
    code: int = 0
    phrase: str = ""
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""

    @property
    def is_request(self) -> bool:
        return bool(self.method)

    # -- headers ------------------------------------------------------------------------

    def get(self, name: str) -> str | None:
        wanted = name.lower()
        for key, value in self.headers:
            if key.lower() == wanted:
                return value
        return None

    def get_all(self, name: str) -> list[str]:
        wanted = name.lower()
        return [value for key, value in self.headers if key.lower() == wanted]

    def __getitem__(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            raise BadMessage(f"the message has no {name} header")
        return value

    def set(self, name: str, value: str) -> None:
        self.headers = [(k, v) for k, v in self.headers if k.lower() != name.lower()]
        self.headers.append((name, value))

    def add(self, name: str, value: str) -> None:
        self.headers.append((name, value))

    @property
    def call_id(self) -> str:
        return self["Call-ID"]

    @property
    def cseq(self) -> tuple[int, str]:
        number, _, method = self["CSeq"].partition(" ")
        if not number.strip().isdigit() or not method.strip():
            raise BadMessage("the CSeq header is not '<number> <method>'")
        return int(number), method.strip().upper()

    @property
    def branch(self) -> str:
        return param(self["Via"], "branch") or ""

    @property
    def expires(self) -> int | None:
        value = self.get("Expires")
        return int(value) if value is not None and value.strip().isdigit() else None

    def __bytes__(self) -> bytes:
        start = (f"{self.method} {self.uri} SIP/2.0" if self.method
                 else f"SIP/2.0 {self.code} {self.phrase}")
        headers = [(k, v) for k, v in self.headers if k.lower() != "content-length"]
        headers.append(("Content-Length", str(len(self.body))))
        text = start + "\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers) + "\r\n"
        return text.encode("utf-8") + self.body


def param(header_value: str, name: str) -> str | None:
    """A ``;name=value`` parameter of a header (outside its ``<uri>``), unquoted."""
    outside = header_value.rsplit(">", 1)[-1] if "<" in header_value else header_value
    for key, value in _PARAM.findall(outside):
        if key.lower() == name.lower():
            return value.strip('"') if value else ""
    return None


def uri_of(header_value: str) -> str:
    """The URI of a name-addr (``"x" <sip:a@b>;tag=1``) or addr-spec header value."""
    if "<" in header_value and ">" in header_value:
        return header_value.split("<", 1)[1].split(">", 1)[0].strip()
    return header_value.split(";", 1)[0].strip()


def user_of(uri: str) -> str:
    match = _SIP_USER.search(uri)
    return match.group(1) if match else ""


def auth_params(value: str) -> tuple[str, dict[str, str]]:
    """(scheme, parameters) of a WWW-Authenticate / Authorization value."""
    scheme, _, rest = value.strip().partition(" ")
    params = {}
    for key, raw in _AUTH_PARAM.findall(rest):
        if raw.startswith('"'):
            raw = raw[1:-1].replace('\\"', '"').replace("\\\\", "\\")
        params[key.lower()] = raw
    return scheme, params


def parse(data: bytes) -> SipMessage:
    """One message; :class:`BadMessage` when it is not one or lacks Via, CSeq or Call-ID."""
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        raise BadMessage("no blank line after the headers")
    try:
        lines = head.decode("utf-8").split("\r\n")
    except UnicodeDecodeError:
        try:
            lines = head.decode("gb18030").split("\r\n")
        except UnicodeDecodeError:
            raise BadMessage("the headers are neither UTF-8 nor GB18030") from None
    parts = lines[0].split(" ", 2)
    message = SipMessage()
    if len(parts) == 3 and parts[2] == "SIP/2.0" and parts[0].isalpha():
        message.method, message.uri = parts[0].upper(), parts[1]
    elif len(parts) >= 2 and parts[0] == "SIP/2.0" and parts[1].isdigit():
        message.code, message.phrase = int(parts[1]), parts[2] if len(parts) == 3 else ""
    else:
        raise BadMessage("the first line is neither a SIP request nor a SIP response")
    for line in lines[1:]:
        if line[:1] in (" ", "\t") and message.headers:  # folded continuation
            key, value = message.headers[-1]
            message.headers[-1] = (key, value + " " + line.strip())
            continue
        key, colon, value = line.partition(":")
        if not colon:
            raise BadMessage(f"a header line has no colon: {line[:40]!r}")
        key = key.strip()
        message.headers.append((COMPACT.get(key.lower(), key), value.strip()))
    length = message.get("Content-Length")
    if length is not None and length.strip().isdigit():
        body = body[:int(length)]
    message.body = body
    for needed in ("Via", "CSeq", "Call-ID"):
        message[needed]
    message.cseq  # noqa: B018
    return message
