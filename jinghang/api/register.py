"""The fleet register for the API: registered drones (``jinghang.store``'s ``vehicles``
table) joined with their live state from ``jinghang.flight``."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Field, model_validator
from sqlmodel import select

from jinghang.api.identities import wire_identity
from jinghang.api.live import live_vehicles, state_to_dict
from jinghang.api.services import Services
from jinghang.errors import JinghangError
from jinghang.limits import MAVLINK_SYSTEM_IDS
from jinghang.store.models import Vehicle, VehicleStatus, utc_now
from jinghang.store.schemas import DroneIdField, LinkField, MavlinkSystemIdField
from jinghang.video.source_address import redact_url


class VehicleNotFound(JinghangError):
    code = "fleet.vehicle_not_found"
    status_code = 404
    title = "Vehicle not found"


class VehicleExists(JinghangError):
    code = "fleet.vehicle_exists"
    status_code = 409
    title = "Vehicle exists"


#: A payload's name ("camera", "loudspeaker"); a drone lists at most :data:`MAX_PAYLOADS`.
PayloadName = Annotated[str, Field(min_length=1, max_length=32)]
MAX_PAYLOADS = 32


class NoSystemId(JinghangError):
    code = "fleet.no_system_id"
    status_code = 422
    title = "No MAVLink system id"


class WireIdentityTaken(JinghangError):
    code = "fleet.wire_identity_taken"
    status_code = 409
    title = "Link and system id taken"


class VehicleCreate(BaseModel):
    drone_id: DroneIdField
    name: str = Field(min_length=1, max_length=64)
    connection: str = Field(default="", max_length=256)
    #: the configured link it is reached on ("" = any link) and the MAVLink system id it
    #: speaks there (None = the same as ``drone_id``)
    link: LinkField = ""
    mavlink_system_id: MavlinkSystemIdField = None
    base_latitude_deg: float = Field(ge=-90, le=90)
    base_longitude_deg: float = Field(ge=-180, le=180)
    base_altitude_m: float = Field(default=0.0, ge=-500, le=9000)
    payloads: list[PayloadName] = Field(default_factory=lambda: ["camera"],
                                        max_length=MAX_PAYLOADS)
    video_source_url: str = Field(default="", max_length=512)
    cruise_speed_m_s: float = Field(default=10.0, gt=0, le=40)
    endurance_s: float = Field(default=1800.0, gt=0, le=36000)

    @model_validator(mode="before")
    @classmethod
    def _older_spelling(cls, data: Any) -> Any:
        """A settings file from before drone ids spells the key the older way: take it."""
        older = "system_id"  # identity-rename: keep (the key's spelling before 0009)
        if isinstance(data, dict) and older in data and "drone_id" not in data:
            data = {("drone_id" if k == older else k): v for k, v in data.items()}
        return data


class VehicleUpdate(BaseModel):
    status: VehicleStatus | None = None
    #: the link and system id it speaks there (``mavlink_system_id: null`` = its drone id)
    link: LinkField | None = None
    mavlink_system_id: MavlinkSystemIdField = None
    payloads: list[PayloadName] | None = Field(default=None, max_length=MAX_PAYLOADS)
    video_source_url: str | None = Field(default=None, max_length=512)


class VehicleView(BaseModel):
    drone_id: int
    name: str
    link: str = ""
    mavlink_system_id: int | None = None
    registered: bool
    status: str
    base_latitude_deg: float | None = None
    base_longitude_deg: float | None = None
    payloads: list[str] = Field(default_factory=list)
    video_source_url: str = ""
    connected: bool
    live: dict[str, Any] | None = None
    #: What the dispatcher has the drone doing ("incident 4", "patrol run 2"), if anything.
    busy_with: str | None = None


_REGISTER_COLUMNS = (
    Vehicle.drone_id,
    Vehicle.name,
    Vehicle.link,
    Vehicle.mavlink_system_id,
    Vehicle.status,
    Vehicle.base_latitude_deg,
    Vehicle.base_longitude_deg,
    Vehicle.payloads,
    Vehicle.video_source_url,
)


def _view_dict(
    row: Any | None, drone_id: int, vehicle: Any | None, busy_with: str | None = None
) -> dict[str, Any]:
    """One fleet entry as plain JSON (the shape of :class:`VehicleView`)."""
    live = state_to_dict(vehicle.state) if vehicle is not None else None
    connected = live is not None and not live.get("link_lost", False)
    if row is None:
        return {
            "drone_id": drone_id,
            "name": f"drone-{drone_id}",
            "registered": False,
            "status": "unregistered",
            "base_latitude_deg": None,
            "base_longitude_deg": None,
            "payloads": [],
            "video_source_url": "",
            "connected": connected,
            "live": live,
            "busy_with": busy_with,
        }
    return {
        "drone_id": row.drone_id,
        "name": row.name,
        "link": row.link,
        "mavlink_system_id": row.mavlink_system_id,
        "registered": True,
        "status": row.status,
        "base_latitude_deg": row.base_latitude_deg,
        "base_longitude_deg": row.base_longitude_deg,
        "payloads": list(row.payloads or []),
        "video_source_url": redact_url(row.video_source_url),  # camera passwords stay here
        "connected": connected,
        "live": live,
        "busy_with": busy_with,
    }


def busy_of(services: Services) -> dict[int, str]:
    """What each drone is doing for the dispatcher ("incident 4", "patrol run 2")."""
    dispatcher = services.dispatcher
    return dict(getattr(dispatcher, "busy", {}) or {}) if dispatcher is not None else {}


def _view(row: Any | None, drone_id: int, vehicle: Any | None, services: Services) -> VehicleView:
    return VehicleView(**_view_dict(row, drone_id, vehicle, busy_of(services).get(drone_id)))


def fleet_view(services: Services, busy: dict[int, str] | None = None) -> list[dict[str, Any]]:
    """Every registered drone, then every live but unregistered one, as JSON dicts (the fleet
    view is the most polled request: no ORM objects and no second validation on the way).
    ``busy`` is :func:`busy_of` when the caller has already read it."""
    live = live_vehicles(services)
    with services.store.read_session() as session:
        rows = session.execute(
            select(*_REGISTER_COLUMNS).order_by(Vehicle.drone_id)  # type: ignore[call-overload]
        ).all()
    if busy is None:
        busy = busy_of(services)
    views = [
        _view_dict(row, row.drone_id, live.get(row.drone_id), busy.get(row.drone_id))
        for row in rows
    ]
    known = {row.drone_id for row in rows}
    views += [
        _view_dict(None, sid, v, busy.get(sid))
        for sid, v in sorted(live.items())
        if sid not in known
    ]
    return views


def vehicle_view(services: Services, drone_id: int) -> VehicleView:
    vehicle = live_vehicles(services).get(drone_id)
    with services.store.read_session() as session:
        row = session.exec(select(Vehicle).where(Vehicle.drone_id == drone_id)).first()
    if row is None and vehicle is None:
        raise VehicleNotFound(
            f"no vehicle with drone id {drone_id}", field="drone_id", value=drone_id
        )
    return _view(row, drone_id, vehicle, services)


def _check_wire_identity(
    session: Any, drone_id: int, link: str, mavlink_system_id: int | None
) -> None:
    """Refuse a drone without a system id to speak, or a second drone speaking the same
    system id on the same link."""
    if mavlink_system_id is None and drone_id > MAVLINK_SYSTEM_IDS[1]:
        raise NoSystemId(
            f"drone id {drone_id} is not a MAVLink system id (1..{MAVLINK_SYSTEM_IDS[1]}): "
            "give the mavlink_system_id it speaks on its link",
            field="mavlink_system_id", value=None, limit=list(MAVLINK_SYSTEM_IDS),
            drone_id=drone_id,
        )
    wanted = wire_identity(drone_id, link, mavlink_system_id)
    rows = session.execute(
        select(  # type: ignore[call-overload]
            Vehicle.drone_id, Vehicle.link, Vehicle.mavlink_system_id
        ).where(Vehicle.drone_id != drone_id, Vehicle.status != VehicleStatus.RETIRED.value)
    ).all()
    for other, other_link, other_system_id in rows:
        if wire_identity(other, other_link, other_system_id) == wanted:
            raise WireIdentityTaken(
                f"drone {other} already speaks system id {wanted[1]} on "
                f"{wanted[0] or 'any link'}",
                field="mavlink_system_id",
                value=wanted[1],
                link=wanted[0],
                drone_id=other,
            )


def _changed(services: Services) -> None:
    if services.identities is not None:
        services.identities.changed()


def register_vehicle(services: Services, new: VehicleCreate) -> VehicleView:
    with services.store.session() as session:
        if session.exec(select(Vehicle).where(Vehicle.drone_id == new.drone_id)).first():
            raise VehicleExists(
                f"drone id {new.drone_id} is already registered",
                field="drone_id",
                value=new.drone_id,
            )
        _check_wire_identity(session, new.drone_id, new.link, new.mavlink_system_id)
        session.add(Vehicle(**new.model_dump()))
        session.commit()
    _changed(services)
    return vehicle_view(services, new.drone_id)


def update_vehicle(services: Services, drone_id: int, change: VehicleUpdate) -> VehicleView:
    with services.store.session() as session:
        row = session.exec(select(Vehicle).where(Vehicle.drone_id == drone_id)).first()
        if row is None:
            raise VehicleNotFound(
                f"no registered vehicle with drone id {drone_id}",
                field="drone_id",
                value=drone_id,
            )
        if change.status is not None:
            row.status = str(change.status)
        if change.payloads is not None:
            row.payloads = list(change.payloads)
        if change.video_source_url is not None:
            row.video_source_url = change.video_source_url
        if change.link is not None:
            row.link = change.link
        if "mavlink_system_id" in change.model_fields_set:
            row.mavlink_system_id = change.mavlink_system_id
        if row.status != VehicleStatus.RETIRED.value:
            _check_wire_identity(session, drone_id, row.link, row.mavlink_system_id)
        row.updated_at = utc_now()
        session.add(row)
        session.commit()
    _changed(services)
    return vehicle_view(services, drone_id)


def is_registered(services: Services, drone_id: int) -> bool:
    """Whether ``drone_id`` is in the register (the fleet's link trust asks this)."""
    with services.store.read_session() as session:
        row = session.execute(
            select(Vehicle.drone_id).where(Vehicle.drone_id == drone_id)  # type: ignore[call-overload]
        ).first()
    return row is not None


def ensure_vehicle(services: Services, new: VehicleCreate) -> None:
    """Register the vehicle unless its drone id already is (start-up fleet)."""
    with services.store.session() as session:
        if session.exec(select(Vehicle).where(Vehicle.drone_id == new.drone_id)).first() is None:
            _check_wire_identity(session, new.drone_id, new.link, new.mavlink_system_id)
            session.add(Vehicle(**new.model_dump()))
            session.commit()
    _changed(services)
