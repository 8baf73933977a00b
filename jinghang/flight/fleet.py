"""The fleet: every link, every vehicle, and the one task group that runs them.

``async with Fleet(...) as fleet`` starts a task group; links, forward endpoints and the
housekeeping ticker (GCS heartbeat at 1 Hz, link-lost checks, stream requests for new or
recovered vehicles, quarantine expiry, saving signing timestamps) all run inside it and stop
when the block ends. Vehicles appear on the first autopilot HEARTBEAT that link trust
(:mod:`jinghang.flight.trust`) binds to its source: with ``registered`` (the register's
``system_id -> bool``) only registered ids, without it the first id on each link or UDP peer;
other ids wait in :meth:`Fleet.quarantined`.

With ``identify`` (the register's answer for a link, UDP peer and system id, see
:class:`jinghang.flight.trust.VehicleKey`) system ids are per link: :attr:`Fleet.vehicles` is
keyed by the register's vehicle id, and any number of drones may each be system 1. Without
it a vehicle's key is its system id.

Signing (:meth:`Fleet.from_settings`): with a master key every link signs and verifies each
drone's frames with that drone's own key (:mod:`jinghang.mavlink.keys`) and drops unsigned or
wrongly signed ones; ``signing = "off"`` is an explicit, logged choice. Keys are per drone id:
a frame from or to system N on a link (and UDP peer) is signed with the key of the drone
``identify`` names for that source (without ``identify``: drone N), so a drone's key never
signs for another drone that speaks the same system id elsewhere; a source ``identify`` does
not name has no key (its signed frames are refused; it stays in quarantine).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from types import TracebackType
from typing import Any

from jinghang.config import Settings
from jinghang.events import EventBus
from jinghang.flight import streams
from jinghang.flight.alarms import publisher
from jinghang.flight.autopilots import MAV_AUTOPILOT_INVALID, autopilot_for
from jinghang.flight.errors import FlightError, VehicleTimeout
from jinghang.flight.router import MAV_TYPE_GCS, Forward, Link, Router
from jinghang.flight.sanity import Limits
from jinghang.flight.state import STATE_MESSAGE_TYPES
from jinghang.flight.transport import (
    TcpClientTransport,
    Transport,
    UdpInTransport,
    open_transport,
)
from jinghang.flight.trust import (
    BROADCAST_SYSTEM_ID,
    GCS_RESERVED_SYSTEM_ID,
    Binding,
    Identify,
    LinkTrust,
    VehicleKey,
    Verdict,
)
from jinghang.flight.vehicle import Vehicle
from jinghang.mavlink import signing
from jinghang.mavlink.channel import (
    GCS_COMPONENT_ID,
    GCS_SYSTEM_ID,
    Channel,
    SigningKeys,
    mavlink,
)
from jinghang.mavlink.keys import DroneKeys

log = logging.getLogger(__name__)

#: how often changed signing stream timestamps are saved (and at shutdown)
STREAMS_SAVE_INTERVAL_S = 2.0
#: a link refusing frames by signing is logged at most this often
SIGNING_REFUSALS_LOG_INTERVAL_S = 60.0


class Fleet:
    """Every vehicle on every link, on one event loop."""

    def __init__(
        self,
        bus: EventBus | None = None,
        *,
        link_lost_after_s: float = 5.0,
        signing_key: bytes | None = None,
        require_signing: bool = True,
        system_id: int = GCS_SYSTEM_ID,
        component_id: int = GCS_COMPONENT_ID,
        request_streams: bool = True,
        telemetry_rate_hz: float = 5.0,
        heartbeat_interval_s: float = 1.0,
        ack_timeout_s: float = 1.5,
        registered: Callable[[int], bool] | None = None,
        max_udp_peers: int = 32,
        rebind_after_s: float = 30.0,
        quarantine_expiry_s: float = 60.0,
        signing_streams: signing.StreamStore | None = None,
        limits: Limits | None = None,
        identify: Identify | None = None,
        signing_keys: Callable[[int], bytes | None] | None = None,
    ) -> None:
        self.bus = bus
        self.link_lost_after_s = link_lost_after_s
        self.signing_key = signing_key
        #: drone id -> that drone's key (per-drone signing; wins over ``signing_key``); a
        #: link asks it for the drone ``identify`` names (without it: the system id)
        self.signing_keys = signing_keys
        self.require_signing = require_signing
        self.system_id = system_id
        self.component_id = component_id
        self.request_streams = request_streams
        self.telemetry_rate_hz = telemetry_rate_hz
        self.heartbeat_interval_s = heartbeat_interval_s
        self.ack_timeout_s = ack_timeout_s
        #: vehicle id (the system id unless ``identify`` makes ids per link) -> vehicle
        self.vehicles: dict[int, Vehicle] = {}
        self.max_udp_peers = max_udp_peers
        self.limits = limits or Limits()
        self._publish_alarm = publisher(bus)
        self.trust = LinkTrust(
            self._publish_alarm,
            own_system_id=system_id,
            registered=registered,
            rebind_after_s=rebind_after_s,
            quarantine_expiry_s=quarantine_expiry_s,
            identify=identify,
        )
        self._stream_store = signing_streams or signing.MemoryStreamStore()
        #: last signing timestamp per (link id, system, component), shared by every channel
        self.signing_streams: dict[signing.StreamKey, int] = self._stream_store.load()
        self._streams_saved = dict(self.signing_streams)
        #: every channel signs from after the newest timestamp persisted (ours included):
        #: a signing timestamp never goes back, even across a restart or a clock set back
        #: (MAVLink's signing spec: start from the larger of the clock and the stored one).
        #: One save interval is added: after a crash the last saves may be missing, and in
        #: an interval the outgoing timestamp moves 1 per frame (<100,000 frames/s)
        self._signing_floor = (max(self.signing_streams.values(), default=0)
                               + round(STREAMS_SAVE_INTERVAL_S * signing.TIMESTAMP_UNITS_PER_S))
        self.router = Router(self._deliver, self.trust)
        self._task_group: asyncio.TaskGroup | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._appeared = asyncio.Event()
        self._needs_streams: set[int] = set()
        #: per link: signing refusals already logged, and when
        self._refusals_logged: dict[Link, tuple[int, float]] = {}
        #: called with (vehicle, message) once a trusted message is in the vehicle's state
        #: (the fleet bench measures telemetry lag with it)
        self.on_update: Callable[[Vehicle, Any], None] | None = None

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        bus: EventBus | None = None,
        *,
        registered: Callable[[int], bool] | None = None,
        signing_streams: signing.StreamStore | None = None,
        identify: Identify | None = None,
    ) -> Fleet:
        """A fleet configured from :class:`jinghang.config.Settings` (links are connected by
        the caller: ``for c in settings.links: await fleet.connect(c)``); ``signing_streams``
        keeps the signing timestamps across restarts (the server's store)."""
        return cls(
            bus,
            link_lost_after_s=settings.link_lost_after_s,
            signing_keys=signing_keys_of(settings),
            registered=registered,
            identify=identify,
            max_udp_peers=settings.udp_max_peers,
            limits=Limits(altitude_ceiling_m=settings.altitude_ceiling_m),
            signing_streams=signing_streams,
        )

    # -- lifecycle -----------------------------------------------------------------------------

    async def __aenter__(self) -> Fleet:
        self._task_group = asyncio.TaskGroup()
        await self._task_group.__aenter__()
        self._start(self._housekeeping(), "fleet-housekeeping")
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool | None:
        self._save_signing_streams()
        self._stream_store.close()
        for task in self._tasks:
            task.cancel()
        group, self._task_group = self._task_group, None
        assert group is not None
        await group.__aexit__(exc_type, exc, tb)
        return None

    def _start(self, coro: Any, name: str) -> asyncio.Task[Any]:
        if self._task_group is None:
            coro.close()
            raise FlightError("the fleet is not running: use `async with Fleet(...)`")
        task = self._task_group.create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    # -- links ---------------------------------------------------------------------------------

    def _keys_on(self, link_name: str) -> SigningKeys | None:
        """The per-drone key lookup of the link ``link_name``: (peer, system id) -> the drone
        that source is (``identify``; without it the drone whose id is the system id) and its
        key, None for a source no drone is and for the reserved ids."""
        keys = self.signing_keys
        if keys is None:
            return None
        identify = self.trust.identify
        reserved = (BROADCAST_SYSTEM_ID, GCS_RESERVED_SYSTEM_ID, self.system_id)

        def key_of(peer: Any, system_id: int) -> tuple[int, bytes] | None:
            if system_id in reserved:
                return None
            drone_id = (system_id if identify is None
                        else identify(VehicleKey(link_name, peer, system_id)))
            key = None if drone_id is None else keys(drone_id)
            return None if drone_id is None or key is None else (drone_id, key)

        return key_of

    def _channel(self, link_name: str) -> Channel:
        channel = Channel(
            system_id=self.system_id,
            component_id=self.component_id,
            signing_key=self.signing_key,
            require_signing=self.require_signing,
            streams=self.signing_streams,
            signing_keys=self._keys_on(link_name),
            eager_types=STATE_MESSAGE_TYPES,  # the rest decode when read (forwards get bytes)
        )
        channel.advance_signing_timestamp(self._signing_floor)
        return channel

    async def connect(self, connection: str | Transport) -> Link:
        """Open a link from a connection string (``tcp:127.0.0.1:5760``) or a transport."""
        if isinstance(connection, str):
            options: dict[str, Any] = {}
            if connection.startswith("tcp:"):
                options["on_state"] = self._on_tcp_state
            elif connection.startswith(("udpin:", "udp:")):
                options["max_peers"] = self.max_udp_peers
            transport = open_transport(connection, **options)
        else:
            transport = connection
        if isinstance(transport, UdpInTransport):
            await transport.bind()  # a port in use is the caller's error, now
        link = Link(transport, self._channel(transport.name), self.router.from_vehicle_link)
        self.router.links.append(link)
        self.router.tasks[link] = self._start(self._supervise(link), f"link {link.name}")
        return link

    async def _supervise(self, link: Link) -> None:
        """Run a link for the life of the fleet: a failing link (a serial port unplugged,
        a UDP port taken) is reported and retried, and never takes the fleet down."""
        delay_s = 0.5
        while True:
            try:
                await link.run()
                return
            except Exception as error:  # CancelledError is not an Exception: it goes through
                link.last_error = str(error)
                if self.bus is not None:
                    self.bus.publish(
                        "vehicle.status",
                        {"drone_id": None, "system_id": None, "event": "link_error",
                         "link": link.name, "error": link.last_error},
                    )
            await asyncio.sleep(delay_s)
            delay_s = min(10.0, delay_s * 2)

    def _on_tcp_state(self, connected: bool) -> None:
        if connected:  # a reconnect: ask every vehicle for its streams again
            self._needs_streams.update(self.vehicles)

    async def disconnect(self, link: Link) -> None:
        task = self.router.tasks.pop(link, None)
        if task is not None:
            task.cancel()
        if link in self.router.links:
            self.router.links.remove(link)
        self._refusals_logged.pop(link, None)

    def add_forward(self, connection: str | Transport, system_id: int | None = None) -> Forward:
        """Copy a vehicle's traffic to ``connection`` and pass its commands back."""
        transport = open_transport(connection) if isinstance(connection, str) else connection
        holder: list[Forward] = []
        def from_forward(_link: Link, message: Any, _peer: Any) -> bool:
            self.router.from_forward(holder[0], message)
            return True

        link = Link(
            transport,
            Channel(system_id=self.system_id, component_id=self.component_id),
            from_forward,
        )
        forward = Forward(link, system_id)
        holder.append(forward)
        self.router.forwards.append(forward)
        self._start(self._supervise(link), f"forward {link.name}")
        return forward

    # -- vehicles ------------------------------------------------------------------------------

    def _deliver(
        self, link: Link, message: Any, verdict: Verdict, binding: Binding | None = None
    ) -> None:
        system_id = message.get_srcSystem()
        key = system_id if binding is None else binding.vehicle_id
        vehicle = self.vehicles.get(key)
        if verdict is not Verdict.TRUSTED:
            if verdict is Verdict.SPOOFED and vehicle is not None and binding is not None:
                vehicle.state.spoofed_frames = binding.spoofed_frames
                vehicle.state.last_spoof_source = binding.last_spoof_source
            return
        if vehicle is None:
            if (
                message.get_type() != "HEARTBEAT"
                or message.type == MAV_TYPE_GCS
                or message.autopilot == MAV_AUTOPILOT_INVALID
            ):
                return
            def send(outgoing: Any, vid: int = key) -> None:
                self._send_to(vid, outgoing)

            def set_link_signing(signing_key: bytes, vid: int = key) -> None:
                route = self.router.link_of(vid)
                if route is not None:
                    route.channel.set_signing_key(signing_key, require=self.require_signing)

            def link_verifies(vid: int = key) -> bool:
                route = self.router.link_of(vid)
                return route is not None and route.channel.verifies

            vehicle = Vehicle(
                system_id,
                message.get_srcComponent(),
                send,
                bus=self.bus,
                autopilot=autopilot_for(message.autopilot),
                telemetry_rate_hz=self.telemetry_rate_hz,
                ack_timeout_s=self.ack_timeout_s,
                set_link_signing=set_link_signing,
                link_verifies=link_verifies,
                limits=self.limits,
                publish_alarm=self._publish_alarm,
                drone_id=key,
            )
            self.vehicles[key] = vehicle
            if self.bus is not None:
                self.bus.publish("vehicle.status", {
                    "drone_id": key, "system_id": system_id, "event": "appeared",
                    "link": link.name, "autopilot": vehicle.autopilot.name})
            if self.request_streams:
                self._needs_streams.add(key)
                self._start(self._request_streams(key, vehicle), f"streams {key}")
            self._appeared.set()
            self._appeared = asyncio.Event()
        vehicle.handle(message)
        if self.on_update is not None:
            self.on_update(vehicle, message)

    def reidentify(self) -> list[int]:
        """The register changed: see :meth:`LinkTrust.reidentify`. A vehicle dropped here gets
        no more frames or commands (it goes link lost) until its source proves it again."""
        return self.trust.reidentify()

    def _send_to(self, vehicle_id: int, message: Any) -> None:
        self.router.send_to(vehicle_id, message)

    def quarantined(self) -> list[dict[str, Any]]:
        """System ids heard but not trusted (unregistered, reserved, or a second id from one
        source without a register), for an admin: never vehicles, never commanded."""
        return self.trust.quarantined()

    def link_trust(self) -> list[dict[str, Any]]:
        """Each vehicle's bound source and the traffic for it refused from elsewhere."""
        return [
            {
                "drone_id": b.vehicle_id,
                "system_id": b.system_id,
                "source": b.source,
                "spoofed_frames": b.spoofed_frames,
                "last_spoof_source": b.last_spoof_source,
            }
            for _, b in sorted(self.trust.bindings.items())
        ]

    def _save_signing_streams(self) -> None:
        """Hand the stream timestamps that changed to the stream store, with the platform's
        own outgoing stream (link id 0, our ids): the newest timestamp any link signed."""
        streams = dict(self.signing_streams)
        signed = [link.channel.signing_timestamp for link in self.router.links
                  if link.channel.signed]
        if signed:
            own = (0, self.system_id, self.component_id)
            streams[own] = max(streams.get(own, 0), *signed)
        if streams != self._streams_saved:
            try:
                self._stream_store.save(streams)
            except OSError:
                return  # retried on the next tick
            self._streams_saved = streams

    async def _request_streams(self, key: int, vehicle: Vehicle) -> None:
        self._needs_streams.discard(key)
        try:
            vehicle.streams_method = await streams.request_streams(vehicle.commands, vehicle._send)
        except FlightError:
            self._needs_streams.add(key)

    async def wait_vehicle(self, system_id: int | None = None, timeout_s: float = 15.0) -> Vehicle:
        """The vehicle with ``system_id`` (any vehicle when None), once it has appeared."""
        try:
            async with asyncio.timeout(timeout_s):
                while True:
                    if system_id is None and self.vehicles:
                        return next(iter(self.vehicles.values()))
                    if system_id is not None and system_id in self.vehicles:
                        return self.vehicles[system_id]
                    await self._appeared.wait()
        except TimeoutError:
            raise VehicleTimeout(
                f"no HEARTBEAT from vehicle {system_id if system_id is not None else '(any)'} "
                f"within {timeout_s:g} s",
                field="timeout_s",
                value=timeout_s,
            ) from None

    # -- housekeeping --------------------------------------------------------------------------

    def _gcs_heartbeat(self) -> Any:
        return mavlink.MAVLink_heartbeat_message(
            MAV_TYPE_GCS, MAV_AUTOPILOT_INVALID, 0, 0, mavlink.MAV_STATE_ACTIVE, 3
        )

    async def _housekeeping(self) -> None:
        tick_s = min(self.heartbeat_interval_s, max(0.05, self.link_lost_after_s / 4))
        since_heartbeat_s = self.heartbeat_interval_s
        since_save_s = 0.0
        while True:
            self.trust.expire()
            if since_save_s >= STREAMS_SAVE_INTERVAL_S:
                since_save_s = 0.0
                self._save_signing_streams()
                self._log_signing_refusals()
            if since_heartbeat_s >= self.heartbeat_interval_s:
                since_heartbeat_s = 0.0
                self.router.broadcast(self._gcs_heartbeat())
            for key, vehicle in self.vehicles.items():
                was_lost = vehicle.state.link_lost
                vehicle.check_link(self.link_lost_after_s)
                if was_lost and not vehicle.state.link_lost:
                    self._needs_streams.add(key)
            for key in list(self._needs_streams):
                vehicle = self.vehicles[key]
                if not vehicle.state.link_lost and self.request_streams:
                    self._start(self._request_streams(key, vehicle), f"streams {key}")
            await asyncio.sleep(tick_s)
            since_heartbeat_s += tick_s
            since_save_s += tick_s

    def _log_signing_refusals(self) -> None:
        """Say in the log when a link drops frames by signing: most often a drone that was
        never given its key (or has another one), which otherwise never appears."""
        now_s = asyncio.get_running_loop().time()
        for link in self.router.links:
            refused = link.channel.counters.signing_rejected
            logged, at_s = self._refusals_logged.get(link, (0, -SIGNING_REFUSALS_LOG_INTERVAL_S))
            if refused > logged and now_s - at_s >= SIGNING_REFUSALS_LOG_INTERVAL_S:
                log.warning(
                    "link %s: %d frames refused by MAVLink signing (unsigned or another key); "
                    "a drone on it may need `jinghang signing provision`",
                    link.name, refused - logged)
                self._refusals_logged[link] = (refused, now_s)

    # -- statistics ----------------------------------------------------------------------------

    def link_counters(self) -> dict[str, dict[str, int]]:
        out = {}
        for link in self.router.links:
            c = link.channel.counters
            entry = {"received": c.received, "bad": c.bad,
                     "signing_rejected": c.signing_rejected, "sent": c.sent}
            if isinstance(link.transport, TcpClientTransport):
                entry["reconnects"] = link.transport.reconnects
            out[link.name] = entry
        return out


def signing_keys_of(settings: Settings) -> Callable[[int], bytes | None] | None:
    """Each drone's signing key (by drone id) from the settings' master key; None (and a log
    line saying so) when signing is off or there is no master key (the demo built in code,
    tests)."""
    if settings.signing == "off":
        log.warning("MAVLink signing is OFF (signing=off): links accept unsigned frames")
        return None
    master = settings.signing_master_key()
    if master is None:
        log.warning("MAVLink signing is off: no signing master key given (`jinghang serve` "
                    "refuses this outside the demo)")
        return None
    log.info("MAVLink signing is on: every drone signs with its own derived key")
    return DroneKeys(master).key_for
