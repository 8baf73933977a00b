"""Giving one drone its signing key over a trusted link (``jinghang signing provision``).

:func:`provision` opens the link itself (no fleet), waits for the drone's autopilot
HEARTBEAT, sends SETUP_SIGNING with the key and the current signing timestamp, then signs
its own link with the key and asks the drone for a HEARTBEAT (MAV_CMD_REQUEST_MESSAGE), both
again each second: the drone is provisioned once a frame from it verifies with the key.
Every other outcome is a :class:`ProvisionResult` with a stable ``code`` and the reason; the
key is never in it.

As ArduPilot (GCS_Signing), a vehicle refuses SETUP_SIGNING while armed, and once it signs
it drops unsigned frames: a drone that already signs with another key cannot be given a new
one from here (reset its key on the vehicle, over USB, first).
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from typing import Any

from jinghang.flight.router import Link
from jinghang.flight.transport import open_transport
from jinghang.flight.trust import is_autopilot_heartbeat
from jinghang.mavlink import signing
from jinghang.mavlink.channel import Channel, frame_is_signed, mavlink
from jinghang.mavlink.constants import MAV_CMD_REQUEST_MESSAGE
from jinghang.mavlink.dialect import MAVLinkMessage


@dataclass(frozen=True, slots=True)
class ProvisionResult:
    """What provisioning did: ``ok``, a stable ``code``, the English ``message`` and the
    code's parameters (never the key)."""

    ok: bool
    code: str
    message: str
    params: dict[str, Any] = field(default_factory=dict)


async def provision(
    connection: str, system_id: int, key: bytes, *, timeout_s: float = 10.0
) -> ProvisionResult:
    """Give drone ``system_id`` on ``connection`` the signing ``key`` and check it signs."""
    signing.check_key(key)
    params: dict[str, Any] = {"system_id": system_id, "link": connection}
    heard: asyncio.Queue[MAVLinkMessage] = asyncio.Queue()

    def on_message(_link: Link, message: MAVLinkMessage, _peer: Any) -> bool:
        if message.get_srcSystem() != system_id:
            return False
        heard.put_nowait(message)
        return True

    channel = Channel()
    link = Link(open_transport(connection), channel, on_message)
    runner = asyncio.create_task(link.run(), name=f"provision {connection}")
    try:
        return await _provision(link, heard, system_id, key, timeout_s, params)
    finally:
        runner.cancel()
        with contextlib.suppress(BaseException):
            await runner


async def _next(
    heard: asyncio.Queue[MAVLinkMessage], deadline_s: float, want: Any
) -> MAVLinkMessage | None:
    """The next message ``want`` accepts, or None at the deadline."""
    loop = asyncio.get_running_loop()
    while (left_s := deadline_s - loop.time()) > 0:
        try:
            message = await asyncio.wait_for(heard.get(), left_s)
        except TimeoutError:
            return None
        if want(message):
            return message
    return None


async def _provision(
    link: Link,
    heard: asyncio.Queue[MAVLinkMessage],
    system_id: int,
    key: bytes,
    timeout_s: float,
    params: dict[str, Any],
) -> ProvisionResult:
    loop = asyncio.get_running_loop()
    heartbeat = await _next(heard, loop.time() + timeout_s, is_autopilot_heartbeat)
    if heartbeat is None:
        return ProvisionResult(
            False, "signing.no_heartbeat",
            f"no HEARTBEAT from drone {system_id} on {params['link']} within {timeout_s:g} s",
            {**params, "timeout_s": timeout_s})
    if frame_is_signed(heartbeat):
        if signing.signed_with(key, heartbeat.get_msgbuf()):
            return ProvisionResult(True, "signing.already_provisioned",
                                   f"drone {system_id} already signs with its key", params)
        return ProvisionResult(
            False, "signing.other_key",
            f"drone {system_id} already signs with another key and refuses an unsigned "
            "SETUP_SIGNING: reset its signing key on the vehicle first", params)
    if heartbeat.base_mode & mavlink.MAV_MODE_FLAG_SAFETY_ARMED:
        return ProvisionResult(False, "signing.armed",
                               f"drone {system_id} is armed: it refuses SETUP_SIGNING", params)
    component_id = heartbeat.get_srcComponent()
    request = mavlink.MAVLink_command_long_message(
        system_id, component_id, MAV_CMD_REQUEST_MESSAGE, 0,
        mavlink.MAVLINK_MSG_ID_HEARTBEAT, 0, 0, 0, 0, 0, 0)
    deadline_s = loop.time() + timeout_s
    while loop.time() < deadline_s:
        # resent each second (a lost frame on a radio); after the first one it goes signed,
        # which a vehicle without signing accepts and one that took the key requires
        link.send(mavlink.MAVLink_setup_signing_message(
            system_id, component_id, list(key), signing.signing_timestamp_now()))
        link.channel.set_signing_key(key, require=True)  # from now on only frames that verify
        link.send(request)
        answer = await _next(heard, min(deadline_s, loop.time() + 1.0), frame_is_signed)
        if answer is not None:
            return ProvisionResult(
                True, "signing.provisioned",
                f"drone {system_id} now signs with its key ({answer.get_type()} verified)",
                params)
    rejected = link.channel.counters.signing_rejected
    return ProvisionResult(
        False, "signing.not_signed",
        f"drone {system_id} did not answer signed with its key within {timeout_s:g} s "
        f"after SETUP_SIGNING ({rejected} frames refused: unsigned or another key)",
        {**params, "timeout_s": timeout_s, "frames_refused": rejected})
