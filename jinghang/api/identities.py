"""Who a drone is on the wire, from the register: (link, MAVLink system id) -> drone id.

``jinghang serve`` gives the fleet :meth:`DroneIdentities.identify` (see
:class:`jinghang.flight.trust.VehicleKey`), so system ids are per link: any number of drones may
each speak system 1, each on its own link, and the fleet keys them by their drone id. A
register row names the drone it describes by ``drone_id``, is reached on ``link`` (a configured
link's connection string; "" = any link, the exact link wins) and speaks ``mavlink_system_id``
there (None = its drone id). Retired drones are not named; a source the register does not
name stays in quarantine.

The map is read from the database once and kept: the fleet asks on heartbeats from sources
it has not bound, never per frame from bound ones, and never waits on the database on its
loop while the map is warm. The register's writers call :meth:`DroneIdentities.changed`, which
drops the map and has the fleet re-check its bindings (a drone moved or removed takes effect
without a restart).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlmodel import select

from jinghang.flight.trust import VehicleKey
from jinghang.store.models import Vehicle, VehicleStatus

#: (link, system id) -> drone id; link "" means any link
IdentityMap = dict[tuple[str, int], int]


def wire_identity(
    drone_id: int, link: str | None, mavlink_system_id: int | None
) -> tuple[str, int]:
    """The (link, system id) a register row names its drone by."""
    return (link or "", drone_id if mavlink_system_id is None else mavlink_system_id)


class DroneIdentities:
    """The register's identities, cached until the register changes."""

    def __init__(self, store: Any) -> None:
        self._store = store
        self._map: IdentityMap | None = None
        #: called after each change (``jinghang serve``: the fleet's ``reidentify``)
        self.on_change: Callable[[], object] | None = None

    def load(self) -> IdentityMap:
        """The map, read from the register when it is not cached."""
        cached = self._map
        if cached is not None:
            return cached
        with self._store.read_session() as session:
            rows = session.execute(
                select(  # type: ignore[call-overload]
                    Vehicle.drone_id, Vehicle.link, Vehicle.mavlink_system_id
                ).where(Vehicle.status != VehicleStatus.RETIRED.value)
            ).all()
        fresh: IdentityMap = {}
        for drone_id, link, mavlink_system_id in sorted(rows):
            fresh.setdefault(wire_identity(drone_id, link, mavlink_system_id), drone_id)
        self._map = fresh
        return fresh

    def identify(self, key: VehicleKey) -> int | None:
        """The drone a source speaking a system id on link ``key.link`` is, or None."""
        known = self.load()
        speaks = key.system_id  # identity-rename: keep (the MAVLink system id)
        found = known.get((key.link, speaks))
        return found if found is not None else known.get(("", speaks))

    def changed(self) -> None:
        """The register changed: forget the map and let the fleet re-check its bindings."""
        self._map = None
        if self.on_change is not None:
            self.on_change()
