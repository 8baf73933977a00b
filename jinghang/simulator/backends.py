"""``start_vehicle``: one vehicle to fly, from the built-in simulator or real ArduPilot SITL,
as a connection string, so the same test flies either."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from jinghang.errors import SimulatorError
from jinghang.simulator.server import DEFAULT_HOME, SimulatorServer

BACKENDS = ("builtin", "sitl")


@asynccontextmanager
async def start_vehicle(
    backend: str = "builtin",
    *,
    home: tuple[float, float, float, float] = DEFAULT_HOME,
    speedup: float = 1.0,
    tcp_port: int | None = 0,
    instance: int = 0,
    params: dict[str, float] | None = None,
    signing_key: bytes | None = None,
) -> AsyncIterator[str]:
    """Start a vehicle and yield its connection string (``tcp:127.0.0.1:PORT``).

    ``tcp_port=0`` (the default) picks a free port; None uses SITL's 5760 + 10 * instance.
    For ``"sitl"`` the real ``arducopter`` named by JINGHANG_SITL_BINARY is started, and the
    context is entered only once it reports a healthy EKF and GPS (it can arm).
    """
    if backend == "builtin":
        async with SimulatorServer(
            instance=instance,
            home=home,
            speedup=speedup,
            tcp_port=tcp_port,
            params=params,
            signing_key=signing_key,
        ) as server:
            yield server.address
    elif backend == "sitl":
        from jinghang.simulator.sitl import SitlProcess

        async with SitlProcess(
            instance=instance, home=home, speedup=speedup, params=params
        ) as sitl:
            yield sitl.address
    else:
        raise SimulatorError(
            f"unknown simulator backend {backend!r}", field="backend", value=backend, limit=BACKENDS
        )
