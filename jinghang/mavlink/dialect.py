"""pymavlink's generated ``ardupilotmega`` MAVLink 2 dialect, the one both sides speak."""

from __future__ import annotations

from typing import Any

from pymavlink.dialects.v20 import ardupilotmega as mavlink

#: pymavlink messages are dynamically typed; this alias names them in signatures.
MAVLinkMessage = Any

__all__ = ["MAVLinkMessage", "mavlink"]
