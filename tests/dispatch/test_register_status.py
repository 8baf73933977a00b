"""The fleet register's status follows the dispatcher's lifecycle (assigned, flying,
returning, lost, available) and leaves an admin's maintenance alone."""

from __future__ import annotations

from pathlib import Path

from jinghang.dispatch.flights import Flight, Phase
from jinghang.dispatch.register_status import RegisterStatus, desired_statuses
from jinghang.events import EventBus
from jinghang.store import (
    VehicleCreate,
    VehicleStatus,
    get_vehicle,
    list_audit,
    open_store,
    register_vehicle,
    set_vehicle_status,
)


def _flight(drone_id: int, phase: Phase, *, lost: bool = False) -> Flight:
    flight = Flight(drone_id, 10 + drone_id, [], 1, 2, incident_id=drone_id, phase=phase)
    flight.lost_since = 1.0 if lost else None
    return flight


def test_each_lifecycle_step_has_its_register_status() -> None:
    flights = {2: _flight(2, Phase.EN_ROUTE), 3: _flight(3, Phase.ON_SCENE),
               4: _flight(4, Phase.RETURNING), 5: _flight(5, Phase.ON_SCENE, lost=True)}
    busy = {1: "incident 1", **{sid: f"incident {sid}" for sid in flights}}
    wanted = desired_statuses([1, 2, 3, 4, 5, 6], busy, flights)
    assert wanted == {1: VehicleStatus.ASSIGNED, 2: VehicleStatus.FLYING,
                      3: VehicleStatus.FLYING, 4: VehicleStatus.RETURNING,
                      5: VehicleStatus.LOST, 6: VehicleStatus.AVAILABLE}


def test_sync_writes_changes_audits_them_and_leaves_maintenance_alone(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'register.db'}")
    bus = EventBus()
    try:
        with store.transaction() as s:
            for sid in (1, 2):
                register_vehicle(s, VehicleCreate(drone_id=sid, name=f"JH-{sid}",
                                                  base_latitude_deg=37.5,
                                                  base_longitude_deg=122.1))
            set_vehicle_status(s, 2, VehicleStatus.MAINTENANCE)
        register = RegisterStatus(store, bus)
        flights = {1: _flight(1, Phase.EN_ROUTE), 2: _flight(2, Phase.EN_ROUTE)}
        changed = register.sync({1: "incident 1", 2: "incident 2"}, flights)
        assert changed == [(1, "available", "flying")]
        assert register.sync({1: "incident 1"}, flights) == []  # nothing new: nothing written
        flights[1].phase = Phase.RETURNING
        assert register.sync({1: "incident 1"}, flights) == [(1, "flying", "returning")]
        assert register.sync({}, {}) == [(1, "returning", "available")]
        # lost in flight, then the flight is given up (or the server restarts): still lost
        # until the drone is heard again
        flights[1].lost_since = 5.0
        assert register.sync({1: "incident 1"}, flights, linked=set()) == [
            (1, "available", "lost")]
        assert register.sync({}, {}, linked=set()) == []
        assert register.sync({}, {}, linked={1}) == [(1, "lost", "available")]
        with store.read_session() as s:
            assert get_vehicle(s, 1).status == VehicleStatus.AVAILABLE
            assert get_vehicle(s, 2).status == VehicleStatus.MAINTENANCE
            trail = [(a.target_id, a.details) for a in list_audit(s, action="vehicle.status")]
        assert ("1", {"from": "available", "to": "flying"}) in trail
        assert all(target == "1" for target, _ in trail)
    finally:
        store.close()
