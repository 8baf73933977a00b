"""The fleet as an API node sees it (``jinghang serve --role api``): from the bus, not links.

The API's routes read ``services.fleet.vehicles`` (``drone_id -> vehicle``: its ``state`` for
the fleet view and the WebSocket's snapshot) and call a vehicle's command methods
(``pause(actor=...)``, ``goto(...)``, ...). In ``all`` that is :class:`jinghang.flight.Fleet`
with its live links; here it is :class:`BusFleet`, whose :class:`RemoteVehicle` has the same
methods, so both roles serve through the same routes:

- the fleet view: :class:`RemoteState` is the last telemetry snapshot of the drone from the
  bus (``link_lost`` once none came for :data:`STALE_S`);
- the command sender: :class:`BusCommands` checks that a link worker holds the drone's lease
  (else 503 ``drone.link_unreachable`` at once), publishes a ``command.request`` and waits for
  the ``command.reply`` (503 ``drone.link_unreachable`` if none comes within
  :data:`~jinghang.roles.protocol.REPLY_TIMEOUT_S`). The reply is handed to this node's
  subscribers as a ``command`` event, so the command is recorded once, by the node that sent
  it, attributed to the user.

It also keeps the :class:`~jinghang.roles.health.RoleWatch` (``roles``: the heartbeats of
every role, for ``/api/health``) and publishes this API node's own heartbeat.
"""

from __future__ import annotations

import asyncio
import math
import time
import uuid
from types import SimpleNamespace, TracebackType
from typing import Any

from nats.js.errors import KeyDeletedError, KeyNotFoundError
from nats.js.kv import KeyValue

from jinghang.bus.leases import lease_key, live_holder, open_bucket
from jinghang.bus.nats_bus import BusUnavailable, NatsBus
from jinghang.bus.subjects import PREFIX, Envelope
from jinghang.errors import JinghangError
from jinghang.events import Event
from jinghang.flight.errors import ParameterError
from jinghang.roles import health, protocol

#: A drone whose telemetry has not come for this long shows as link lost.
STALE_S = 5.0


class RemoteState:
    """A drone's state from its last telemetry snapshot (``VehicleState``'s field names)."""

    def __init__(self, snapshot: dict[str, Any]) -> None:
        self.update(snapshot)

    def update(self, snapshot: dict[str, Any]) -> None:
        self._data = dict(snapshot)
        self._received_s = time.monotonic()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            value = self._data[name]
        except KeyError:
            raise AttributeError(name) from None
        if value is None and (name.endswith(("_deg", "_m", "_m_s", "_pct", "_v"))):
            return math.nan
        return value

    @property
    def age_s(self) -> float:
        return time.monotonic() - self._received_s

    @property
    def link_lost(self) -> bool:
        return bool(self._data.get("link_lost")) or self.age_s > STALE_S

    @property
    def heartbeat_age_s(self) -> float | None:
        age = self._data.get("heartbeat_age_s")
        return None if age is None else float(age) + self.age_s

    @property
    def has_position(self) -> bool:
        return not math.isnan(self.latitude_deg)

    @property
    def home(self) -> Any:
        home = self._data.get("home")
        return SimpleNamespace(**home) if isinstance(home, dict) else None


