"""A fleet of simulated vehicles on one event loop: instance i on port 5760 + 10*i (or a
free port each), system id i + 1, homes spread a few metres apart so they do not collide.
With ``signing_keys`` (system id -> key) each vehicle signs with its own key."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AsyncExitStack
from types import TracebackType

from jinghang.errors import SimulatorError
from jinghang.simulator.geo import offset_deg
from jinghang.simulator.server import DEFAULT_HOME, SimulatorServer

MAX_FLEET = 250


class SimFleet:
    """``count`` :class:`SimulatorServer` instances started and stopped together."""

    def __init__(
        self,
        count: int,
        home: tuple[float, float, float, float] = DEFAULT_HOME,
        speedup: float = 1.0,
        *,
        first_instance: int = 0,
        ephemeral_ports: bool = False,
        spacing_m: float = 5.0,
        signing_key: bytes | None = None,
        signing_keys: Callable[[int], bytes | None] | None = None,
        params: dict[str, float] | None = None,
        host: str = "127.0.0.1",
    ) -> None:
        if not 1 <= count <= MAX_FLEET:
            raise SimulatorError(
                "fleet size out of range", field="count", value=count, limit=f"1..{MAX_FLEET}"
            )
        if first_instance + count > 255:
            raise SimulatorError(
                "instances beyond 254", field="count", value=count, limit=255 - first_instance
            )
        lat, lon, alt, heading = home
        self.servers: list[SimulatorServer] = []
        for k in range(count):
            klat, klon = offset_deg(lat, lon, 0.0, k * spacing_m)
            instance = first_instance + k
            self.servers.append(
                SimulatorServer(
                    instance=instance,
                    home=(klat, klon, alt, heading),
                    speedup=speedup,
                    tcp_port=0 if ephemeral_ports else None,
                    host=host,
                    signing_key=(signing_keys(instance + 1) if signing_keys is not None
                                 else signing_key),
                    params=params,
                )
            )
        self._stack: AsyncExitStack | None = None

    @property
    def addresses(self) -> list[str]:
        return [server.address for server in self.servers]

    def __len__(self) -> int:
        return len(self.servers)

    async def __aenter__(self) -> SimFleet:
        async with AsyncExitStack() as stack:
            for server in self.servers:
                await stack.enter_async_context(server)
            self._stack = stack.pop_all()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._stack is not None:
            stack, self._stack = self._stack, None
            await stack.__aexit__(exc_type, exc, tb)
