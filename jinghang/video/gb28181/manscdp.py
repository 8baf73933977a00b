"""MANSCDP, the XML that GB/T 28181 carries in SIP MESSAGE bodies (``Application/MANSCDP+xml``).

Written in GB2312 as platforms expect (a character outside GB2312 as an XML character
reference); read in whatever encoding the declaration names (GB2312, GBK and GB18030 are
read as GB18030, their superset). Documents with a DTD are refused, so no entity tricks.
"""

from __future__ import annotations

import re
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from xml.sax.saxutils import escape

CONTENT_TYPE = "Application/MANSCDP+xml"
MAX_BODY_BYTES = 64 * 1024
_DECLARATION = re.compile(rb"^\s*<\?xml[^>]*\?>", re.IGNORECASE)
_ENCODING = re.compile(rb"encoding\s*=\s*[\"']([A-Za-z0-9_-]+)[\"']", re.IGNORECASE)
_GB_FAMILY = {"gb2312", "gbk", "gb18030", "cp936"}


class BadManscdp(ValueError):
    """A MESSAGE body that is not MANSCDP we can read (the reply is 400 with this text)."""


@dataclass(frozen=True, slots=True)
class Query:
    """What the platform asks: ``Query`` / ``Control`` / ... and its CmdType, SN, DeviceID."""

    kind: str
    cmd_type: str
    sn: str
    device_id: str


@dataclass(frozen=True, slots=True)
class Channel:
    """One catalog item: a drone's camera."""

    channel_id: str
    name: str
    online: bool
    longitude_deg: float | None = None
    latitude_deg: float | None = None


def parse(body: bytes) -> Query:
    if len(body) > MAX_BODY_BYTES:
        raise BadManscdp(f"MANSCDP body over {MAX_BODY_BYTES} bytes")
    if b"<!DOCTYPE" in body.upper() or b"<!ENTITY" in body.upper():
        raise BadManscdp("MANSCDP bodies may not carry a DTD")
    declaration = _DECLARATION.match(body)
    encoding = "utf-8"
    if declaration is not None:
        named = _ENCODING.search(declaration.group(0))
        if named is not None:
            encoding = named.group(1).decode("ascii").lower()
        body = body[declaration.end():]
    if encoding in _GB_FAMILY:
        encoding = "gb18030"
    try:
        text = body.decode(encoding, errors="replace")
    except LookupError:
        raise BadManscdp(f"unknown XML encoding {encoding}") from None
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise BadManscdp(f"MANSCDP body is not well-formed XML: {exc}") from None

    def child(name: str) -> str:
        element = root.find(name)
        return (element.text or "").strip() if element is not None else ""

    cmd_type = child("CmdType")
    if not cmd_type:
        raise BadManscdp("MANSCDP body has no CmdType")
    return Query(root.tag, cmd_type, child("SN"), child("DeviceID"))


def _document(root: str, fields: list[tuple[str, str]], extra: str = "") -> bytes:
    inner = "".join(f"<{name}>{escape(value)}</{name}>\r\n" for name, value in fields)
    text = (f'<?xml version="1.0" encoding="GB2312"?>\r\n<{root}>\r\n{inner}{extra}'
            f"</{root}>\r\n")
    return text.encode("gb2312", errors="xmlcharrefreplace")


def keepalive(sn: int, device_id: str) -> bytes:
    return _document("Notify", [("CmdType", "Keepalive"), ("SN", str(sn)),
                                ("DeviceID", device_id), ("Status", "OK")])


def catalog(sn: str, device_id: str, civil_code: str, total: int, channels: list[Channel],
            manufacturer: str, model: str) -> bytes:
    """One Catalog response message: ``total`` channels in all, ``channels`` in this one."""
    items = []
    for channel in channels:
        fields = [
            ("DeviceID", channel.channel_id), ("Name", channel.name),
            ("Manufacturer", manufacturer), ("Model", model), ("Owner", "Owner"),
            ("CivilCode", civil_code), ("Address", "UAV"), ("Parental", "0"),
            ("ParentID", device_id), ("SafetyWay", "0"), ("RegisterWay", "1"),
            ("Secrecy", "0"), ("Status", "ON" if channel.online else "OFF"),
        ]
        if channel.longitude_deg is not None and channel.latitude_deg is not None:
            fields += [("Longitude", f"{channel.longitude_deg:.7f}"),
                       ("Latitude", f"{channel.latitude_deg:.7f}")]
        items.append("<Item>\r\n" + "".join(
            f"<{name}>{escape(value)}</{name}>\r\n" for name, value in fields) + "</Item>\r\n")
    device_list = f'<DeviceList Num="{len(channels)}">\r\n' + "".join(items) + "</DeviceList>\r\n"
    return _document("Response", [("CmdType", "Catalog"), ("SN", sn), ("DeviceID", device_id),
                                  ("SumNum", str(total))], device_list)


def device_info(sn: str, device_id: str, name: str, manufacturer: str, model: str,
                firmware: str, channel_count: int) -> bytes:
    return _document("Response", [
        ("CmdType", "DeviceInfo"), ("SN", sn), ("DeviceID", device_id), ("DeviceName", name),
        ("Result", "OK"), ("Manufacturer", manufacturer), ("Model", model),
        ("Firmware", firmware), ("Channel", str(channel_count)),
    ])


def device_status(sn: str, device_id: str, online: bool) -> bytes:
    return _document("Response", [
        ("CmdType", "DeviceStatus"), ("SN", sn), ("DeviceID", device_id), ("Result", "OK"),
        ("Online", "ONLINE" if online else "OFFLINE"), ("Status", "OK" if online else "ERROR"),
        ("Encode", "ON"), ("Record", "OFF"),
        ("DeviceTime", time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime())),
    ])
