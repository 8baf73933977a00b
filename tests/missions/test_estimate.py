"""The flight-time estimate on the vehicle's own limits: speeds it cannot fly are clamped with a
warning naming the item, corners, short legs and climbs cost what ArduCopter spends on them,
and the limits are read from a vehicle (the endurance corrected from the drone's flights is in
tests/missions/test_endurance.py)."""

from __future__ import annotations

import math

import pytest

from jinghang.flight import Fleet
from jinghang.missions.compile import compile_template
from jinghang.missions.estimate import Airframe, estimate_items
from jinghang.missions.geo import destination
from jinghang.missions.items import Cmd, Frame, MissionItem
from jinghang.missions.vehicle_limits import (
    PARAMS,
    VehicleLimits,
    limits_from_params,
    read_vehicle_limits,
)
from jinghang.simulator import SimulatorServer
from jinghang.simulator.params import ParamTable
from tests.missions import weihai

HOME = (weihai.HOME[0], weihai.HOME[1])


def wp(point: tuple[float, float], alt_m: float = 30.0) -> MissionItem:
    return MissionItem(Cmd.NAV_WAYPOINT, Frame.GLOBAL_RELATIVE_ALT, latitude_deg=point[0],
                       longitude_deg=point[1], altitude_m=alt_m)


def mission(points: list[tuple[float, float]], speed_m_s: float = 10.0,
            alt_m: float = 30.0, *, land_there: bool = False) -> list[MissionItem]:
    """Take off, fly ``points``, then come home (or land on the last point)."""
    end = (MissionItem(Cmd.NAV_LAND, Frame.GLOBAL_RELATIVE_ALT, latitude_deg=points[-1][0],
                       longitude_deg=points[-1][1]) if land_there
           else MissionItem(Cmd.NAV_RETURN_TO_LAUNCH, Frame.MISSION))
    return [
        MissionItem(Cmd.NAV_TAKEOFF, Frame.GLOBAL_RELATIVE_ALT, altitude_m=alt_m),
        MissionItem(Cmd.DO_CHANGE_SPEED, Frame.MISSION, param1=1, param2=speed_m_s),
        *(wp(p, alt_m) for p in points),
        end,
    ]


def path(headings_deg: list[float], leg_m: float) -> list[tuple[float, float]]:
    points, here = [], HOME
    for heading in headings_deg:
        here = destination(here, heading, leg_m)
        points.append(here)
    return points


def flight_time(items: list[MissionItem], limits: VehicleLimits | None = None) -> float:
    frame = Airframe(limits=limits or VehicleLimits())
    return estimate_items(items, HOME, frame).flight_time_s


# -- the vehicle's limits ----------------------------------------------------------------------
def test_the_defaults_are_the_simulated_arducopters_parameters() -> None:
    table = ParamTable()
    values = {name: table[name] for name in PARAMS if name in table}
    assert set(values) == set(PARAMS)
    assert limits_from_params(values) == VehicleLimits()
    assert VehicleLimits().wp_speed_m_s == 10.0 and VehicleLimits().angle_max_deg == 30.0


def test_parameters_convert_from_arducopter_units_and_junk_keeps_the_default() -> None:
    limits = limits_from_params({"WPNAV_SPEED": 1500, "WPNAV_ACCEL": 100, "ANGLE_MAX": 4500,
                                 "RTL_LOIT_TIME": 2000, "WPNAV_SPEED_UP": math.nan,
                                 "WPNAV_SPEED_DN": -50, "WPNAV_RADIUS": 0})
    assert limits.wp_speed_m_s == 15.0
    assert limits.accel_m_s2 == 1.0
    assert limits.angle_max_deg == 45.0
    assert limits.rtl_loiter_s == 2.0
    default = VehicleLimits()
    assert limits.climb_m_s == default.climb_m_s
    assert limits.descent_m_s == default.descent_m_s
    assert limits.wp_radius_m == default.wp_radius_m


def test_arducopter_4_7s_si_parameter_names_are_read_too() -> None:
    # ArduCopter 4.7+ renamed WPNAV_SPEED (cm/s) to WP_SPD (m/s), ANGLE_MAX (cdeg) to
    # ATC_ANGLE_MAX (deg), LAND_SPEED to LAND_SPD_MS, ...: a 4.8 vehicle's limits are its own
    limits = limits_from_params({"WP_SPD": 12.0, "WP_ACC": 1.5, "WP_RADIUS_M": 3.0,
                                 "ATC_ANGLE_MAX": 45.0, "RTL_ALT_M": 30.0, "LAND_SPD_MS": 0.7,
                                 "LAND_ALT_LOW_M": 5.0, "WP_SPD_DN": 2.0})
    assert (limits.wp_speed_m_s, limits.accel_m_s2, limits.wp_radius_m) == (12.0, 1.5, 3.0)
    assert (limits.angle_max_deg, limits.rtl_altitude_m) == (45.0, 30.0)
    assert (limits.land_speed_m_s, limits.land_alt_low_m, limits.descent_m_s) == (0.7, 5.0, 2.0)


