"""Where drones land. A drone that comes down farther than ``limits.landed_away_m`` from its
registered base (a pilot pressed Land in the street, a failsafe set it down) is marked
``landed_away`` in the fleet register — not available, so drone choice never counts its range
from the street — until it lands at its base again or a user marks it recovered. Each change
is audited (``vehicle.status``) and published: ``vehicle.status`` and the coded ``sortie``
events ``drone.landed_away``, ``drone.home``, ``drone.recovered``."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from jinghang.dispatch.journal import Journal
from jinghang.dispatch.planning import Limits
from jinghang.dispatch.selection import distance_m
from jinghang.errors import DispatchError
from jinghang.events import EventBus
from jinghang.store import (
    Store,
    VehicleStatus,
    append_audit,
    get_vehicle,
    set_vehicle_status,
)
from jinghang.store.errors import NotFound

#: Above this height (m) an armed drone counts as in the air.
AIRBORNE_M = 1.0


class Landings:
    """Watches the fleet land; see the module docstring."""

    def __init__(self, store: Store, bus: EventBus, fleet: Any, journal: Journal,
                 limits: Limits, wake: Callable[[], None], actor: str = "dispatcher") -> None:
        self.store = store
        self.bus = bus
        self.fleet = fleet
        self.journal = journal
        self.limits = limits
        self.wake = wake
        self.actor = actor
        #: Drones seen in the air (armed, climbing) since they last landed.
        self.airborne: set[int] = set()

    def watch(self) -> None:
        """One look at every linked drone: one that was in the air and is disarmed landed."""
        for sid, vehicle in list(self.fleet.vehicles.items()):
            state = vehicle.state
            if state.link_lost or not state.has_position:
                continue
            if state.armed:
                alt = state.relative_altitude_m
                if not math.isnan(alt) and alt > AIRBORNE_M:
                    self.airborne.add(sid)
                continue
            if sid in self.airborne:
                self.airborne.discard(sid)
                self.landed(sid, None)

    def forget(self, drone_id: int) -> None:
        """The drone's landing was handled by the flight that followed it."""
        self.airborne.discard(drone_id)

    def landed(self, drone_id: int, sortie_id: int | None) -> None:
        """A drone is down: ``landed_away`` when farther than the setting from its base,
        available again when it came home."""
        vehicle = self.fleet.vehicles.get(drone_id)
        if vehicle is None or not vehicle.state.has_position:
            return
        with self.store.read_session() as s:
            try:
                registered = get_vehicle(s, drone_id)
            except NotFound:
                return
        here = (vehicle.state.latitude_deg, vehicle.state.longitude_deg)
        base = (registered.base_latitude_deg, registered.base_longitude_deg)
        away_m = distance_m(here, base)
        status = registered.status
        if away_m > self.limits.landed_away_m:
            if status == VehicleStatus.LANDED_AWAY:
                return
            self._set_status(drone_id, VehicleStatus.LANDED_AWAY, actor=self.actor,
                             details={"distance_m": round(away_m), "latitude_deg": here[0],
                                      "longitude_deg": here[1]})
            self.journal.event("sortie", "drone.landed_away", drone_id=drone_id,
                               drone=registered.name, sortie_id=sortie_id,
                               distance_m=round(away_m), limit_m=self.limits.landed_away_m,
                               latitude_deg=here[0], longitude_deg=here[1])
        elif status == VehicleStatus.LANDED_AWAY:
            self._set_status(drone_id, VehicleStatus.AVAILABLE, actor=self.actor,
                             details={"distance_m": round(away_m), "why": "flown home"})
            self.journal.event("sortie", "drone.home", drone_id=drone_id,
                               drone=registered.name, distance_m=round(away_m))
            self.wake()

    def mark_recovered(self, drone_id: int, *, actor: str) -> None:
        """A user says a drone that landed away is back at its base (carried home)."""
        with self.store.read_session() as s:
            registered = get_vehicle(s, drone_id)
        if registered.status != VehicleStatus.LANDED_AWAY:
            raise DispatchError(f"vehicle {drone_id} is not landed away (it is "
                                f"{registered.status.value})", field="drone_id",
                                value=drone_id, code="drone.not_landed_away")
        self._set_status(drone_id, VehicleStatus.AVAILABLE, actor=actor,
                         details={"why": "marked recovered"})
        self.journal.event("sortie", "drone.recovered", drone_id=drone_id,
                           drone=registered.name, actor=actor)
        self.wake()

    def _set_status(self, drone_id: int, status: VehicleStatus, *, actor: str,
                    details: dict[str, Any]) -> None:
        with self.journal.tx() as s:
            current = get_vehicle(s, drone_id).status.value
            set_vehicle_status(s, drone_id, status)
            append_audit(s, actor=actor, action="vehicle.status", target_type="vehicle",
                         target_id=drone_id,
                         details={"from": current, "to": status.value, **details})
        self.bus.publish("vehicle.status", {"drone_id": drone_id, "from_status": current,
                                            "status": status.value})
