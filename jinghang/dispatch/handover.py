"""Pilot handover: a pilot takes a dispatched drone (it pauses into BRAKE or LOITER), flies
it by hand to checked points, and releases it; the mission resumes at the item where it
stopped. :class:`Handover` is given what it needs (the flights followed, the fleet, the
journal, the limits and no-fly zones) and touches nothing else of the dispatcher."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jinghang.dispatch.errors import HandoverError, IncidentNotActive
from jinghang.dispatch.flights import Flight
from jinghang.dispatch.journal import Journal
from jinghang.dispatch.planning import Limits
from jinghang.errors import DispatchError
from jinghang.missions.errors import AltitudeCeilingError, NoFlyZoneError
from jinghang.missions.nofly import NoFlyZones
from jinghang.store import MissionState, append_audit, set_mission_state


def check_point(limits: Limits, no_fly: NoFlyZones, latitude_deg: float, longitude_deg: float,
                relative_altitude_m: float, *, start: tuple[float, float] | None = None) -> None:
    """Refuse a point over the ceiling, inside a no-fly zone, or behind one."""
    if relative_altitude_m > limits.altitude_ceiling_m:
        raise AltitudeCeilingError(
            f"{relative_altitude_m:g} m is over the {limits.altitude_ceiling_m:g} m ceiling",
            field="relative_altitude_m", value=relative_altitude_m,
            limit=limits.altitude_ceiling_m,
        )
    if not len(no_fly):
        return
    point = (latitude_deg, longitude_deg)
    zone = no_fly.zone_at(point)
    if zone is None and start is not None:
        zone = no_fly.zone_on_leg(start, point)
    if zone is not None:
        raise NoFlyZoneError(
            f"the point or the way there enters the no-fly zone {zone.name}",
            field="latitude_deg", value=[latitude_deg, longitude_deg], limit=zone.name,
        )


class Handover:
    """Take over, fly by hand, release; see the module docstring."""

    def __init__(self, flights: Mapping[int, Flight], fleet: Any, journal: Journal,
                 limits: Limits, no_fly: NoFlyZones) -> None:
        self.flights = flights
        self.fleet = fleet
        self.journal = journal
        self.limits = limits
        self.no_fly = no_fly

    def _flight(self, drone_id: int) -> Flight:
        flight = self.flights.get(drone_id)
        if flight is None:
            raise IncidentNotActive(f"vehicle {drone_id} is not flying a dispatched mission",
                                    field="drone_id", value=drone_id)
        return flight

    def _vehicle(self, drone_id: int) -> Any:
        vehicle = self.fleet.vehicles.get(drone_id)
        if vehicle is None:
            raise DispatchError(f"vehicle {drone_id} has no link", field="drone_id",
                                value=drone_id)
        return vehicle

    def _position(self, drone_id: int) -> tuple[float, float] | None:
        vehicle = self.fleet.vehicles.get(drone_id)
        if vehicle is None or not vehicle.state.has_position:
            return None
        return (vehicle.state.latitude_deg, vehicle.state.longitude_deg)

    def check_point(self, latitude_deg: float, longitude_deg: float, relative_altitude_m: float,
                    *, start: tuple[float, float] | None = None) -> None:
        check_point(self.limits, self.no_fly, latitude_deg, longitude_deg, relative_altitude_m,
                    start=start)

    async def take_over(self, drone_id: int, *, actor: str) -> None:
        """A pilot takes the drone: it stops where it is (BRAKE or LOITER) and waits."""
        flight = self._flight(drone_id)
        if flight.handed_over_to is not None and flight.handed_over_to != actor:
            raise HandoverError(f"vehicle {drone_id} is already with {flight.handed_over_to}",
                                field="drone_id", value=drone_id)
        vehicle = self._vehicle(drone_id)
        seq = vehicle.state.mission_current_seq
        await vehicle.pause(actor=actor)
        flight.handed_over_to = actor
        flight.resume_seq = seq if seq is not None else flight.scene_seq
        with self.journal.tx() as s:
            set_mission_state(s, flight.mission_id, MissionState.PAUSED, actor=actor,
                              message=f"handed over to pilot {actor}",
                              data={"resume_seq": flight.resume_seq})
            append_audit(s, actor=actor, action="vehicle.take_over", target_type="vehicle",
                         target_id=drone_id, details={"incident_id": flight.incident_id,
                                                       "resume_seq": flight.resume_seq})
        self.journal.alert("info", f"pilot {actor} has vehicle {drone_id}",
                           drone_id=drone_id, incident_id=flight.incident_id)

    async def pilot_goto(self, drone_id: int, latitude_deg: float, longitude_deg: float,
                         relative_altitude_m: float, *, actor: str) -> None:
        """A pilot flies the drone to a point (GUIDED), checked first; only the pilot who
        took the drone over may."""
        flight = self._flight(drone_id)
        if flight.handed_over_to != actor:
            raise HandoverError(f"take vehicle {drone_id} over before flying it by hand",
                                field="drone_id", value=drone_id)
        self.check_point(latitude_deg, longitude_deg, relative_altitude_m,
                         start=self._position(drone_id))
        await self._vehicle(drone_id).goto(latitude_deg, longitude_deg, relative_altitude_m,
                                            actor=actor)

    async def release(self, drone_id: int, *, actor: str) -> None:
        """The pilot gives the drone back: the mission resumes where it stopped."""
        flight = self._flight(drone_id)
        if flight.handed_over_to is None:
            raise HandoverError(f"vehicle {drone_id} is not handed over", field="drone_id",
                                value=drone_id)
        vehicle = self._vehicle(drone_id)
        seq = flight.resume_seq if flight.resume_seq is not None else flight.scene_seq
        await vehicle.set_current_item(seq, actor=actor)
        await vehicle.resume(actor=actor)
        by = flight.handed_over_to
        flight.handed_over_to = None
        with self.journal.tx() as s:
            set_mission_state(s, flight.mission_id, MissionState.FLYING, actor=actor,
                              message=f"released by {by}; resuming at item {seq}",
                              data={"resume_seq": seq})
            append_audit(s, actor=actor, action="vehicle.release", target_type="vehicle",
                         target_id=drone_id, details={"incident_id": flight.incident_id,
                                                       "resume_seq": seq})
