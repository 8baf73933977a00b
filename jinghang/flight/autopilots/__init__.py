"""Firmware differences, one strategy per autopilot, picked by HEARTBEAT.autopilot.

:func:`autopilot_for` gives the strategy for a MAV_AUTOPILOT value (ArduPilot, PX4, else the
generic one), :func:`autopilot_named` the one a vehicle state names (``state.autopilot``),
and :func:`register` adds a firmware. Code above the flight core asks a strategy
(``autopilot_named(state.autopilot).is_returning(state.mode)``) instead of naming modes.
"""

from __future__ import annotations

from jinghang.flight.autopilots.ardupilot import ArduPilot
from jinghang.flight.autopilots.base import Autopilot, Controls, Generic
from jinghang.flight.autopilots.px4 import PX4
from jinghang.mavlink.constants import (
    MAV_AUTOPILOT_ARDUPILOTMEGA,
    MAV_AUTOPILOT_INVALID,
    MAV_AUTOPILOT_PX4,
)

__all__ = [
    "MAV_AUTOPILOT_INVALID",
    "PX4",
    "ArduPilot",
    "Autopilot",
    "Controls",
    "Generic",
    "autopilot_for",
    "autopilot_named",
    "register",
]

_BY_MAV_AUTOPILOT: dict[int, Autopilot] = {
    MAV_AUTOPILOT_ARDUPILOTMEGA: ArduPilot(),
    MAV_AUTOPILOT_PX4: PX4(),
}
_GENERIC = Generic()


def register(mav_autopilot: int, strategy: Autopilot) -> None:
    """Use ``strategy`` for vehicles whose HEARTBEAT.autopilot is ``mav_autopilot``."""
    _BY_MAV_AUTOPILOT[mav_autopilot] = strategy


def autopilot_for(heartbeat_autopilot: int) -> Autopilot:
    """The strategy for a HEARTBEAT's ``autopilot`` field (the generic one when unknown)."""
    return _BY_MAV_AUTOPILOT.get(int(heartbeat_autopilot), _GENERIC)


def autopilot_named(name: str) -> Autopilot:
    """The strategy whose :attr:`Autopilot.name` is ``name`` (a vehicle state's
    ``autopilot``); the generic one when none is."""
    for strategy in _BY_MAV_AUTOPILOT.values():
        if strategy.name == name:
            return strategy
    return _GENERIC
