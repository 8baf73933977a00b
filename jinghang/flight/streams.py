"""Asking a vehicle for its telemetry: SET_MESSAGE_INTERVAL per message, falling back to the
older REQUEST_DATA_STREAM where a vehicle refuses or ignores it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jinghang.flight.commands import CommandSender
from jinghang.flight.errors import CommandRejected, CommandTimeout
from jinghang.mavlink.channel import mavlink
from jinghang.mavlink.constants import MAV_CMD_SET_MESSAGE_INTERVAL

#: Message name -> rate in Hz the platform wants.
DEFAULT_RATES_HZ: dict[str, float] = {
    "GLOBAL_POSITION_INT": 5.0,
    "ATTITUDE": 5.0,
    "VFR_HUD": 2.0,
    "SYS_STATUS": 1.0,
    "GPS_RAW_INT": 1.0,
    "BATTERY_STATUS": 1.0,
    "EKF_STATUS_REPORT": 1.0,
    "MISSION_CURRENT": 1.0,
    "HOME_POSITION": 0.5,
}


def _message_id(name: str) -> int:
    return int(getattr(mavlink, f"MAVLINK_MSG_ID_{name}"))


async def request_streams(
    commands: CommandSender,
    send: Callable[[Any], None],
    rates_hz: dict[str, float] | None = None,
    *,
    fallback_rate_hz: int = 4,
) -> str:
    """Ask for each stream; return ``"message_interval"`` or ``"data_stream"`` (the fallback)."""
    rates = DEFAULT_RATES_HZ if rates_hz is None else rates_hz
    try:
        for name, rate_hz in rates.items():
            await commands.long(
                MAV_CMD_SET_MESSAGE_INTERVAL,
                _message_id(name),
                1e6 / rate_hz if rate_hz > 0 else -1,
                timeout_s=1.0,
                retries=1,
            )
        return "message_interval"
    except (CommandRejected, CommandTimeout):
        send(
            mavlink.MAVLink_request_data_stream_message(
                commands.target_system,
                commands.target_component,
                mavlink.MAV_DATA_STREAM_ALL,
                fallback_rate_hz,
                1,
            )
        )
        return "data_stream"