def test_a_speed_above_the_lean_angle_limit_is_clamped_with_a_warning_naming_the_item() -> None:
    items = mission(path([0.0], 1500.0), speed_m_s=15.0)
    frame = Airframe(limits=VehicleLimits())
    est = estimate_items(items, HOME, frame)
    assert len(est.warnings) == 1
    warning = est.warnings[0]
    assert warning.code == "estimate.speed_clamped"
    assert warning.params["item"] == 1
    assert warning.params["planned_m_s"] == 15.0
    flyable = float(warning.params["flyable_m_s"])
    assert 10.0 <= flyable <= 11.0
    assert "item 1" in warning.message
    # the time is that of the speed the vehicle flies, not the one asked for
    assert est.flight_time_s == pytest.approx(
        estimate_items(mission(path([0.0], 1500.0), speed_m_s=flyable), HOME, frame).flight_time_s,
        rel=1e-6)
    assert not estimate_items(mission(path([0.0], 1500.0), 10.0), HOME, frame).warnings
    # a steeper lean angle lets the vehicle fly faster: 13.8 m/s at 45 degrees
    steep = estimate_items(items, HOME, Airframe(limits=VehicleLimits(angle_max_deg=45.0)))
    assert float(steep.warnings[0].params["flyable_m_s"]) > flyable + 3.0
    assert steep.flight_time_s < est.flight_time_s


def test_the_clamp_reaches_the_operator_in_the_plans_notes() -> None:
    plan = compile_template("SAF-05", {"area": weihai.FIELD, "home": weihai.HOME})
    assert plan.cruise_speed_m_s == 15
    assert any("tops out at" in note and "item 1" in note for note in plan.notes)
    slow = compile_template("SAF-05", {"area": weihai.FIELD, "home": weihai.HOME},
                            {"speed_m_s": 8})
    assert not any("tops out at" in note for note in slow.notes)


# -- turns, short legs, acceleration and climbs --------------------------------------------
def test_waypoints_in_a_straight_line_cost_nothing_a_right_angle_some_a_u_turn_more() -> None:
    def legs(headings: list[float]) -> float:  # the same 600 m, landing where it ends
        return flight_time(mission(path(headings, 150.0), land_there=True))

    straight = legs([90.0] * 4)
    one_leg = flight_time(mission(path([90.0], 600.0), land_there=True))
    assert straight == pytest.approx(one_leg, abs=0.5)
    right_angle = (legs([90.0, 0.0, 90.0, 0.0]) - straight) / 3
    u_turn = (legs([90.0, 270.0, 90.0, 270.0]) - straight) / 3
    assert 1.0 < right_angle < u_turn < 6.5  # never the full stop and start (6.5 s at 10 m/s)


def test_short_legs_are_flown_slower_than_the_set_speed() -> None:
    ring = flight_time(mission(path([i * 20.0 for i in range(18)], 10.0), land_there=True))
    open_leg = flight_time(mission(path([0.0], 10.0 * 18), land_there=True))
    assert ring > open_leg + 30.0  # ~3 m/s round a ring of 10 m legs, not 10 m/s


def test_a_gentler_acceleration_and_slower_climb_take_longer() -> None:
    items = mission(path([0.0, 90.0, 180.0], 120.0), alt_m=60.0)
    base = flight_time(items)
    assert flight_time(items, VehicleLimits(accel_m_s2=1.0)) > base + 5.0
    assert flight_time(items, VehicleLimits(climb_m_s=1.0)) > base + 20.0


def test_landing_counts_its_slow_last_metres() -> None:
    items = mission([], alt_m=40.0)
    # up at 2.5 m/s, down at 1.5 m/s to 10 m and the last 10 m at 0.5 m/s
    assert flight_time(items) > 40 / 2.5 + 30 / 1.5 + 10 / 0.5


async def test_the_limits_are_read_from_the_vehicle() -> None:
    params = {"WPNAV_SPEED": 700.0, "WPNAV_ACCEL": 150.0, "ANGLE_MAX": 2500.0}
    home = (*weihai.HOME, 0.0)
    async with SimulatorServer(home=home, tcp_port=0, params=params) as server, Fleet() as fleet:
        await fleet.connect(server.address)
        vehicle = await fleet.wait_vehicle(timeout_s=30)
        limits = await read_vehicle_limits(vehicle)
    assert limits.wp_speed_m_s == pytest.approx(7.0)
    assert limits.accel_m_s2 == pytest.approx(1.5)
    assert limits.angle_max_deg == pytest.approx(25.0)
    assert limits.climb_m_s == VehicleLimits().climb_m_s
