"""Assembling a server from its settings: the store, the bus, the fleet and (as they exist)
the dispatcher, the patrol scheduler and the video gateway, ready for ``create_app``.

Users and vehicles listed in the settings are created (or updated) in the store at start.
"""

from __future__ import annotations

import logging

from jinghang.api import accounts, register
from jinghang.api.accounts import UserCreate
from jinghang.api.serve_settings import ServeSettings
from jinghang.api.services import Services
from jinghang.events import EventBus
from jinghang.flight import Fleet
from jinghang.store.engine import open_store

log = logging.getLogger(__name__)


def signing_key_of(settings: ServeSettings) -> bytes | None:
    return bytes.fromhex(settings.signing_key_hex) if settings.signing_key_hex else None


def build_services(settings: ServeSettings) -> Services:
    """Open the store, seed it, and build the fleet and the services around it."""
    bus = EventBus()
    store = open_store(settings.database_url)
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
    services.fleet = Fleet(
        bus, link_lost_after_s=settings.link_lost_after_s, signing_key=signing_key_of(settings)
    )
    return services
