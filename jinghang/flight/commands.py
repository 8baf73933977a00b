"""COMMAND_LONG and COMMAND_INT with acknowledgement.

Expect-then-send: the watch for the COMMAND_ACK opens before the command leaves; each wait is
bounded by ``asyncio.timeout``; a lost command or ack is retried a bounded number of times with
``confirmation`` bumped (COMMAND_LONG; COMMAND_INT has no such field); MAV_RESULT_IN_PROGRESS
extends the wait; every other MAV_RESULT becomes its own typed error.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from jinghang.flight.errors import CommandTimeout, rejection_for
from jinghang.flight.expect import Expectations
from jinghang.mavlink.channel import GCS_COMPONENT_ID, GCS_SYSTEM_ID, mavlink
from jinghang.mavlink.constants import MAV_RESULT_ACCEPTED, MAV_RESULT_IN_PROGRESS


def command_name(command: int) -> str:
    entry = mavlink.enums["MAV_CMD"].get(command)
    return entry.name if entry is not None else f"MAV_CMD_{command}"


@dataclass(frozen=True, slots=True)
class Ack:
    command: int
    result: int
    progress: int
    attempts: int


class CommandSender:
    """Sends commands to one vehicle and waits for their acknowledgement."""

    def __init__(
        self,
        send: Callable[[Any], None],
        expectations: Expectations,
        *,
        target_system: int,
        target_component: int = 1,
        ack_timeout_s: float = 1.5,
        retries: int = 3,
        own_system_id: int = GCS_SYSTEM_ID,
        own_component_id: int = GCS_COMPONENT_ID,
    ) -> None:
        self._send = send
        self._expectations = expectations
        self.target_system = target_system
        self.target_component = target_component
        self.ack_timeout_s = ack_timeout_s
        self.retries = retries
        self._own = (own_system_id, own_component_id)

    def _is_ack_for(self, command: int) -> Callable[[Any], bool]:
        def match(message: Any) -> bool:
            if message.get_type() != "COMMAND_ACK" or message.command != command:
                return False
            if message.get_srcSystem() != self.target_system:
                return False
            target_system = getattr(message, "target_system", 0) or 0
            target_component = getattr(message, "target_component", 0) or 0
            if target_system and target_system != self._own[0]:
                return False
            return not (target_component and target_component != self._own[1])

        return match

    async def long(
        self,
        command: int,
        *params: float,
        timeout_s: float | None = None,
        retries: int | None = None,
    ) -> Ack:
        """Send COMMAND_LONG with up to 7 params; return the ACCEPTED ack or raise."""
        values = [float(p) for p in params] + [0.0] * (7 - len(params))

        def build(confirmation: int) -> Any:
            return mavlink.MAVLink_command_long_message(
                self.target_system, self.target_component, command, confirmation, *values
            )

        return await self._exchange(command, build, timeout_s, retries)

    async def int_(
        self,
        command: int,
        *,
        frame: int,
        params: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0),
        x: int = 0,
        y: int = 0,
        z: float = 0.0,
        timeout_s: float | None = None,
        retries: int | None = None,
    ) -> Ack:
        """Send COMMAND_INT (x, y in degE7); return the ACCEPTED ack or raise."""

        def build(_confirmation: int) -> Any:
            return mavlink.MAVLink_command_int_message(
                self.target_system, self.target_component, frame, command, 0, 0,
                *params, x, y, z,
            )

        return await self._exchange(command, build, timeout_s, retries)

    async def _exchange(
        self,
        command: int,
        build: Callable[[int], Any],
        timeout_s: float | None,
        retries: int | None,
    ) -> Ack:
        wait_s = self.ack_timeout_s if timeout_s is None else timeout_s
        attempts = 1 + (self.retries if retries is None else retries)
        with self._expectations.watch(self._is_ack_for(command)) as watch:
            for attempt in range(attempts):
                self._send(build(attempt))
                ack = await watch.next(wait_s)
                while ack is not None and ack.result == MAV_RESULT_IN_PROGRESS:
                    ack = await watch.next(max(wait_s, 5.0))
                if ack is None:
                    continue
                if ack.result == MAV_RESULT_ACCEPTED:
                    return Ack(command, ack.result, getattr(ack, "progress", 0), attempt + 1)
                error = rejection_for(int(ack.result), command, command_name(command))
                error.attempts = attempt + 1  # a retry may be refused because the first worked
                raise error
        raise CommandTimeout(
            f"{command_name(command)}: no acknowledgement from vehicle {self.target_system} "
            f"after {attempts} attempts of {wait_s:g} s",
            field="timeout_s",
            value=wait_s,
            limit=attempts,
            command=command,
        )
