"""The endurance corrected from a drone's own flights: what one flight teaches, how many are
needed, how far the correction may go, and that unknown or hostile battery figures (NaN, -1,
a counter running backwards) teach nothing rather than something wrong. The limits tables of
both autopilots."""

from __future__ import annotations

import math

import pytest

from jinghang.mavlink.dialect import mavlink
from jinghang.missions.endurance import (
    LOWER_BOUND,
    MIN_FLIGHTS,
    UPPER_BOUND,
    WINDOW,
    FlightEnergy,
    endurance_correction,
    implied_endurance_s,
    skip_code,
    used_pct,
)
from jinghang.missions.vehicle_limits import PX4_PARAMS, VehicleLimits, limits_from_params

NOMINAL_S = 1800.0


def flight(used: float, planned_s: float = 600.0, flown_s: float | None = None,
           completed: bool = True) -> FlightEnergy:
    return FlightEnergy(planned_s, 100.0 * planned_s / NOMINAL_S,
                        planned_s if flown_s is None else flown_s, used, completed)


def test_flights_that_use_more_than_planned_shorten_the_endurance_once_there_are_enough() -> None:
    # 600 s planned took 40 % of the battery (the plan said 33 %): 1500 s would have been right
    heavy = flight(40.0)
    assert implied_endurance_s(heavy) == pytest.approx(1500.0)
    assert endurance_correction(NOMINAL_S, []).corrected_s == NOMINAL_S
    few = endurance_correction(NOMINAL_S, [heavy] * (MIN_FLIGHTS - 1))
    assert (few.corrected_s, few.basis) == (NOMINAL_S, "nominal")
    enough = endurance_correction(NOMINAL_S, [heavy] * MIN_FLIGHTS)
    assert enough.corrected_s == pytest.approx(1500.0)
    assert enough.basis == "history" and enough.counted == MIN_FLIGHTS


def test_one_odd_flight_moves_nothing_and_only_the_newest_flights_count() -> None:
    normal = [flight(33.3)] * 4
    gusty = flight(60.0)
    assert endurance_correction(NOMINAL_S, [*normal, gusty]).corrected_s == pytest.approx(
        implied_endurance_s(normal[0]))
    # an old era of heavy flights falls out of the window
    history = [flight(60.0)] * 20 + [flight(33.3)] * WINDOW
    assert endurance_correction(NOMINAL_S, history).corrected_s == pytest.approx(
        implied_endurance_s(normal[0]))


def test_the_correction_is_bounded() -> None:
    light = [flight(6.0)] * 10  # implies 10000 s: not believed
    assert endurance_correction(NOMINAL_S, light).corrected_s == NOMINAL_S * UPPER_BOUND
    assert endurance_correction(NOMINAL_S, light).basis == "upper_bound"
    drained = [flight(100.0, planned_s=300.0)] * 10  # implies 300 s
    assert endurance_correction(NOMINAL_S, drained).corrected_s == NOMINAL_S * LOWER_BOUND
    with pytest.raises(ValueError, match="nominal endurance"):
        endurance_correction(0.0, drained)
    with pytest.raises(ValueError, match="nominal endurance"):
        endurance_correction(math.nan, drained)


@pytest.mark.parametrize(("record", "code"), [
    (flight(40.0, completed=False), "energy.not_completed"),
    (flight(2.5, planned_s=30.0), "energy.too_short"),
    (flight(40.0, flown_s=1800.0), "energy.not_the_plan"),
    (flight(math.nan), "energy.used_unknown"),
    (flight(-1.0), "energy.used_implausible"),
    (flight(130.0), "energy.used_implausible"),
    (flight(math.inf), "energy.used_unknown"),
    (flight(40.0, flown_s=math.nan), "energy.time_unknown"),
])
def test_flights_that_teach_nothing_are_kept_out_with_their_reason(
        record: FlightEnergy, code: str) -> None:
    assert skip_code(record) == code
    assert implied_endurance_s(record) is None
    assert endurance_correction(NOMINAL_S, [record] * 10).corrected_s == NOMINAL_S


