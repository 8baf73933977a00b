"""A drone's endurance (flight time from a full battery to empty) corrected from its own flights.

After a flight the platform knows what the plan said (its estimated flight time and energy in
percent of a full battery) and what the vehicle reported it used (BATTERY_STATUS: the charge
consumed in mAh against the pack's capacity, or the fall of battery_remaining). The energy
check counts a plan's estimated time against the endurance, so what one flight teaches is the
endurance that would have made the plan's figure right: its *estimated* time over the fraction
of the battery it really used (:func:`implied_endurance_s`). That folds both errors the check
can make into one number: a plan that takes longer than estimated, and a pack that drains
faster than the profile says.

:func:`endurance_correction` turns a history (oldest first) into the corrected endurance: the
median of what the last :data:`WINDOW` usable flights imply (one odd flight, a gusty day, moves
nothing), once there are at least :data:`MIN_FLIGHTS` of them, bounded to
[:data:`LOWER_BOUND`, :data:`UPPER_BOUND`] x the nominal value so that the energy check never
becomes reckless on a few flights that went well. A flight counts only when it flew its plan to
the end (not recalled, not handed to a pilot), was long enough and its figures are sane; every
other one is kept with the code of why it is not counted (:func:`skip_code`). Pure: the caller
stores the records.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

#: Flights shorter than this, or using less of the battery, say too little to learn from.
MIN_FLIGHT_S = 60.0
MIN_USED_PCT = 2.0
#: A flight flown in a time this far from its plan's was not the plan (paused, cut short).
MAX_TIME_RATIO = 2.0
#: How many usable flights are needed before the endurance is corrected at all, and how many
#: of the newest are looked at.
MIN_FLIGHTS = 3
WINDOW = 10
#: The corrected endurance stays within these fractions of the nominal one.
LOWER_BOUND = 0.5
UPPER_BOUND = 1.1


@dataclass(frozen=True, slots=True)
class FlightEnergy:
    """One flight's planned and used figures, as the platform records them after landing."""

    #: The plan's estimated flight time and energy (percent of a full battery).
    planned_time_s: float
    planned_pct: float
    #: The flight time actually flown (armed to disarmed, on the vehicle's clock) and the
    #: battery it used: BATTERY_STATUS current_consumed (mAh) over the capacity when reported,
    #: else the fall of battery_remaining (percent); NaN when neither is known.
    flown_time_s: float
    used_pct: float
    #: The flight flew its plan to the end (not recalled, not taken over by a pilot).
    completed: bool = True

    @classmethod
    def from_battery(
        cls,
        planned_time_s: float,
        planned_pct: float,
        flown_time_s: float,
        *,
        consumed_mah: float | None = None,
        capacity_mah: float | None = None,
        remaining_before_pct: float | None = None,
        remaining_after_pct: float | None = None,
        completed: bool = True,
    ) -> FlightEnergy:
        """The record from what the vehicle reported (see :func:`used_pct`)."""
        used = used_pct(consumed_mah=consumed_mah, capacity_mah=capacity_mah,
                        remaining_before_pct=remaining_before_pct,
                        remaining_after_pct=remaining_after_pct)
        return cls(planned_time_s, planned_pct, flown_time_s, used, completed)

    def usable(self) -> bool:
        return skip_code(self) is None


def _finite(value: float | None) -> bool:
    return value is not None and isinstance(value, int | float) and math.isfinite(value)


def used_pct(*, consumed_mah: float | None = None, capacity_mah: float | None = None,
             remaining_before_pct: float | None = None,
             remaining_after_pct: float | None = None) -> float:
    """The percentage of a full battery a flight used: the consumed mAh over the capacity when
    both are known and sane (not negative, not NaN, the consumption at most the capacity), else
    the fall of battery_remaining when both ends are known (0-100); NaN when neither is."""
    if (_finite(consumed_mah) and _finite(capacity_mah) and capacity_mah is not None
            and consumed_mah is not None and capacity_mah > 0
            and 0 <= consumed_mah <= capacity_mah):
        return 100.0 * consumed_mah / capacity_mah
    if (_finite(remaining_before_pct) and _finite(remaining_after_pct)
            and remaining_before_pct is not None and remaining_after_pct is not None
            and 0 <= remaining_after_pct <= remaining_before_pct <= 100):
        return float(remaining_before_pct - remaining_after_pct)
    return math.nan