class BusCommands:
    """Sends a command to the link worker holding the drone and waits for its answer."""

    def __init__(self, bus: NatsBus, *, reply_timeout_s: float = protocol.REPLY_TIMEOUT_S
                 ) -> None:
        self.bus = bus
        self.reply_timeout_s = reply_timeout_s
        self._leases: KeyValue | None = None
        self._waiting: dict[str, asyncio.Future[dict[str, Any]]] = {}

    async def start(self) -> None:
        self._leases = await open_bucket(self.bus.js, replicas=self.bus.replicas)
        await self.bus.listen(f"{PREFIX}.cmd.*.reply", self._on_reply)

    async def _on_reply(self, envelope: Envelope) -> None:
        waiter = self._waiting.get(str(envelope.data.get("request_id")))
        if waiter is not None and not waiter.done():
            waiter.set_result(envelope.data)

    async def holder(self, drone_id: int) -> str | None:
        """The link worker holding the drone's lease (renewed lately), or None."""
        if self._leases is None:
            return None
        try:
            entry = await self._leases.get(lease_key("link", drone_id))
        except (KeyNotFoundError, KeyDeletedError):
            return None
        except Exception as exc:  # NATS away: nobody can be asked
            raise protocol.LinkUnreachable(
                f"the bus cannot be asked who holds drone {drone_id}: {exc or type(exc).__name__}",
                field="drone_id", value=drone_id, drone_id=drone_id,
                reason="bus_unavailable") from None
        return live_holder(entry.value)

    async def send(self, drone_id: int, command: str, params: dict[str, Any],
                   actor: str) -> dict[str, Any]:
        """Execute ``command`` on the drone through its link worker; raise as a vehicle
        would (:func:`jinghang.roles.protocol.raise_for`) unless it was accepted."""
        holder = await self.holder(drone_id)
        if holder is None:
            raise protocol.LinkUnreachable(
                f"no link worker holds drone {drone_id}", field="drone_id", value=drone_id,
                drone_id=drone_id, command=command, reason="no_holder")
        request_id = uuid.uuid4().hex
        waiter: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[request_id] = waiter
        try:
            await self.bus.publish_acked("command.request", {
                "drone_id": drone_id, "command": command, "actor": actor, "params": params,
                "request_id": request_id}, timeout_s=self.reply_timeout_s / 2)
            async with asyncio.timeout(self.reply_timeout_s):
                reply = await waiter
        except BusUnavailable as exc:
            # not stored: never runs; being sent: may still run (within MAX_REQUEST_AGE_S)
            raise protocol.LinkUnreachable(
                f"the bus did not take {command} for drone {drone_id}: {exc}",
                field="drone_id", value=drone_id, drone_id=drone_id, command=command,
                reason="bus_unavailable",
                may_still_run=not exc.params.get("withdrawn", False)) from None
        except (TimeoutError, JinghangError) as exc:
            raise protocol.LinkUnreachable(
                f"the link worker {holder} of drone {drone_id} did not answer {command} "
                f"within {self.reply_timeout_s:g} s", field="drone_id", value=drone_id,
                limit=self.reply_timeout_s, drone_id=drone_id, command=command,
                reason="no_answer", worker=holder) from exc
        finally:
            self._waiting.pop(request_id, None)
        if command in protocol.READS:
            return reply
        self.bus.deliver(Event("command", {
            "drone_id": drone_id, "command": command, "actor": actor, "params": params,
            "result": "ACCEPTED" if reply.get("outcome") == "accepted"
            else str(reply.get("result_name") or reply.get("outcome")),
            "accepted": reply.get("outcome") == "accepted", "error": reply.get("error"),
            "worker": reply.get("worker"), "request_id": request_id}))
        protocol.raise_for(reply, drone_id)
        return reply


class RemoteParams:
    """A drone's parameters read through its link worker (``vehicle.params.get``), as the
    dispatcher's flight-limit reader does; any failure is a
    :class:`~jinghang.flight.errors.ParameterError`, as from a link."""

    def __init__(self, drone_id: int, commands: BusCommands) -> None:
        self.drone_id = drone_id
        self.commands = commands

    async def get(self, name: str) -> float:
        try:
            reply = await self.commands.send(self.drone_id, "param_get", {"name": name},
                                             "system")
        except JinghangError as error:
            raise ParameterError(f"parameter {name} of drone {self.drone_id}: {error}",
                                 field="name", value=name) from None
        value = reply.get("value")
        if reply.get("outcome") != "accepted" or not isinstance(value, (int, float)):
            raise ParameterError(f"parameter {name} of drone {self.drone_id}: "
                                 f"{reply.get('error') or 'no value'}", field="name", value=name)
        return float(value)


