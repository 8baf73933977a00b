"""The point-mass physics on its own: limits, wind, battery."""

from __future__ import annotations

import math

from jinghang.simulator.physics import PointMassCopter


def fly(copter: PointMassCopter, seconds: float, dt_s: float = 0.05) -> None:
    for _ in range(round(seconds / dt_s)):
        copter.step(dt_s)


def airborne() -> PointMassCopter:
    c = PointMassCopter()
    c.motors_running = True
    c.demand(0, 0, 2.0)
    fly(c, 5)
    c.demand(0, 0, 0)
    fly(c, 2)
    return c


def test_acceleration_is_limited_and_speed_reached() -> None:
    c = airborne()
    c.demand(10.0, 0.0, 0.0)
    c.step(0.1)
    assert c.vel_north_m_s <= c.limits.accel_horizontal_m_s2 * 0.1 + 1e-9
    fly(c, 10)
    assert abs(c.vel_north_m_s - 10.0) < 1e-6
    assert c.pitch_deg < 0  # nose down to fly forwards


def test_airspeed_limit_with_tailwind_and_headwind() -> None:
    c = airborne()
    c.wind_speed_m_s, c.wind_from_deg = 10.0, 0.0  # from the north: blows south
    c.demand(30.0, 0.0, 0.0)  # into the wind
    fly(c, 20)
    assert abs(c.ground_speed_m_s - (c.limits.max_airspeed_m_s - 10.0)) < 0.01
    c.demand(-30.0, 0.0, 0.0)  # downwind
    fly(c, 30)
    assert abs(c.vel_north_m_s + 30.0) < 0.01
    assert c.airspeed_m_s < c.limits.max_airspeed_m_s + 1e-6


def test_ground_stops_descent_and_motors_off_on_ground_stay_put() -> None:
    c = airborne()
    c.demand(0, 0, -3.0)
    fly(c, 10)
    assert c.on_ground and c.up_m == 0.0 and c.vel_up_m_s == 0.0
    c.motors_running = False
    c.demand(5.0, 0, 0)
    fly(c, 2)
    assert c.ground_speed_m_s == 0.0


def test_battery_drains_more_when_climbing_and_flying_fast() -> None:
    hover, climb = airborne(), airborne()
    used0 = hover.battery.consumed_mah
    fly(hover, 60)
    climb.demand(0, 0, 2.5)
    used1 = climb.battery.consumed_mah
    fly(climb, 60)
    assert climb.battery.consumed_mah - used1 > hover.battery.consumed_mah - used0
    assert hover.battery.voltage_v < hover.battery.full_voltage_v
    assert 0 <= hover.battery.remaining_pct <= 100


def test_heading_turns_at_the_yaw_rate_limit() -> None:
    c = airborne()
    c.demand(0, 0, 0, heading_deg=90.0)
    c.step(0.5)
    assert math.isclose(c.heading_deg, c.limits.yaw_rate_deg_s * 0.5)
    fly(c, 2)
    assert math.isclose(c.heading_deg, 90.0)
