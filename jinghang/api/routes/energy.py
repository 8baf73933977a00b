"""A drone's energy: its recorded flights (planned against used), its endurance corrected
from them, and the flight limits read from the vehicle that the energy check uses
(``GET /api/fleet/{drone_id}/energy``)."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from jinghang.api.deps import Reader, ServicesDep
from jinghang.api.limits import DroneId
from jinghang.dispatch.energy_history import flight_energy_of
from jinghang.missions.endurance import WINDOW, endurance_correction
from jinghang.store import FlightEnergyPublic, get_vehicle, list_flight_energy

router = APIRouter(prefix="/fleet", tags=["fleet"])



class EnduranceView(BaseModel):
    """The endurance the energy check uses and how it was found."""

    nominal_endurance_s: float
    corrected_endurance_s: float
    ratio: float
    flights_counted: int
    min_flights: int
    window: int
    median_implied_endurance_s: float | None
    #: "nominal" (too few flights), "history", "lower_bound" or "upper_bound".
    basis: str
    bounds: list[float]


class LimitsView(BaseModel):
    """The flight limits read from the vehicle ("defaults" when it answered none)."""

    source: str
    autopilot: str
    capacity_mah: float | None
    missing: list[str]
    wp_speed_m_s: float
    accel_m_s2: float
    climb_m_s: float
    descent_m_s: float
    wp_radius_m: float
    angle_max_deg: float
    max_speed_m_s: float


class EnergyView(BaseModel):
    drone_id: int
    name: str
    endurance: EnduranceView
    #: None while the limits have not been read (or no dispatcher runs).
    limits: LimitsView | None
    #: The recorded flights, oldest first.
    flights: list[FlightEnergyPublic]


@router.get("/{drone_id}/energy", response_model=EnergyView,
            summary="A drone's energy history and corrected endurance")
async def energy(
    services: ServicesDep,
    _: Reader,
    drone_id: DroneId,
    limit: Annotated[int, Query(ge=1, le=200, description="newest flights shown")] = 20,
) -> EnergyView:
    """The drone's flights (planned time and energy against flown time and used energy, and
    why a flight does not count), the endurance corrected from its last flights, and the
    limits read from the vehicle."""

    def read() -> tuple[Any, list[FlightEnergyPublic], list[FlightEnergyPublic]]:
        with services.store.read_session() as s:
            vehicle = get_vehicle(s, drone_id)
            return (vehicle, list_flight_energy(s, drone_id, limit=limit),
                    list_flight_energy(s, drone_id, limit=3 * WINDOW))

    vehicle, shown, recent = await asyncio.to_thread(read)
    correction = endurance_correction(vehicle.endurance_s,
                                      [flight_energy_of(r) for r in recent])
    history = getattr(services.dispatcher, "energy", None)
    reading = history.reading(drone_id) if history is not None else None
    return EnergyView(
        drone_id=drone_id, name=vehicle.name,
        endurance=EnduranceView(**correction.to_dict()),
        limits=LimitsView(**reading.to_dict()) if reading is not None else None,
        flights=shown)
