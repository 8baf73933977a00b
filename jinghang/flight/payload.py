"""Payload and flight-control commands as MAVLink: loudspeaker, spotlight, release, gimbal,
camera zoom and source, altitude, orbit. :class:`PayloadCommands` builds and sends them for one
vehicle; :class:`jinghang.flight.vehicle.Vehicle` wraps each in its command record (actor,
acknowledgement, the ``command`` topic).

Loudspeaker convention (there is no standard MAVLink loudspeaker message; the payload, e.g. an
ArduPilot Lua script or a companion computer, implements this):

* a prerecorded clip: ``COMMAND_LONG`` ``MAV_CMD_USER_1`` (31010), param1 = clip id
  (1..65535), param2 = 0;
* text to speech: first a ``TUNNEL`` message to the vehicle with ``payload_type``
  :data:`TTS_TUNNEL_TYPE` (31010) whose payload is one byte of text id (1..255) followed by
  the UTF-8 text (at most :data:`TTS_TEXT_MAX_BYTES` bytes), then ``MAV_CMD_USER_1`` with
  param1 = 0, param2 = that text id. The payload answers ACCEPTED when it speaks, DENIED when it
  holds no text with that id, UNSUPPORTED when it has no speech.

Spotlight: ``MAV_CMD_DO_SET_RELAY`` on the configured relay instance (the ``spotlight_relay``
setting), 1 on, 0 off. Release: ``MAV_CMD_DO_GRIPPER`` instance 1, ``GRIPPER_ACTION_RELEASE``.
Gimbal: ``MAV_CMD_DO_GIMBAL_MANAGER_PITCHYAW``, falling back to ``MAV_CMD_DO_MOUNT_CONTROL``
(MAVLink targeting) where the first is UNSUPPORTED. Zoom: ``MAV_CMD_SET_CAMERA_ZOOM``
``ZOOM_TYPE_RANGE`` in percent. Camera source: ``MAV_CMD_SET_CAMERA_SOURCE`` (1 RGB, 2 IR).
Altitude: ``MAV_CMD_DO_REPOSITION`` (``COMMAND_INT``) to the current point at the new height
above home, switching to GUIDED. Orbit: ``MAV_CMD_DO_ORBIT`` (``COMMAND_INT``); a firmware that
answers UNSUPPORTED (ArduCopter before DO_ORBIT support) refuses it, and that refusal is what
the pilot sees.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from jinghang.errors import FlightError
from jinghang.flight.commands import CommandSender
from jinghang.flight.errors import CommandRejected
from jinghang.mavlink.channel import mavlink
from jinghang.mavlink.constants import (
    GRIPPER_ACTION_RELEASE,
    MAV_CMD_DO_GIMBAL_MANAGER_PITCHYAW,
    MAV_CMD_DO_GRIPPER,
    MAV_CMD_DO_MOUNT_CONTROL,
    MAV_CMD_DO_ORBIT,
    MAV_CMD_DO_REPOSITION,
    MAV_CMD_DO_SET_RELAY,
    MAV_CMD_SET_CAMERA_SOURCE,
    MAV_CMD_SET_CAMERA_ZOOM,
    MAV_CMD_USER_1,
    MAV_DO_REPOSITION_FLAGS_CHANGE_MODE,
    MAV_MOUNT_MODE_MAVLINK_TARGETING,
    TTS_TUNNEL_TYPE,
    ZOOM_TYPE_RANGE,
)

TTS_TEXT_MAX_BYTES = 127
CLIP_ID_MAX = 65535
#: camera sources by name (MAVLink CAMERA_SOURCE)
CAMERA_SOURCES = {"rgb": 1, "ir": 2}
GIMBAL_PITCH_RANGE_DEG = (-90.0, 30.0)
GIMBAL_YAW_RANGE_DEG = (-180.0, 180.0)
ORBIT_RADIUS_RANGE_M = (5.0, 1000.0)
RELAY_MAX = 15


class PayloadInputError(FlightError):
    """A payload command's argument the payload cannot take (text too long, unknown source)."""

    status_code = 422
    title = "Payload input refused"


class NoPosition(FlightError):
    """A command that needs the vehicle's position before it has one."""

    status_code = 409
    title = "No position yet"


