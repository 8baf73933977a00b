"""The fleet register's status written back from the dispatcher's own lifecycle.

:func:`desired_statuses` is pure: from what the dispatcher has each drone doing (``busy``) and
the flights it follows, the status the register should show — ``assigned`` (chosen, waiting
for a confirmation or being launched), ``flying`` (en route, on scene, or with a pilot),
``returning``, ``lost`` (the link is down during a flight), else ``available``.
:class:`RegisterStatus` writes the differences to the store (and the audit trail), never
touching a status an admin owns (``maintenance``, ``offline``, ``retired``); on the
dispatcher's loop (:meth:`RegisterStatus.safe_sync`) through the store writer, so that a
drone's status change never waits on the database.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping
from functools import partial
from typing import Any

from sqlmodel import Session

from jinghang.dispatch.flights import Flight, Phase
from jinghang.events import EventBus
from jinghang.store import (
    DISPATCHER_STATUSES,
    Store,
    VehicleStatus,
    append_audit,
    get_vehicle,
    list_vehicles,
    set_vehicle_status,
)
from jinghang.store.writer import StoreWriter

log = logging.getLogger(__name__)


def flight_status(flight: Flight) -> VehicleStatus:
    """The register status of a drone the dispatcher follows in ``flight``."""
    if flight.lost_since is not None:
        return VehicleStatus.LOST
    if flight.phase == Phase.LAUNCHING:
        return VehicleStatus.ASSIGNED
    if flight.phase >= Phase.RETURNING:
        return VehicleStatus.RETURNING
    return VehicleStatus.FLYING


def desired_statuses(
    drone_ids: list[int], busy: Mapping[int, str], flights: Mapping[int, Flight]
) -> dict[int, VehicleStatus]:
    """The status each of ``drone_ids`` should have in the register now."""
    out: dict[int, VehicleStatus] = {}
    for sid in drone_ids:
        flight = flights.get(sid)
        if flight is not None:
            out[sid] = flight_status(flight)
        elif sid in busy:
            out[sid] = VehicleStatus.ASSIGNED
        else:
            out[sid] = VehicleStatus.AVAILABLE
    return out


class RegisterStatus:
    """Keeps the register's status of each drone true to the dispatcher's lifecycle."""

    def __init__(self, store: Store, bus: EventBus, actor: str = "dispatcher",
                 writer: StoreWriter | None = None) -> None:
        self.store = store
        self.bus = bus
        self.actor = actor
        self.writer = writer
        #: drone id -> the status handed to the writer and not yet written.
        self._posted: dict[int, str] = {}

    def _todo(self, busy: Mapping[int, str], flights: Mapping[int, Flight],
              linked: Collection[int] | None) -> list[tuple[int, str, VehicleStatus]]:
        with self.store.read_session() as session:  # no write lock when nothing changed
            registered = list_vehicles(session)
        wanted = desired_statuses([v.drone_id for v in registered], busy, flights)
        if linked is not None:
            for v in registered:
                if (v.status == VehicleStatus.LOST and v.drone_id not in linked
                        and v.drone_id not in flights):
                    wanted[v.drone_id] = VehicleStatus.LOST
        return [(v.drone_id, v.status.value, wanted[v.drone_id]) for v in registered
                if v.status.value in DISPATCHER_STATUSES
                and self._posted.get(v.drone_id, v.status.value) != wanted[v.drone_id].value]

    def _write(self, session: Session, todo: list[tuple[int, str, VehicleStatus]]
               ) -> list[tuple[int, str, str]]:
        changed: list[tuple[int, str, str]] = []
        for drone_id, _, target in todo:
            current = get_vehicle(session, drone_id).status.value  # not changed since?
            if current not in DISPATCHER_STATUSES or current == target.value:
                continue
            set_vehicle_status(session, drone_id, target)
            append_audit(session, actor=self.actor, action="vehicle.status",
                         target_type="vehicle", target_id=drone_id,
                         details={"from": current, "to": target.value})
            changed.append((drone_id, current, target.value))
        return changed

    def _announce(self, changed: list[tuple[int, str, str]]) -> None:
        for drone_id, old, new in changed:
            log.info("vehicle %s: register status %s -> %s", drone_id, old, new)
            self.bus.publish("vehicle.status", {"drone_id": drone_id, "from_status": old,
                                                "status": new})

    def sync(self, busy: Mapping[int, str], flights: Mapping[int, Flight],
             linked: Collection[int] | None = None) -> list[tuple[int, str, str]]:
        """Write the statuses that changed now; ``(drone id, from, to)`` for each write.

        A drone the register shows ``lost`` stays lost until its link is back (``linked``:
        the drone ids heard now), also when its flight was given up or the server restarted.
        """
        todo = self._todo(busy, flights, linked)
        if not todo:
            return []
        with self.store.transaction() as session:
            changed = self._write(session, todo)
        self._announce(changed)
        return changed

    def safe_sync(self, busy: Mapping[int, str], flights: Mapping[int, Flight],
                  linked: Collection[int] | None = None) -> Any:
        """:meth:`sync` handed to the writer (when there is one; announced once written),
        logging (not raising) a store failure: the flight goes on."""
        try:
            if self.writer is None:
                return self.sync(busy, flights, linked)
            todo = self._todo(busy, flights, linked)
        except Exception:
            log.exception("writing the fleet register status failed")
            return []
        if not todo:
            return []
        for drone_id, _, target in todo:
            self._posted[drone_id] = target.value

        def done(changed: object) -> None:
            for drone_id, _, target in todo:
                if self._posted.get(drone_id) == target.value:
                    del self._posted[drone_id]
            if isinstance(changed, list):
                self._announce(changed)

        self.writer.post(partial(self._write, todo=todo), what="fleet register status",
                         on_done=done, on_error=done)
        return []
