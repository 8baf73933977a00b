"""A drone's endurance (flight time from a full battery to empty) corrected from its own flights.

After a flight the platform knows what the plan said (its estimated flight time and energy in
percent) and what the vehicle reported it used (BATTERY_STATUS: the charge consumed in mAh
against the pack's capacity, or the fall of battery_remaining). :func:`observed_endurance_s`
turns one flight into the endurance it implies; :func:`corrected_endurance_s` folds a history of
flights into the profile's endurance, recent flights weighing most, within bounds of the
nominal value so one odd flight (a gusty day, a bad pack) cannot make the energy check
reckless. Pure: the caller stores the records (see :class:`FlightEnergy`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

#: Flights shorter than this, or using less of the battery, say too little to learn from.
MIN_FLIGHT_S = 60.0
MIN_USED_PCT = 5.0
#: The corrected endurance stays within these fractions of the nominal one.
LOWER_BOUND = 0.5
UPPER_BOUND = 1.25
#: How much each older flight counts against the next newer one.
DECAY = 0.7


@dataclass(frozen=True, slots=True)
class FlightEnergy:
    """One flight's planned and used figures, as the platform records them after landing."""

    #: The plan's estimated flight time and energy (percent of a full battery).
    planned_time_s: float
    planned_pct: float
    #: The flight time actually flown (armed in the air) and the battery it used: from
    #: BATTERY_STATUS current_consumed (mAh) over the capacity when reported, else from the
    #: fall of battery_remaining (percent).
    flown_time_s: float
    used_pct: float

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
    ) -> FlightEnergy:
        """The record from what the vehicle reported: consumed mAh over the capacity when both
        are known and sane, else the fall of battery_remaining; NaN when neither is."""
        used = math.nan
        if consumed_mah is not None and capacity_mah and capacity_mah > 0 and consumed_mah >= 0:
            used = 100.0 * consumed_mah / capacity_mah
        elif remaining_before_pct is not None and remaining_after_pct is not None:
            used = remaining_before_pct - remaining_after_pct
        return cls(planned_time_s, planned_pct, flown_time_s, used)

    def usable(self) -> bool:
        return (
            math.isfinite(self.flown_time_s)
            and math.isfinite(self.used_pct)
            and self.flown_time_s >= MIN_FLIGHT_S
            and MIN_USED_PCT <= self.used_pct <= 100.0
        )


def observed_endurance_s(flight: FlightEnergy) -> float | None:
    """The endurance one flight implies (its time over the fraction of battery it used), or
    None when the flight is too short or its figures are not sane."""
    if not flight.usable():
        return None
    return flight.flown_time_s * 100.0 / flight.used_pct


def corrected_endurance_s(nominal_s: float, history: Iterable[FlightEnergy]) -> float:
    """The drone's endurance from its nominal value and its flights (oldest first): a weighted
    mean of what the usable flights imply, the newest weighing most, with the nominal value
    counting as one more old flight; bounded to [LOWER_BOUND, UPPER_BOUND] x nominal."""
    if not (math.isfinite(nominal_s) and nominal_s > 0):
        raise ValueError(f"nominal endurance must be a positive number of seconds, "
                         f"got {nominal_s!r}")
    observed = [e for e in (observed_endurance_s(f) for f in history) if e is not None]
    if not observed:
        return nominal_s
    weights = [DECAY ** (len(observed) - 1 - i) for i in range(len(observed))]
    prior = DECAY ** len(observed)
    total = prior * nominal_s + sum(w * e for w, e in zip(weights, observed, strict=True))
    mean = total / (prior + sum(weights))
    return min(nominal_s * UPPER_BOUND, max(nominal_s * LOWER_BOUND, mean))
