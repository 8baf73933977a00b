"""The simulator's TCP server: one simulated vehicle on SITL's port, 5760 + 10 * instance.

:class:`SimulatorServer` is an async context manager. Inside it the vehicle's clock runs
(``speedup`` simulated seconds per wall second, stepped in small physics steps) and any
number of MAVLink clients may connect. ``tcp_port=0`` picks a free port (for tests);
``server.tcp_port`` and ``server.address`` say where it listens, ``server.vehicle`` is the live
:class:`~jinghang.simulator.vehicle.SimVehicle`.
"""

from __future__ import annotations

import asyncio
import math
from types import TracebackType
from typing import Any

from jinghang.errors import SimulatorError
from jinghang.simulator.endpoint import ClientLink, VehicleEndpoint
from jinghang.simulator.params import ParamTable
from jinghang.simulator.vehicle import SimVehicle

SITL_BASE_PORT = 5760
MAX_PHYSICS_STEP_S = 0.05
MAX_WALL_GAP_S = 0.5
DEFAULT_HOME = (37.5125, 122.1199, 10.0, 0.0)  # Weihai, Shandong


def check_home(home: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    """Validate a (lat_deg, lon_deg, alt_amsl_m, heading_deg) home."""
    if len(home) != 4:
        raise SimulatorError("home needs lat,lon,alt,heading", field="home", value=home)
    lat, lon, alt, heading = (float(x) for x in home)
    if not -90 <= lat <= 90:
        raise SimulatorError(
            "home latitude out of range", field="home.lat", value=lat, limit="-90..90"
        )
    if not -180 <= lon <= 180:
        raise SimulatorError(
            "home longitude out of range", field="home.lon", value=lon, limit="-180..180"
        )
    if not -500 <= alt <= 9000:
        raise SimulatorError(
            "home altitude out of range", field="home.alt", value=alt, limit="-500..9000 m"
        )
    return lat, lon, alt, heading % 360.0


def parse_home(text: str) -> tuple[float, float, float, float]:
    """``"lat,lon,alt,heading"`` (as SITL's --home) to a checked tuple."""
    parts = text.split(",")
    try:
        values = [float(p) for p in parts]
    except ValueError as exc:
        raise SimulatorError(
            f"home must be lat,lon,alt,heading numbers, got {text!r}", field="home", value=text
        ) from exc
    if len(values) == 3:
        values.append(0.0)
    if len(values) != 4:
        raise SimulatorError("home needs lat,lon,alt,heading", field="home", value=text)
    return check_home((values[0], values[1], values[2], values[3]))


class _ClientProtocol(asyncio.Protocol):
    def __init__(self, server: SimulatorServer) -> None:
        self.server = server
        self.transport: asyncio.Transport | None = None
        self.link: ClientLink | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.server._transports.add(transport)

        def write(data: bytes) -> None:
            if not transport.is_closing():
                transport.write(data)

        self.link = self.server.endpoint.add_client(write, transport.get_write_buffer_size)

    def data_received(self, data: bytes) -> None:
        if self.link is not None:
            self.server.endpoint.receive(self.link, data, asyncio.get_running_loop().time())

    def connection_lost(self, exc: Exception | None) -> None:
        if self.link is not None:
            self.server.endpoint.remove_client(self.link)
        if self.transport is not None:
            self.server._transports.discard(self.transport)


class SimulatorServer:
    """One simulated ArduCopter serving MAVLink over TCP."""

    def __init__(
        self,
        instance: int = 0,
        home: tuple[float, float, float, float] = DEFAULT_HOME,
        speedup: float = 1.0,
        system_id: int | None = None,
        tcp_port: int | None = None,
        *,
        host: str = "127.0.0.1",
        signing_key: bytes | None = None,
        params: dict[str, float] | None = None,
        tick_s: float = 0.02,
    ) -> None:
        if not 0 <= instance <= 255:
            raise SimulatorError(
                "instance out of range", field="instance", value=instance, limit="0..255"
            )
        if not (math.isfinite(speedup) and 0 < speedup <= 1000):
            raise SimulatorError(
                "speedup out of range", field="speedup", value=speedup, limit="0 < speedup <= 1000"
            )
        sysid = instance + 1 if system_id is None else system_id
        if not 1 <= sysid <= 255:
            raise SimulatorError(
                "system id out of range", field="system_id", value=sysid, limit="1..255"
            )
        if tcp_port is not None and not 0 <= tcp_port <= 65535:
            raise SimulatorError(
                "tcp_port out of range", field="tcp_port", value=tcp_port, limit="0..65535"
            )
        if signing_key is not None and len(signing_key) != 32:
            raise SimulatorError(
                "signing key must be 32 bytes",
                field="signing_key",
                value=len(signing_key),
                limit=32,
            )
        self.instance = instance
        self.home = check_home(home)
        self.speedup = speedup
        self.system_id = sysid
        self.host = host
        self.requested_port = SITL_BASE_PORT + 10 * instance if tcp_port is None else tcp_port
        self.tick_s = tick_s
        table = ParamTable(params)
        table.set("SYSID_THISMAV", sysid)
        table.set("SIM_SPEEDUP", speedup)
        self.vehicle = SimVehicle(self.home, table)
        self.vehicle.gcs_timeout_scale = speedup
        self.endpoint = VehicleEndpoint(self.vehicle, sysid, signing_key)
        self.tcp_port = 0
        self._server: asyncio.Server | None = None
        self._transports: set[asyncio.Transport] = set()
        self._tg: asyncio.TaskGroup | None = None
        self._clock: asyncio.Task[None] | None = None

    @property
    def address(self) -> str:
        """The connection string a client uses, e.g. ``tcp:127.0.0.1:5760``."""
        return f"tcp:{self.host}:{self.tcp_port}"

    async def __aenter__(self) -> SimulatorServer:
        loop = asyncio.get_running_loop()
        try:
            self._server = await loop.create_server(
                lambda: _ClientProtocol(self), self.host, self.requested_port, reuse_address=True
            )
        except OSError as exc:
            raise SimulatorError(
                f"cannot listen on {self.host}:{self.requested_port}: {exc.strerror}",
                field="tcp_port",
                value=self.requested_port,
            ) from exc
        self.tcp_port = int(self._server.sockets[0].getsockname()[1])
        self._tg = asyncio.TaskGroup()
        await self._tg.__aenter__()
        self._clock = self._tg.create_task(self._run_clock())
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._server is not None:
            self._server.close()
        for transport in list(self._transports):
            transport.abort()
        if self._clock is not None:
            self._clock.cancel()
        if self._tg is not None:
            await self._tg.__aexit__(exc_type, exc, tb)
        if self._server is not None:
            await self._server.wait_closed()

    async def serve_forever(self) -> None:
        """Run until cancelled (for the command line)."""
        async with self:
            await asyncio.Event().wait()

    def advance(self, sim_dt_s: float) -> None:
        """Step the vehicle ``sim_dt_s`` simulated seconds in physics-sized steps."""
        if sim_dt_s <= 0:
            return
        steps = max(1, math.ceil(sim_dt_s / MAX_PHYSICS_STEP_S))
        dt = sim_dt_s / steps
        for _ in range(steps):
            self.vehicle.step(dt)

    async def _run_clock(self) -> None:
        loop = asyncio.get_running_loop()
        last = loop.time()
        while True:
            await asyncio.sleep(self.tick_s)
            now = loop.time()
            wall_dt = min(now - last, MAX_WALL_GAP_S)
            last = now
            self.advance(wall_dt * self.speedup)
            self.endpoint.tick(now)

    def stats(self) -> dict[str, Any]:
        return {
            "clients": len(self.endpoint.clients),
            "messages_in": self.endpoint.stats.messages_in,
            "messages_out": self.endpoint.stats.messages_out,
            "sim_time_s": self.vehicle.time_s,
        }
