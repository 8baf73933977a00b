"""jinghang.flight: the MAVLink flight core (links, vehicles, commands, missions).

The contract with the other sub-packages is in docs/INTERFACES.md. Public API::

    async with Fleet(bus) as fleet:
        await fleet.connect("tcp:127.0.0.1:5760")
        vehicle = await fleet.wait_vehicle(1)
"""

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
]
