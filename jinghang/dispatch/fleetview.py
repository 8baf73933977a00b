"""The fleet as drone choice sees it: the register (store) joined with each vehicle's live
state (jinghang.flight), what the dispatcher has each drone doing and, when given, each
drone's limits as read from it and its endurance corrected from its flights
(:class:`EnergyProfiles`, ``jinghang.dispatch.energy_history``). Pure."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from jinghang.dispatch.planning import DroneProfile
from jinghang.dispatch.selection import DroneStatus
from jinghang.missions.vehicle_limits import VehicleLimits
from jinghang.store import DISPATCHER_STATUSES, VehiclePublic, VehicleStatus

#: GPS fix types from 3D up are good enough to fly on.
GPS_3D_FIX = 3


class EnergyProfiles(Protocol):
    """Each drone's limits (None while unread) and corrected endurance."""

    def limits(self, drone_id: int) -> VehicleLimits | None: ...

    def endurance_s(self, drone_id: int, nominal_s: float) -> float: ...

    def cruise_clamped(self, drone_id: int, cruise_m_s: float,
                       limits: VehicleLimits) -> None: ...


def _airframe(registered: VehiclePublic, energy: EnergyProfiles | None
              ) -> tuple[VehicleLimits | None, float]:
    """(limits as read, None while unread; endurance) of one drone."""
    if energy is None:
        return VehicleLimits(), registered.endurance_s
    sid = registered.drone_id
    limits = energy.limits(sid)
    if limits is not None:
        energy.cruise_clamped(sid, registered.cruise_speed_m_s, limits)
    return limits, energy.endurance_s(sid, registered.endurance_s)


def health_problem(state: Any) -> str:
    """Why a vehicle's live state is not fit to launch, or ``""``."""
    if not state.has_position:
        return "no position yet"
    if state.gps_fix_type < GPS_3D_FIX:
        return f"GPS fix type {state.gps_fix_type} (needs a 3D fix)"
    if state.ekf_ok is False:
        return "EKF not healthy"
    return ""


def home_of(registered: VehiclePublic, state: Any | None) -> tuple[float, float, float]:
    """Where the drone comes back to: its autopilot's home when known, else its base."""
    if state is not None and state.home is not None:
        h = state.home
        return (h.latitude_deg, h.longitude_deg, h.altitude_amsl_m)
    return (registered.base_latitude_deg, registered.base_longitude_deg,
            registered.base_altitude_m)


def drone_status(
    registered: VehiclePublic, vehicle: Any | None, busy_with: str | None,
    energy: EnergyProfiles | None = None,
) -> DroneStatus:
    state = vehicle.state if vehicle is not None else None
    limits, endurance_s = _airframe(registered, energy)
    flying = limits or VehicleLimits()
    home = home_of(registered, state)
    if state is not None and state.has_position:
        lat, lon = state.latitude_deg, state.longitude_deg
        rel = state.relative_altitude_m if not math.isnan(state.relative_altitude_m) else 0.0
    else:
        lat, lon, rel = registered.base_latitude_deg, registered.base_longitude_deg, 0.0
    link_ok = state is not None and not state.link_lost
    problem = health_problem(state) if state is not None else ""
    if busy_with is None and state is not None and state.armed:
        busy_with = "a flight the dispatcher did not start (armed)"
    return DroneStatus(
        drone_id=registered.drone_id,
        name=registered.name,
        latitude_deg=lat,
        longitude_deg=lon,
        base_latitude_deg=home[0],
        base_longitude_deg=home[1],
        battery_pct=state.battery_pct if state is not None else None,
        payloads=frozenset(registered.payloads),
        cruise_speed_m_s=registered.cruise_speed_m_s,
        endurance_s=endurance_s,
        max_speed_m_s=flying.max_speed_m_s(),
        climb_m_s=flying.climb_m_s,
        descent_m_s=flying.descent_m_s,
        limits_read=limits is not None,
        # the dispatcher's own statuses (assigned, flying, ...) say "in use", which busy_with
        # tells better; only an admin's maintenance / offline / retired take a drone out
        registered_available=registered.status.value in DISPATCHER_STATUSES,
        busy_with=busy_with,
        link_ok=link_ok,
        healthy=not problem,
        health_reason=problem,
        relative_altitude_m=max(0.0, rel),
        landed_away=registered.status == VehicleStatus.LANDED_AWAY,
    )


def drone_statuses(
    registered: Iterable[VehiclePublic],
    vehicles: Mapping[int, Any],
    busy: Mapping[int, str],
    energy: EnergyProfiles | None = None,
) -> list[DroneStatus]:
    return [drone_status(r, vehicles.get(r.drone_id), busy.get(r.drone_id), energy)
            for r in registered]


def drone_profile(registered: VehiclePublic, vehicle: Any | None,
                  energy: EnergyProfiles | None = None) -> DroneProfile:
    state = vehicle.state if vehicle is not None else None
    limits, endurance_s = _airframe(registered, energy)
    battery = state.battery_pct if state is not None and state.battery_pct is not None else 0.0
    return DroneProfile(
        drone_id=registered.drone_id,
        home=home_of(registered, state),
        battery_pct=float(battery),
        cruise_speed_m_s=registered.cruise_speed_m_s,
        endurance_s=endurance_s,
        limits=limits or VehicleLimits(),
    )
