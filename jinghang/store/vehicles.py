"""The fleet register: the drones the platform knows, how to reach them, what they carry."""

from __future__ import annotations

from sqlmodel import Session, col, select

from jinghang.store.errors import AlreadyExists, NotFound
from jinghang.store.models import Vehicle, VehicleStatus, utc_now
from jinghang.store.schemas import VehicleCreate, VehiclePublic, VehicleUpdate


def register_vehicle(session: Session, data: VehicleCreate) -> VehiclePublic:
    """Add a drone; :class:`AlreadyExists` when its drone id is taken."""
    taken = session.exec(select(Vehicle).where(Vehicle.drone_id == data.drone_id)).first()
    if taken is not None:
        raise AlreadyExists(
            f"drone id {data.drone_id} is already registered (as {taken.name!r})",
            field="drone_id",
            value=data.drone_id,
        )
    values = data.model_dump()
    values["status"] = data.status.value
    vehicle = Vehicle(**values, created_at=utc_now(), updated_at=utc_now())
    session.add(vehicle)
    session.flush()
    return VehiclePublic.model_validate(vehicle)


def _by_drone_id(session: Session, drone_id: int) -> Vehicle:
    vehicle = session.exec(select(Vehicle).where(Vehicle.drone_id == drone_id)).first()
    if vehicle is None:
        raise NotFound(f"no vehicle with drone id {drone_id}", field="drone_id", value=drone_id)
    return vehicle


def get_vehicle(session: Session, drone_id: int) -> VehiclePublic:
    return VehiclePublic.model_validate(_by_drone_id(session, drone_id))


def list_vehicles(session: Session, *, include_retired: bool = False) -> list[VehiclePublic]:
    query = select(Vehicle).order_by(col(Vehicle.drone_id))
    if not include_retired:
        query = query.where(Vehicle.status != VehicleStatus.RETIRED.value)
    return [VehiclePublic.model_validate(v) for v in session.exec(query).all()]


def update_vehicle(session: Session, drone_id: int, data: VehicleUpdate) -> VehiclePublic:
    vehicle = _by_drone_id(session, drone_id)
    for key, value in data.model_dump(exclude_unset=True, exclude_none=True).items():
        setattr(vehicle, key, value.value if isinstance(value, VehicleStatus) else value)
    vehicle.updated_at = utc_now()
    session.add(vehicle)
    session.flush()
    return VehiclePublic.model_validate(vehicle)


def set_vehicle_status(session: Session, drone_id: int, status: VehicleStatus) -> VehiclePublic:
    return update_vehicle(session, drone_id, VehicleUpdate(status=status))
