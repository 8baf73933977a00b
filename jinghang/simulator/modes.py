"""Which of ArduCopter's flight modes the simulator flies, and what each needs.

The mode numbers are the codec's (:class:`jinghang.mavlink.modes.CopterMode`, here ``Mode``).
"""

from __future__ import annotations

from jinghang.mavlink.modes import CopterMode as Mode

__all__ = ["ARMABLE_MODES", "POSITION_MODES", "SUPPORTED_MODES", "Mode"]

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
