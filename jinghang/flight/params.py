"""The parameter protocol: read one, set one with confirmation, fetch all."""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from typing import Any

from jinghang.flight.errors import ParameterError
from jinghang.flight.expect import Expectations
from jinghang.mavlink.channel import mavlink

PARAM_ID_MAX_CHARS = 16

Recorder = Callable[[str, str, dict[str, Any], Callable[[], Awaitable[float]]], Awaitable[float]]


def _name(value: Any) -> str:
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    return str(value).rstrip("\x00")


class Parameters:
    """One vehicle's parameters; ``cache`` holds every value heard, by name."""

    def __init__(
        self,
        send: Callable[[Any], None],
        expectations: Expectations,
        *,
        target_system: int,
        target_component: int = 1,
        timeout_s: float = 1.0,
        retries: int = 3,
    ) -> None:
        self._send = send
        self._expectations = expectations
        self.target_system = target_system
        self.target_component = target_component
        self.timeout_s = timeout_s
        self.retries = retries
        self.cache: dict[str, float] = {}
        self.types: dict[str, int] = {}
        self.count: int | None = None
        #: wraps a parameter change so that it is published on "command" (set by Vehicle)
        self.recorder: Recorder | None = None

    def observe(self, message: Any) -> None:
        """Remember a PARAM_VALUE the vehicle sent (ours or anyone's request)."""
        name = _name(message.param_id)
        self.cache[name] = float(message.param_value)
        self.types[name] = int(message.param_type)
        self.count = int(message.param_count)

    def _check_name(self, name: str) -> str:
        if not name or len(name) > PARAM_ID_MAX_CHARS:
            raise ParameterError(
                f"parameter name {name!r} must have 1 to {PARAM_ID_MAX_CHARS} characters",
                field="name",
                value=name,
                limit=PARAM_ID_MAX_CHARS,
            )
        return name.upper()

    def _value_of(self, name: str) -> Callable[[Any], bool]:
        def match(message: Any) -> bool:
            return (
                message.get_type() == "PARAM_VALUE"
                and message.get_srcSystem() == self.target_system
                and _name(message.param_id) == name
            )

        return match

    async def get(self, name: str) -> float:
        """Read one parameter from the vehicle."""
        name = self._check_name(name)
        request = mavlink.MAVLink_param_request_read_message(
            self.target_system, self.target_component, name.encode(), -1
        )
        with self._expectations.watch(self._value_of(name)) as watch:
            for _ in range(self.retries + 1):
                self._send(request)
                message = await watch.next(self.timeout_s)
                if message is not None:
                    return float(message.param_value)
        raise ParameterError(
            f"vehicle {self.target_system} has no parameter {name} (no answer after "
            f"{self.retries + 1} requests)",
            field="name",
            value=name,
        )

    async def set(self, name: str, value: float, *, actor: str = "system") -> float:
        """Set one parameter and return the value the vehicle confirmed (recorded, like
        every command, with who asked)."""
        if self.recorder is None:
            return await self._set(name, value)
        return await self.recorder(
            "param_set", actor, {"name": name, "value": value}, lambda: self._set(name, value)
        )

    async def _set(self, name: str, value: float) -> float:
        name = self._check_name(name)
        if not math.isfinite(value):
            raise ParameterError("parameter value must be finite", field="value", value=value)
        param_type = self.types.get(name, mavlink.MAV_PARAM_TYPE_REAL32)
        message = mavlink.MAVLink_param_set_message(
            self.target_system, self.target_component, name.encode(), float(value), param_type
        )
        with self._expectations.watch(self._value_of(name)) as watch:
            for _ in range(self.retries + 1):
                self._send(message)
                echo = await watch.next(self.timeout_s)
                if echo is None:
                    continue
                confirmed = float(echo.param_value)
                if math.isclose(confirmed, value, rel_tol=1e-6, abs_tol=1e-6):
                    return confirmed
                raise ParameterError(
                    f"vehicle {self.target_system} kept {name} at {confirmed:g}, not {value:g}",
                    field=name,
                    value=value,
                    limit=confirmed,
                )
        raise ParameterError(
            f"vehicle {self.target_system} did not confirm {name} = {value:g}",
            field=name,
            value=value,
        )

    async def fetch_all(self) -> dict[str, float]:
        """Every parameter: PARAM_REQUEST_LIST, then re-request the missing by index."""
        seen: dict[int, tuple[str, float]] = {}
        total: int | None = None

        def match(message: Any) -> bool:
            return (
                message.get_type() == "PARAM_VALUE"
                and message.get_srcSystem() == self.target_system
            )

        with self._expectations.watch(match) as watch:
            self._send(
                mavlink.MAVLink_param_request_list_message(
                    self.target_system, self.target_component
                )
            )
            rounds = 0
            while True:
                message = await watch.next(self.timeout_s)
                if message is not None:
                    total = int(message.param_count)
                    if 0 <= message.param_index < 65535:
                        seen[int(message.param_index)] = (
                            _name(message.param_id),
                            float(message.param_value),
                        )
                    if total is not None and len(seen) >= total:
                        break
                    continue
                rounds += 1
                if rounds > self.retries:
                    raise ParameterError(
                        f"vehicle {self.target_system} sent {len(seen)} of "
                        f"{total if total is not None else '?'} parameters",
                        field="param_count",
                        value=len(seen),
                        limit=total,
                    )
                if total is None:
                    self._send(
                        mavlink.MAVLink_param_request_list_message(
                            self.target_system, self.target_component
                        )
                    )
                    continue
                for index in range(total):
                    if index not in seen:
                        self._send(
                            mavlink.MAVLink_param_request_read_message(
                                self.target_system, self.target_component, b"", index
                            )
                        )
        return {name: value for name, value in (seen[i] for i in sorted(seen))}