class RemoteVehicle:
    """A drone held by some link worker: its state from the bus, its commands over the bus
    (the same methods as :class:`jinghang.flight.vehicle.Vehicle` that the routes call)."""

    def __init__(self, drone_id: int, snapshot: dict[str, Any], commands: BusCommands) -> None:
        self.drone_id = drone_id
        self.state = RemoteState(snapshot)
        self.commands = commands
        self.params = RemoteParams(drone_id, commands)

    async def _send(self, command: str, actor: str, **params: Any) -> None:
        await self.commands.send(self.drone_id, command, params, actor)

    async def pause(self, *, actor: str = "system") -> None:
        await self._send("pause", actor)

    async def resume(self, *, actor: str = "system") -> None:
        await self._send("resume", actor)

    async def rtl(self, *, actor: str = "system") -> None:
        await self._send("rtl", actor)

    async def land(self, *, actor: str = "system") -> None:
        await self._send("land", actor)

    async def goto(self, latitude_deg: float, longitude_deg: float, relative_altitude_m: float,
                   *, actor: str = "system") -> None:
        await self._send("goto", actor, latitude_deg=latitude_deg, longitude_deg=longitude_deg,
                         relative_altitude_m=relative_altitude_m)

    async def play_clip(self, clip_id: int, *, actor: str = "system") -> None:
        await self._send("play_clip", actor, clip_id=clip_id)

    async def speak(self, text: str, *, actor: str = "system") -> None:
        await self._send("speak", actor, text=text)

    async def set_spotlight(self, on: bool, *, relay: int = 0, actor: str = "system") -> None:
        await self._send("spotlight", actor, on=on, relay=relay)

    async def release_payload(self, *, actor: str = "system") -> None:
        await self._send("release_payload", actor)

    async def point_gimbal(self, pitch_deg: float, yaw_deg: float, *,
                           actor: str = "system") -> None:
        await self._send("gimbal", actor, pitch_deg=pitch_deg, yaw_deg=yaw_deg)

    async def set_zoom(self, zoom_percent: float, *, actor: str = "system") -> None:
        await self._send("zoom", actor, zoom_percent=zoom_percent)

    async def set_camera_source(self, source: str, *, actor: str = "system") -> None:
        await self._send("camera_source", actor, source=source)

    async def set_altitude(self, relative_altitude_m: float, *, actor: str = "system") -> None:
        await self._send("set_altitude", actor, relative_altitude_m=relative_altitude_m)

    async def set_speed(self, speed_m_s: float, *, actor: str = "system") -> None:
        await self._send("set_speed", actor, speed_m_s=speed_m_s)

    async def orbit(self, latitude_deg: float, longitude_deg: float, radius_m: float, *,
                    relative_altitude_m: float | None = None, actor: str = "system") -> None:
        await self._send("orbit", actor, latitude_deg=latitude_deg, longitude_deg=longitude_deg,
                         radius_m=radius_m, relative_altitude_m=relative_altitude_m)


class BusFleet:
    """``services.fleet`` of an API node: every drone some link worker publishes."""

    telemetry_rate_hz = 0.0  # the fleet listing is rebuilt per request
    router = None

    def __init__(self, bus: NatsBus) -> None:
        self.bus = bus
        self.commands = BusCommands(bus)
        self.roles = health.RoleWatch(bus)
        self.vehicles: dict[int, RemoteVehicle] = {}
        self._task: asyncio.Task[None] | None = None
        self._beat: asyncio.Task[None] | None = None

    async def __aenter__(self) -> BusFleet:
        await self.commands.start()
        await self.roles.start()
        self._beat = asyncio.create_task(
            health.beat(self.bus, self.bus.node, "api", health.no_drones), name="heartbeat")
        ready = asyncio.Event()
        self._task = asyncio.create_task(self._follow(ready), name="bus-fleet")
        await ready.wait()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        tasks = [t for t in (self._task, self._beat) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _follow(self, ready: asyncio.Event) -> None:
        async with self.bus.subscribe("telemetry") as sub:
            ready.set()
            async for event in sub:
                self.see(event.data)

    def see(self, snapshot: dict[str, Any]) -> None:
        """Fold one telemetry snapshot in."""
        drone_id = snapshot.get("drone_id")
        if not isinstance(drone_id, int) or isinstance(drone_id, bool):
            return
        vehicle = self.vehicles.get(drone_id)
        if vehicle is None:
            self.vehicles[drone_id] = RemoteVehicle(drone_id, snapshot, self.commands)
        else:
            vehicle.state.update(snapshot)

    async def connect(self, link: str) -> None:
        raise JinghangError("an API node opens no links (give them to a link worker)",
                                     field="links", value=link)

    def link_trust(self) -> list[dict[str, Any]]:
        return []

    def quarantined(self) -> list[dict[str, Any]]:
        return []