def skip_code(flight: FlightEnergy) -> str | None:
    """Why ``flight`` teaches nothing about the endurance (a stable code), or None when it
    counts."""
    if not flight.completed:
        return "energy.not_completed"
    if not (_finite(flight.planned_time_s) and _finite(flight.flown_time_s)):
        return "energy.time_unknown"
    if flight.planned_time_s < MIN_FLIGHT_S or flight.flown_time_s < MIN_FLIGHT_S:
        return "energy.too_short"
    ratio = flight.flown_time_s / flight.planned_time_s
    if not 1.0 / MAX_TIME_RATIO <= ratio <= MAX_TIME_RATIO:
        return "energy.not_the_plan"
    if not _finite(flight.used_pct):
        return "energy.used_unknown"
    if not MIN_USED_PCT <= flight.used_pct <= 100.0:
        return "energy.used_implausible"
    return None


def implied_endurance_s(flight: FlightEnergy) -> float | None:
    """The endurance that would have made the plan's energy right: its estimated time over the
    fraction of battery it used; None when the flight does not count (:func:`skip_code`)."""
    if skip_code(flight) is not None:
        return None
    return flight.planned_time_s * 100.0 / flight.used_pct


@dataclass(frozen=True, slots=True)
class EnduranceCorrection:
    """The corrected endurance and how it was found, for the energy check and the operator."""

    nominal_s: float
    corrected_s: float
    #: Usable flights looked at (at most WINDOW) and the median endurance they imply.
    counted: int
    median_implied_s: float | None
    #: "nominal" (too few flights), "history", "lower_bound" or "upper_bound".
    basis: str

    @property
    def ratio(self) -> float:
        """corrected / nominal (below 1: the drone flies less than its profile says)."""
        return self.corrected_s / self.nominal_s

    def to_dict(self) -> dict[str, Any]:
        return {"nominal_endurance_s": round(self.nominal_s, 1),
                "corrected_endurance_s": round(self.corrected_s, 1),
                "ratio": round(self.ratio, 3), "flights_counted": self.counted,
                "min_flights": MIN_FLIGHTS, "window": WINDOW,
                "median_implied_endurance_s": (None if self.median_implied_s is None
                                               else round(self.median_implied_s, 1)),
                "basis": self.basis,
                "bounds": [LOWER_BOUND, UPPER_BOUND]}


def endurance_correction(nominal_s: float, history: Iterable[FlightEnergy]
                         ) -> EnduranceCorrection:
    """The drone's endurance from its nominal value and its flights (oldest first); see the
    module docstring."""
    if not (_finite(nominal_s) and nominal_s > 0):
        raise ValueError(f"nominal endurance must be a positive number of seconds, "
                         f"got {nominal_s!r}")
    implied = [e for e in (implied_endurance_s(f) for f in history) if e is not None]
    recent = implied[-WINDOW:]
    if len(recent) < MIN_FLIGHTS:
        return EnduranceCorrection(nominal_s, nominal_s, len(recent), None, "nominal")
    median = statistics.median(recent)
    low, high = nominal_s * LOWER_BOUND, nominal_s * UPPER_BOUND
    if median < low:
        return EnduranceCorrection(nominal_s, low, len(recent), median, "lower_bound")
    if median > high:
        return EnduranceCorrection(nominal_s, high, len(recent), median, "upper_bound")
    return EnduranceCorrection(nominal_s, median, len(recent), median, "history")


def corrected_endurance_s(nominal_s: float, history: Iterable[FlightEnergy]) -> float:
    """Just the corrected endurance of :func:`endurance_correction`."""
    return endurance_correction(nominal_s, history).corrected_s
