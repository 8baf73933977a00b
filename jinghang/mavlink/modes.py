"""Flight mode tables: ArduCopter's custom mode numbers and PX4's main/sub modes. No I/O.

Which modes pause, return or land is the flight core's autopilot strategies' business
(:mod:`jinghang.flight.autopilots`); which ones the simulator flies is the simulator's.
"""

from __future__ import annotations

import enum

from jinghang.mavlink.dialect import mavlink

#: ArduCopter ``custom_mode`` numbers by name (ArduCopter/mode.h, Mode::Number), from the
#: dialect's COPTER_MODE enum.
ARDUCOPTER_MODES: dict[str, int] = {
    entry.name.removeprefix("COPTER_MODE_"): int(value)
    for value, entry in mavlink.enums["COPTER_MODE"].items()
    if not entry.name.endswith("_ENUM_END")
}


class CopterMode(enum.IntEnum):
    """The ArduCopter modes that code refers to by name (numbers from the dialect)."""

    STABILIZE = mavlink.COPTER_MODE_STABILIZE
    ACRO = mavlink.COPTER_MODE_ACRO
    ALT_HOLD = mavlink.COPTER_MODE_ALT_HOLD
    AUTO = mavlink.COPTER_MODE_AUTO
    GUIDED = mavlink.COPTER_MODE_GUIDED
    LOITER = mavlink.COPTER_MODE_LOITER
    RTL = mavlink.COPTER_MODE_RTL
    CIRCLE = mavlink.COPTER_MODE_CIRCLE
    LAND = mavlink.COPTER_MODE_LAND
    DRIFT = mavlink.COPTER_MODE_DRIFT
    SPORT = mavlink.COPTER_MODE_SPORT
    POSHOLD = mavlink.COPTER_MODE_POSHOLD
    BRAKE = mavlink.COPTER_MODE_BRAKE
    SMART_RTL = mavlink.COPTER_MODE_SMART_RTL
    AUTO_RTL = mavlink.COPTER_MODE_AUTO_RTL


#: PX4 main modes (px4_custom_mode.h).
PX4_MAIN_MODES: dict[str, int] = {
    "MANUAL": 1,
    "ALTCTL": 2,
    "POSCTL": 3,
    "AUTO": 4,
    "ACRO": 5,
    "OFFBOARD": 6,
    "STABILIZED": 7,
    "RATTITUDE": 8,
}
#: PX4 AUTO sub modes.
PX4_AUTO_SUB_MODES: dict[str, int] = {
    "READY": 1,
    "TAKEOFF": 2,
    "LOITER": 3,
    "MISSION": 4,
    "RTL": 5,
    "LAND": 6,
    "FOLLOW_TARGET": 8,
    "PRECLAND": 9,
}


def px4_custom_mode(name: str) -> int | None:
    """PX4's ``custom_mode`` for ``"POSCTL"`` or ``"AUTO.MISSION"``; None when unknown."""
    main, _, sub = name.partition(".")
    if main not in PX4_MAIN_MODES:
        return None
    value = PX4_MAIN_MODES[main] << 16
    if sub:
        if main != "AUTO" or sub not in PX4_AUTO_SUB_MODES:
            return None
        value |= PX4_AUTO_SUB_MODES[sub] << 24
    return value


def px4_mode_name(custom_mode: int) -> str:
    """``"POSCTL"`` or ``"AUTO.MISSION"`` for a PX4 ``custom_mode``."""
    main = (custom_mode >> 16) & 0xFF
    sub = (custom_mode >> 24) & 0xFF
    main_name = next((k for k, v in PX4_MAIN_MODES.items() if v == main), f"MODE_{main}")
    if main_name == "AUTO":
        sub_name = next((k for k, v in PX4_AUTO_SUB_MODES.items() if v == sub), f"{sub}")
        return f"AUTO.{sub_name}"
    return main_name


def arducopter_mode_name(custom_mode: int) -> str:
    """``"GUIDED"`` for ArduCopter's ``custom_mode`` 4; ``"MODE_n"`` when unknown."""
    return next((k for k, v in ARDUCOPTER_MODES.items() if v == custom_mode), f"MODE_{custom_mode}")
