"""jinghang.flight: the MAVLink flight core (links, vehicles, commands, missions).

The contract with the other sub-packages is in docs/INTERFACES.md. Public API::

    async with Fleet(bus) as fleet:
        await fleet.connect("tcp:127.0.0.1:5760")
        vehicle = await fleet.wait_vehicle(1)
        vehicle.autopilot.is_returning(vehicle.state.mode)   # firmware rules: ask the strategy
        autopilot_named(state.autopilot).mode_names()        # ... also from a state alone
"""

from jinghang.flight.autopilots import Autopilot, autopilot_for, autopilot_named
from jinghang.flight.errors import (
    ArmingRefused,
    CommandRejected,
    CommandTimeout,
    LinkError,
    MissionTransferError,
    ModeUnknown,
    ParameterError,
    VehicleTimeout,
)
from jinghang.flight.fleet import Fleet
from jinghang.flight.state import HomePosition, VehicleState
from jinghang.flight.vehicle import Vehicle

__all__ = [
    "ArmingRefused",
    "Autopilot",
    "CommandRejected",
    "CommandTimeout",
    "Fleet",
    "HomePosition",
    "LinkError",
    "MissionTransferError",
    "ModeUnknown",
    "ParameterError",
    "Vehicle",
    "VehicleState",
    "VehicleTimeout",
    "autopilot_for",
    "autopilot_named",
]
