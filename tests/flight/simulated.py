"""Flying the simulator in tests: a fleet connected to one vehicle from ``start_vehicle``
(the built-in simulator, or real ArduPilot SITL for the ``sitl`` backend)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from jinghang.events import EventBus
from jinghang.flight import Fleet, ParameterError, Vehicle, VehicleState
from jinghang.simulator import start_vehicle

#: Time runs this many times faster in the simulator (ArduPilot SITL's --speedup too).
SPEEDUP = 20.0
HOME = (36.51, 122.18, 20.0, 0.0)  # lat, lon, alt AMSL, heading


@asynccontextmanager
async def connected_vehicle(
    backend: str,
    *,
    bus: EventBus | None = None,
    ready: bool = True,
    speedup: float = SPEEDUP,
    fleet_options: dict[str, Any] | None = None,
    **vehicle_options: Any,
) -> AsyncIterator[tuple[Fleet, Vehicle]]:
    """A running fleet with the vehicle in it; ``ready`` waits for GPS, EKF and home."""
    async with start_vehicle(backend, home=HOME, speedup=speedup, **vehicle_options) as address:
        async with Fleet(bus, **(fleet_options or {})) as fleet:
            await fleet.connect(address)
            vehicle = await fleet.wait_vehicle(timeout_s=30)
            if ready:
                await vehicle.wait_until(ready_to_arm, timeout_s=60)
            yield fleet, vehicle


def ready_to_arm(s: VehicleState) -> bool:
    """GPS, EKF and home, and the vehicle's own pre-arm verdict where it reports one
    (ArduPilot SITL's can still say "Logging not started" after the first GPS fix)."""
    return (
        bool(s.ekf_ok)
        and s.gps_fix_type >= 3
        and s.home is not None
        and s.prearm_ok is not False
    )


async def disable_gps(vehicle: Vehicle) -> None:
    """SIM_GPS_DISABLE=1, or SIM_GPS1_ENABLE=0 on ArduPilot 4.6+ SITL, which renamed it."""
    try:
        await vehicle.params.set("SIM_GPS_DISABLE", 1)
    except ParameterError:
        await vehicle.params.set("SIM_GPS1_ENABLE", 0)


async def take_off(vehicle: Vehicle, altitude_m: float = 20.0) -> None:
    await vehicle.wait_until(ready_to_arm, timeout_s=60)
    await vehicle.takeoff(altitude_m, actor="test-pilot")
    await vehicle.wait_until(lambda s: s.relative_altitude_m > altitude_m - 1.0, timeout_s=60)
