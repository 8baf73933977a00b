"""Pilot handover: a pilot takes a dispatched drone (it pauses into BRAKE or LOITER),
flies it by hand to checked points, and releases it; the mission resumes at the item where
it stopped. Functions of the :class:`~jinghang.dispatch.dispatcher.Dispatcher`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from jinghang.dispatch.errors import HandoverError, IncidentNotActive
from jinghang.dispatch.flights import Flight
from jinghang.dispatch.lifecycle import IncidentState
from jinghang.missions.errors import NoFlyZoneError
from jinghang.store import (
    MissionState,
    append_audit,
    set_mission_state,
)

if TYPE_CHECKING:
    from jinghang.dispatch.dispatcher import Dispatcher

S = IncidentState
DISPATCHER = "dispatcher"


def _flight_of_vehicle(d: Dispatcher, system_id: int) -> Flight:
    flight = d.flights.get(system_id)
    if flight is None:
        raise IncidentNotActive(
            f"vehicle {system_id} is not flying a dispatched mission",
            field="system_id",
            value=system_id,
        )
    return flight


async def take_over(d: Dispatcher, system_id: int, *, actor: str) -> None:
    """A pilot takes the drone: it stops where it is (BRAKE or LOITER) and waits."""
    flight = _flight_of_vehicle(d, system_id)
    if flight.handed_over_to is not None and flight.handed_over_to != actor:
        raise HandoverError(
            f"vehicle {system_id} is already with {flight.handed_over_to}",
            field="system_id",
            value=system_id,
        )
    vehicle = d._vehicle(system_id)
    seq = vehicle.state.mission_current_seq
    await vehicle.pause(actor=actor)
    flight.handed_over_to = actor
    flight.resume_seq = seq if seq is not None else flight.scene_seq
    with d._tx() as s:
        set_mission_state(
            s,
            flight.mission_id,
            MissionState.PAUSED,
            actor=actor,
            message=f"handed over to pilot {actor}",
            data={"resume_seq": flight.resume_seq},
        )
        append_audit(
            s,
            actor=actor,
            action="vehicle.take_over",
            target_type="vehicle",
            target_id=system_id,
            details={"incident_id": flight.incident_id, "resume_seq": flight.resume_seq},
        )
    d._alert(
        "info",
        f"pilot {actor} has vehicle {system_id}",
        system_id=system_id,
        incident_id=flight.incident_id,
    )


async def pilot_goto(
    d: Dispatcher,
    system_id: int,
    latitude_deg: float,
    longitude_deg: float,
    relative_altitude_m: float,
    *,
    actor: str,
) -> None:
    """A pilot flies the drone to a point (GUIDED); checked against the ceiling and the
    no-fly zones first. Only the pilot who took the drone over may do this."""
    flight = _flight_of_vehicle(d, system_id)
    if flight.handed_over_to != actor:
        raise HandoverError(
            f"take vehicle {system_id} over before flying it by hand",
            field="system_id",
            value=system_id,
        )
    check_point(d, latitude_deg, longitude_deg, relative_altitude_m, start=_position(d, system_id))
    await d._vehicle(system_id).goto(latitude_deg, longitude_deg, relative_altitude_m, actor=actor)


def _position(d: Dispatcher, system_id: int) -> tuple[float, float] | None:
    vehicle = d.fleet.vehicles.get(system_id)
    if vehicle is None or not vehicle.state.has_position:
        return None
    return (vehicle.state.latitude_deg, vehicle.state.longitude_deg)


def check_point(
    d: Dispatcher,
    latitude_deg: float,
    longitude_deg: float,
    relative_altitude_m: float,
    *,
    start: tuple[float, float] | None = None,
) -> None:
    """Refuse a point over the ceiling, inside a no-fly zone, or behind one."""
    from jinghang.missions.errors import AltitudeCeilingError

    if relative_altitude_m > d.limits.altitude_ceiling_m:
        raise AltitudeCeilingError(
            f"{relative_altitude_m:g} m is over the {d.limits.altitude_ceiling_m:g} m ceiling",
            field="relative_altitude_m",
            value=relative_altitude_m,
            limit=d.limits.altitude_ceiling_m,
        )
    point = (latitude_deg, longitude_deg)
    if not len(d.no_fly):
        return
    zone = d.no_fly.zone_at(point)
    if zone is None and start is not None:
        zone = d.no_fly.zone_on_leg(start, point)
    if zone is not None:
        raise NoFlyZoneError(
            f"the point or the way there enters the no-fly zone {zone.name}",
            field="latitude_deg",
            value=[latitude_deg, longitude_deg],
            limit=zone.name,
        )


async def release(d: Dispatcher, system_id: int, *, actor: str) -> None:
    """The pilot gives the drone back: the mission resumes where it stopped."""
    flight = _flight_of_vehicle(d, system_id)
    if flight.handed_over_to is None:
        raise HandoverError(
            f"vehicle {system_id} is not handed over", field="system_id", value=system_id
        )
    vehicle = d._vehicle(system_id)
    seq = flight.resume_seq if flight.resume_seq is not None else flight.scene_seq
    await vehicle.set_current_item(seq, actor=actor)
    await vehicle.resume(actor=actor)
    by = flight.handed_over_to
    flight.handed_over_to = None
    with d._tx() as s:
        set_mission_state(
            s,
            flight.mission_id,
            MissionState.FLYING,
            actor=actor,
            message=f"released by {by}; resuming at item {seq}",
            data={"resume_seq": seq},
        )
        append_audit(
            s,
            actor=actor,
            action="vehicle.release",
            target_type="vehicle",
            target_id=system_id,
            details={"incident_id": flight.incident_id, "resume_seq": seq},
        )