def tts_bytes(text: str) -> bytes:
    """The text as sent to the payload, or a PayloadInputError naming the bound."""
    data = text.strip().encode("utf-8")
    if not data or len(data) > TTS_TEXT_MAX_BYTES:
        raise PayloadInputError(
            f"text must be 1 to {TTS_TEXT_MAX_BYTES} bytes in UTF-8, got {len(data)}",
            field="text",
            value=len(data),
            limit=TTS_TEXT_MAX_BYTES,
            code="payload.text_length",
        )
    return data


class PayloadCommands:
    """The MAVLink side of each payload command for one vehicle (no recording here)."""

    def __init__(
        self,
        commands: CommandSender,
        send: Callable[[Any], None],
        *,
        system_id: int,
        component_id: int,
    ) -> None:
        self._commands = commands
        self._send = send
        self._system_id = system_id
        self._component_id = component_id
        self._text_id = 0

    async def play_clip(self, clip_id: int) -> None:
        await self._commands.long(MAV_CMD_USER_1, clip_id, 0)

    async def speak(self, text: str) -> None:
        data = tts_bytes(text)
        self._text_id = self._text_id % 255 + 1
        body = bytes([self._text_id]) + data
        self._send(
            mavlink.MAVLink_tunnel_message(
                self._system_id,
                self._component_id,
                TTS_TUNNEL_TYPE,
                len(body),
                list(body) + [0] * (128 - len(body)),
            )
        )
        await self._commands.long(MAV_CMD_USER_1, 0, self._text_id)

    async def spotlight(self, on: bool, relay: int) -> None:
        await self._commands.long(MAV_CMD_DO_SET_RELAY, relay, 1 if on else 0)

    async def release(self) -> None:
        await self._commands.long(MAV_CMD_DO_GRIPPER, 1, GRIPPER_ACTION_RELEASE)

    async def gimbal(self, pitch_deg: float, yaw_deg: float) -> str:
        """Point the gimbal; the command the vehicle took."""
        try:
            await self._commands.long(
                MAV_CMD_DO_GIMBAL_MANAGER_PITCHYAW, pitch_deg, yaw_deg, math.nan, math.nan, 0, 0, 0
            )
            return "DO_GIMBAL_MANAGER_PITCHYAW"
        except CommandRejected as error:
            if error.result_name != "UNSUPPORTED":
                raise
        await self._commands.long(
            MAV_CMD_DO_MOUNT_CONTROL, pitch_deg, 0, yaw_deg, 0, 0, 0,
            MAV_MOUNT_MODE_MAVLINK_TARGETING,
        )
        return "DO_MOUNT_CONTROL"

    async def zoom(self, zoom_percent: float) -> None:
        await self._commands.long(MAV_CMD_SET_CAMERA_ZOOM, ZOOM_TYPE_RANGE, zoom_percent)

    async def camera_source(self, source: str) -> None:
        await self._commands.long(MAV_CMD_SET_CAMERA_SOURCE, 0, CAMERA_SOURCES[source], 0)

    async def reposition(
        self, latitude_deg: float, longitude_deg: float, relative_altitude_m: float
    ) -> None:
        await self._commands.int_(
            MAV_CMD_DO_REPOSITION,
            frame=mavlink.MAV_FRAME_GLOBAL_RELATIVE_ALT_INT,
            params=(-1.0, float(MAV_DO_REPOSITION_FLAGS_CHANGE_MODE), 0.0, math.nan),
            x=round(latitude_deg * 1e7),
            y=round(longitude_deg * 1e7),
            z=relative_altitude_m,
        )

    async def orbit(
        self, latitude_deg: float, longitude_deg: float, radius_m: float,
        relative_altitude_m: float,
    ) -> None:
        await self._commands.int_(
            MAV_CMD_DO_ORBIT,
            frame=mavlink.MAV_FRAME_GLOBAL_RELATIVE_ALT_INT,
            params=(radius_m, math.nan, 0.0, 0.0),  # radius, default speed, face centre, forever
            x=round(latitude_deg * 1e7),
            y=round(longitude_deg * 1e7),
            z=relative_altitude_m,
        )
