"""``start_vehicle``: one vehicle to fly, from the built-in simulator or real ArduPilot SITL,
as a connection string, so the same test flies either."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from jinghang.errors import SimulatorError
from jinghang.simulator.server import DEFAULT_HOME, SITL_BASE_PORT, SimulatorServer

BACKENDS = ("builtin", "sitl")


@asynccontextmanager
async def start_vehicle(
    backend: str = "builtin",
    *,
    home: tuple[float, float, float, float] = DEFAULT_HOME,
    speedup: float = 1.0,
    tcp_port: int | None = 0,
    instance: int | None = None,
    params: dict[str, float] | None = None,
    signing_key: bytes | None = None,
) -> AsyncIterator[str]:
    """Start a vehicle and yield its connection string (``tcp:127.0.0.1:PORT``).

    ``tcp_port=0`` (the default) picks a free port; None uses SITL's 5760 + 10 * instance.
    The system id is ``instance + 1`` (1 without an instance) on both backends. For
    ``"sitl"`` the real ``arducopter`` named by JINGHANG_SITL_BINARY is started (on a free
    instance when ``tcp_port=0``), and the context is entered only once it reports a healthy
    EKF, a 3D GPS fix and passing pre-arm checks (it can arm).
    """
    system_id = (instance or 0) + 1
    if backend == "builtin":
        async with SimulatorServer(
            instance=instance or 0,
            home=home,
            speedup=speedup,
            system_id=system_id,
            tcp_port=tcp_port,
            params=params,
            signing_key=signing_key,
        ) as server:
            yield server.address
    elif backend == "sitl":
        from jinghang.simulator.sitl import SitlProcess

        if signing_key is not None:
            raise SimulatorError(
                "signing keys for SITL are set with SETUP_SIGNING, not at start",
                field="signing_key",
            )
        if tcp_port is None:
            sitl_instance: int | None = instance or 0
        elif tcp_port == 0:
            sitl_instance = None  # a free one
        elif (tcp_port - SITL_BASE_PORT) % 10 == 0 and tcp_port >= SITL_BASE_PORT:
            sitl_instance = (tcp_port - SITL_BASE_PORT) // 10
        else:
            raise SimulatorError(
                "SITL serves on 5760 + 10 * instance only",
                field="tcp_port",
                value=tcp_port,
                limit="5760 + 10 * instance",
            )
        sitl_params = {"SYSID_THISMAV": float(system_id), **(params or {})}
        async with SitlProcess(
            instance=sitl_instance, home=home, speedup=speedup, params=sitl_params
        ) as sitl:
            yield sitl.address
    else:
        raise SimulatorError(
            f"unknown simulator backend {backend!r}", field="backend", value=backend, limit=BACKENDS
        )
