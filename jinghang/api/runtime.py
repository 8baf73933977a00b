"""Assembling a server from its settings: the store, the bus, the fleet and (as they exist)
the dispatcher, the patrol scheduler and the video gateway, ready for ``create_app``.

Users and vehicles listed in the settings are created (or updated) in the store at start.
The fleet knows a drone by the register (:mod:`jinghang.api.identities`): its drone id, the
link it is reached on and the MAVLink system id it speaks there.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from jinghang.api import accounts, register
from jinghang.api.accounts import UserCreate
from jinghang.api.audit import audit_key_of
from jinghang.api.identities import DroneIdentities
from jinghang.api.serve_settings import ServeSettings
from jinghang.api.services import Services
from jinghang.api.zones import no_fly_zones
from jinghang.dispatch.clock import Clock
from jinghang.dispatch.dispatcher import Dispatcher
from jinghang.dispatch.patrols import PatrolScheduler
from jinghang.dispatch.planning import Limits
from jinghang.events import EventBus
from jinghang.flight import Fleet
from jinghang.store.engine import open_store
from jinghang.store.signing_streams import SigningStreamStore
from jinghang.store.writer import StoreWriter
from jinghang.supervisor import ComponentState

log = logging.getLogger(__name__)


def build_services(settings: ServeSettings, *, clock: Clock | None = None,
                   bus: EventBus | None = None, fleet: Any | None = None) -> Services:
    """Open the store, seed it, and build the fleet, the dispatcher and the patrol scheduler
    (on ``clock``, the wall clock by default). An API node (:mod:`jinghang.roles`) gives its
    own ``bus`` and ``fleet``; by default they are in-process."""
    bus = bus if bus is not None else EventBus()
    store = open_store(settings.database_url, audit_key=audit_key_of(settings))
    services = Services(settings=settings, bus=bus, store=store)
    for user in settings.users:
        accounts.ensure_user(
            services,
            UserCreate(
                username=user.username,
                password=user.password,
                role=user.role,
                full_name=user.full_name,
            ),
        )
    for vehicle in settings.vehicles:
        register.ensure_vehicle(services, vehicle)
    services.writer = store_writer(services)
    identities = services.identities = DroneIdentities(store)
    if fleet is None:
        fleet = Fleet.from_settings(
            settings, bus, identify=identities.identify,
            signing_streams=SigningStreamStore(store, services.writer),
        )
        identities.on_change = fleet.reidentify
    services.fleet = fleet
    add_dispatcher(services, clock=clock)
    add_video(services, {v.drone_id: v.video_source_url for v in settings.vehicles})
    return services


def add_video(services: Services, sources: dict[int, str]) -> None:
    """A video gateway relaying each drone's camera (those with a source URL), and the
    recording of every dispatched flight into the audit trail."""
    sources = {sid: url for sid, url in sources.items() if url}
    if not sources:
        return
    from jinghang.api.recording import FlightRecording
    from jinghang.api.video_telemetry import fleet_osd_source
    from jinghang.video.gateway import VideoGateway

    gateway = services.video_gateway or VideoGateway.from_settings(services.settings)
    services.video_gateway = gateway
    for drone_id, url in sorted(sources.items()):
        gateway.add_drone(str(drone_id), url, fleet_osd_source(services, str(drone_id)))
    recorder = FlightRecording(services, Path(services.settings.recordings_dir))
    services.runners["flight-recording"] = recorder.run
    if services.settings.gb28181.enabled:
        from jinghang.video.gb28181.device import Gb28181Device

        services.runners["gb28181"] = Gb28181Device(services.settings.gb28181,
                                                    gateway.relays).run


def store_writer(services: Services) -> StoreWriter:
    """The writer of the dispatcher's store writes: its state is in health (``store-writer``),
    and a write it had to drop raises a ``component.stopped`` alert."""

    def state(ok: bool, error: str | None) -> None:
        services.supervisor.report(
            "store-writer", ComponentState.RUNNING if ok else ComponentState.RESTARTING,
            error=error, announce=False)  # an alert would be written to the same database

    def dropped(what: str, error: str) -> None:
        if services.alerts is not None:
            services.alerts.raise_code("component.stopped", {
                "component": "store-writer", "error": f"{what}: {error}"})

    return StoreWriter(services.store, on_state=state, on_dropped=dropped)


def add_dispatcher(services: Services, *, clock: Clock | None = None, **options: Any) -> None:
    """Give ``services`` (which has its fleet) a dispatcher and a patrol scheduler."""
    settings = services.settings
    if services.writer is None:
        services.writer = store_writer(services)
    options.setdefault("writer", services.writer)
    dispatcher = Dispatcher(
        services.store,
        services.fleet,
        services.bus,
        no_fly=no_fly_zones(settings),
        limits=Limits(
            altitude_ceiling_m=settings.altitude_ceiling_m,
            reserve_pct=settings.battery_reserve_pct,
            landed_away_m=settings.landed_away_m,
        ),
        clock=clock,
        **options,
    )
    services.dispatcher = dispatcher
    services.patrols = PatrolScheduler(dispatcher, clock=clock)