def test_used_energy_comes_from_consumed_mah_else_the_remaining_percentage() -> None:
    assert used_pct(consumed_mah=1320.0, capacity_mah=3300.0, remaining_before_pct=100,
                    remaining_after_pct=50) == pytest.approx(40.0)
    assert used_pct(remaining_before_pct=95, remaining_after_pct=60) == pytest.approx(35.0)
    # unknown (-1), NaN or impossible consumption falls back to the percentage
    for consumed in (-1.0, math.nan, math.inf, 5000.0):
        assert used_pct(consumed_mah=consumed, capacity_mah=3300.0, remaining_before_pct=90,
                        remaining_after_pct=70) == pytest.approx(20.0)
    # no capacity known (0 or -1 on the vehicle): the percentage
    assert used_pct(consumed_mah=800.0, capacity_mah=-1.0, remaining_before_pct=90,
                    remaining_after_pct=70) == pytest.approx(20.0)
    # nothing sane at all: unknown, never a number
    assert math.isnan(used_pct())
    assert math.isnan(used_pct(consumed_mah=-1, capacity_mah=3300, remaining_before_pct=-1,
                               remaining_after_pct=-1))
    assert math.isnan(used_pct(remaining_before_pct=40, remaining_after_pct=90))
    assert math.isnan(used_pct(remaining_before_pct=math.nan, remaining_after_pct=20))


def test_px4_limits_are_read_with_px4_names_and_units() -> None:
    limits = limits_from_params({"MPC_XY_CRUISE": 8.0, "MPC_ACC_HOR": 3.0,
                                 "MPC_Z_VEL_MAX_UP": 3.0, "MPC_Z_VEL_MAX_DN": 1.0,
                                 "NAV_ACC_RAD": 10.0, "MPC_TILTMAX_AIR": 35.0,
                                 "MPC_LAND_SPEED": math.nan}, table=PX4_PARAMS)
    assert (limits.wp_speed_m_s, limits.accel_m_s2, limits.climb_m_s, limits.descent_m_s,
            limits.wp_radius_m, limits.angle_max_deg) == (8.0, 3.0, 3.0, 1.0, 10.0, 35.0)
    assert limits.land_speed_m_s == VehicleLimits().land_speed_m_s  # NaN keeps the default


def test_hostile_battery_reports_leave_the_meter_with_unknowns() -> None:
    from jinghang.dispatch.energy_history import BatteryMeter

    def battery(consumed: int, energy_hj: int, remaining: int) -> object:
        return mavlink.MAVLink_battery_status_message(
            0, 0, 0, 32767, [12000] + [65535] * 9, 700, consumed, energy_hj, remaining, 0, 0)

    def heartbeat(armed: bool) -> object:
        return mavlink.MAVLink_heartbeat_message(2, 3, 128 if armed else 0, 3, 4, 3)

    def clock(ms: int) -> object:
        return mavlink.MAVLink_system_time_message(0, ms)

    meter = BatteryMeter()
    for message in (clock(10_000), battery(-1, -1, -1), heartbeat(True), clock(130_000),
                    battery(-1, -1, -1), heartbeat(False)):
        meter.observe(message)
    [span] = meter.spans
    assert span.flown_time_s == pytest.approx(120.0)
    assert (span.consumed_mah, span.energy_wh) == (None, None)
    assert (span.start.remaining_pct, span.end.remaining_pct) == (None, None)
    # a counter that runs backwards (a reboot, a lie) is unknown, not negative
    meter = BatteryMeter()
    for message in (battery(900, 3600, 80), heartbeat(True), battery(100, 100, 60),
                    heartbeat(False)):
        meter.observe(message)
    [span] = meter.spans
    assert (span.consumed_mah, span.energy_wh) == (None, None)
    assert (span.start.remaining_pct, span.end.remaining_pct) == (80.0, 60.0)
