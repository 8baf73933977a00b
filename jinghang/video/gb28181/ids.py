"""GB/T 28181 ids: 20 decimal digits (centre code 8, industry 2, type 3, network 1, serial 6).

Each drone is a channel of the device: the channel id is the configured prefix (14 digits:
by default the device id's first 10 digits, type 131 "camera" and its network digit) and a
6-digit serial, the drone's number when the drone id is a number (MAVLink system ids), or
the next free serial from 900001 up for other drone ids, in their sorted order.
"""

from __future__ import annotations

import re

from jinghang.errors import ConfigError

GB_ID = re.compile(r"^[0-9]{20}$")
CAMERA_TYPE = "131"
_FIRST_NAMED_SERIAL = 900_001


def default_channel_prefix(device_id: str) -> str:
    return device_id[:10] + CAMERA_TYPE + device_id[13]


def channel_ids(drone_ids: list[str], prefix: str) -> dict[str, str]:
    """drone id -> channel id, stable for numeric drone ids whatever else is configured."""
    if not re.fullmatch(r"[0-9]{14}", prefix):
        raise ConfigError("the channel id prefix must be 14 decimal digits",
                          field="gb28181.channel_prefix", value=prefix, limit="14 digits")
    out: dict[str, str] = {}
    taken: set[int] = set()
    for drone_id in drone_ids:
        if drone_id.isdigit() and 0 < int(drone_id) < _FIRST_NAMED_SERIAL:
            out[drone_id] = f"{prefix}{int(drone_id):06d}"
            taken.add(int(drone_id))
    serial = _FIRST_NAMED_SERIAL
    for drone_id in sorted(d for d in drone_ids if d not in out):
        while serial in taken:
            serial += 1
        if serial > 999_999:
            raise ConfigError("too many drones for 6-digit channel serials",
                              field="gb28181.channels", limit=999_999)
        out[drone_id] = f"{prefix}{serial:06d}"
        taken.add(serial)
    return out
