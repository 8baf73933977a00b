"""ArduCopter's flight modes and their custom-mode numbers (HEARTBEAT.custom_mode)."""

from __future__ import annotations

import enum


class Mode(enum.IntEnum):
    """ArduCopter mode numbers; the simulator flies the ones listed in SUPPORTED_MODES."""

    STABILIZE = 0
    ACRO = 1
    ALT_HOLD = 2
    AUTO = 3
    GUIDED = 4
    LOITER = 5
    RTL = 6
    CIRCLE = 7
    LAND = 9
    DRIFT = 11
    SPORT = 13
    POSHOLD = 16
    BRAKE = 17
    SMART_RTL = 21


SUPPORTED_MODES = frozenset(
    {
        Mode.STABILIZE,
        Mode.ALT_HOLD,
        Mode.AUTO,
        Mode.GUIDED,
        Mode.LOITER,
        Mode.RTL,
        Mode.CIRCLE,
        Mode.LAND,
        Mode.BRAKE,
    }
)

#: Modes that need a position estimate (GPS and EKF) to be entered.
POSITION_MODES = frozenset({Mode.AUTO, Mode.GUIDED, Mode.LOITER, Mode.RTL, Mode.CIRCLE, Mode.BRAKE})

#: Modes the vehicle may be armed in (ArduCopter refuses the autonomous ones).
ARMABLE_MODES = frozenset(
    {Mode.STABILIZE, Mode.ALT_HOLD, Mode.GUIDED, Mode.LOITER, Mode.ACRO, Mode.POSHOLD}
)


def mode_by_name(name: str) -> Mode | None:
    try:
        return Mode[name.upper()]
    except KeyError:
        return None
