"""Point-mass multicopter physics: motion under speed and acceleration limits, wind, battery.

Speeding up and slowing down are limited to the waypoint acceleration; turning may use twice
that, as ArduCopter's corners do, within what the lean angle allows.

No I/O and no autopilot logic: something else (the autopilot) sets a demanded ground
velocity and heading, and :meth:`PointMassCopter.step` moves the vehicle towards it within
its limits, drains the battery with time aloft, climb and airspeed, and keeps it on the
ground plane. Positions are metres north/east/up of the starting point.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from jinghang.simulator.geo import wrap_180, wrap_360

GRAVITY_M_S2 = 9.80665


@dataclass(slots=True)
class Limits:
    """Motion limits of the airframe."""

    accel_horizontal_m_s2: float = 2.5
    #: Turning (across the velocity) may use this many times ``accel_horizontal_m_s2``.
    corner_accel_factor: float = 2.0
    accel_vertical_m_s2: float = 2.5
    yaw_rate_deg_s: float = 90.0
    max_airspeed_m_s: float = 22.0
    max_tilt_deg: float = 30.0


@dataclass(slots=True)
class Battery:
    """A simple battery: capacity, drained by current; voltage falls as charge is used. It
    counts the charge (mAh) and the energy (Wh, terminal voltage times current) drawn, what
    BATTERY_STATUS reports as current_consumed and energy_consumed."""

    capacity_mah: float = 3300.0
    full_voltage_v: float = 12.6
    consumed_mah: float = 0.0
    consumed_wh: float = 0.0
    current_a: float = 0.0
    hover_current_a: float = 6.0
    idle_current_a: float = 0.5
    climb_current_a_per_m_s: float = 1.6
    airspeed_current_a_per_m_s: float = 0.12

    @property
    def remaining_fraction(self) -> float:
        if self.capacity_mah <= 0:
            return 1.0
        return max(0.0, 1.0 - self.consumed_mah / self.capacity_mah)

    @property
    def remaining_pct(self) -> int:
        return round(100.0 * self.remaining_fraction)

    @property
    def voltage_v(self) -> float:
        """Terminal voltage: falls by up to 17 % over the charge, sags 0.01 V per ampere."""
        resting_v = self.full_voltage_v * (0.83 + 0.17 * self.remaining_fraction)
        return max(0.0, resting_v - 0.01 * self.current_a)

    def fit_full_pack(self) -> None:
        """A battery swap on the ground: a full pack, its counters from zero."""
        self.consumed_mah = 0.0
        self.consumed_wh = 0.0

    def drain(self, dt_s: float, *, flying: bool, climb_m_s: float, airspeed_m_s: float) -> None:
        if flying:
            current = (
                self.hover_current_a
                + self.climb_current_a_per_m_s * max(0.0, climb_m_s)
                + self.airspeed_current_a_per_m_s * airspeed_m_s
            )
        else:
            current = self.idle_current_a
        self.current_a = current
        self.consumed_mah += current * dt_s / 3.6
        self.consumed_wh += self.voltage_v * current * dt_s / 3600.0


class PointMassCopter:
    """The physical state of one simulated copter, advanced by :meth:`step`."""

    def __init__(self, heading_deg: float = 0.0, limits: Limits | None = None) -> None:
        self.limits = limits or Limits()
        self.battery = Battery()
        self.north_m = 0.0
        self.east_m = 0.0
        self.up_m = 0.0
        self.vel_north_m_s = 0.0
        self.vel_east_m_s = 0.0
        self.vel_up_m_s = 0.0
        self.heading_deg = wrap_360(heading_deg)
        self.yaw_rate_deg_s = 0.0
        self.roll_deg = 0.0
        self.pitch_deg = 0.0
        self.motors_running = False
        self.on_ground = True
        self.wind_speed_m_s = 0.0
        self.wind_from_deg = 0.0
        self.time_s = 0.0
        self.distance_travelled_m = 0.0
        # the demand, set by the autopilot
        self.demand_north_m_s = 0.0
        self.demand_east_m_s = 0.0
        self.demand_up_m_s = 0.0
        self.demand_heading_deg: float | None = None

    # -- derived state -------------------------------------------------------------------
    @property
    def wind_north_m_s(self) -> float:
        """Wind velocity (where the air goes), north component."""
        return -self.wind_speed_m_s * math.cos(math.radians(self.wind_from_deg))

    @property
    def wind_east_m_s(self) -> float:
        return -self.wind_speed_m_s * math.sin(math.radians(self.wind_from_deg))

    @property
    def ground_speed_m_s(self) -> float:
        return math.hypot(self.vel_north_m_s, self.vel_east_m_s)

    @property
    def airspeed_m_s(self) -> float:
        return math.hypot(
            self.vel_north_m_s - self.wind_north_m_s, self.vel_east_m_s - self.wind_east_m_s
        )

    @property
    def course_deg(self) -> float:
        return wrap_360(math.degrees(math.atan2(self.vel_east_m_s, self.vel_north_m_s)))

    # -- control -------------------------------------------------------------------------
    def demand(
        self,
        north_m_s: float,
        east_m_s: float,
        up_m_s: float,
        heading_deg: float | None = None,
    ) -> None:
        """Set the ground velocity and heading the vehicle should reach."""
        self.demand_north_m_s = north_m_s
        self.demand_east_m_s = east_m_s
        self.demand_up_m_s = up_m_s
        self.demand_heading_deg = heading_deg

    def step(self, dt_s: float) -> None:
        """Advance the physics by ``dt_s`` seconds of simulated time."""
        if dt_s <= 0:
            return
        self.time_s += dt_s
        lim = self.limits
        if not self.motors_running:
            self.demand(0.0, 0.0, -5.0 if not self.on_ground else 0.0)
        dn = self.demand_north_m_s
        de = self.demand_east_m_s
        # the airframe cannot exceed its airspeed: clip the demanded air velocity
        air_n = dn - self.wind_north_m_s
        air_e = de - self.wind_east_m_s
        air = math.hypot(air_n, air_e)
        if air > lim.max_airspeed_m_s:
            scale = lim.max_airspeed_m_s / air
            dn = self.wind_north_m_s + air_n * scale
            de = self.wind_east_m_s + air_e * scale
        if self.on_ground:
            dn = de = 0.0
        an, ae = self._horizontal_accel((dn - self.vel_north_m_s) / dt_s,
                                        (de - self.vel_east_m_s) / dt_s)
        # vertical acceleration limit
        au = (self.demand_up_m_s - self.vel_up_m_s) / dt_s
        au = max(-lim.accel_vertical_m_s2, min(lim.accel_vertical_m_s2, au))
        self.vel_north_m_s += an * dt_s
        self.vel_east_m_s += ae * dt_s
        self.vel_up_m_s += au * dt_s
        step_n = self.vel_north_m_s * dt_s
        step_e = self.vel_east_m_s * dt_s
        self.north_m += step_n
        self.east_m += step_e
        self.distance_travelled_m += math.hypot(step_n, step_e)
        self.up_m += self.vel_up_m_s * dt_s
        if self.up_m <= 0.0:
            self.up_m = 0.0
            if self.vel_up_m_s <= 0.0:
                self.vel_up_m_s = 0.0
                self.vel_north_m_s = self.vel_east_m_s = 0.0
                self.on_ground = True
        elif self.up_m > 0.05 and self.motors_running:
            self.on_ground = False
        self._turn(dt_s)
        self._tilt(an, ae)
        self.battery.drain(
            dt_s,
            flying=self.motors_running,
            climb_m_s=self.vel_up_m_s,
            airspeed_m_s=self.airspeed_m_s if not self.on_ground else 0.0,
        )

    def _horizontal_accel(self, an: float, ae: float) -> tuple[float, float]:
        """The demanded acceleration within the limits: along the velocity at most
        ``accel_horizontal_m_s2``, across it (turning) at most ``corner_accel_factor`` times
        that (ArduCopter's corner acceleration WPNAV_ACCEL_C defaults to twice WPNAV_ACCEL),
        and in all never more than the lean-angle limit allows (g tan(max_tilt))."""
        lim = self.limits
        speed = self.ground_speed_m_s
        if speed > 0.5:
            tn, te = self.vel_north_m_s / speed, self.vel_east_m_s / speed
            along = an * tn + ae * te
            ln, le = an - along * tn, ae - along * te
            along = max(-lim.accel_horizontal_m_s2, min(lim.accel_horizontal_m_s2, along))
            lateral = math.hypot(ln, le)
            corner = lim.accel_horizontal_m_s2 * lim.corner_accel_factor
            if lateral > corner:
                ln, le = ln * corner / lateral, le * corner / lateral
            an, ae = along * tn + ln, along * te + le
            cap = GRAVITY_M_S2 * math.tan(math.radians(max(1.0, min(80.0, lim.max_tilt_deg))))
            cap = max(cap, lim.accel_horizontal_m_s2)
        else:
            cap = lim.accel_horizontal_m_s2
        a = math.hypot(an, ae)
        if a > cap:
            an, ae = an * cap / a, ae * cap / a
        return an, ae

    def _turn(self, dt_s: float) -> None:
        if self.demand_heading_deg is None or self.on_ground:
            self.yaw_rate_deg_s = 0.0
            return
        error = wrap_180(self.demand_heading_deg - self.heading_deg)
        max_turn = self.limits.yaw_rate_deg_s * dt_s
        turn = max(-max_turn, min(max_turn, error))
        self.heading_deg = wrap_360(self.heading_deg + turn)
        self.yaw_rate_deg_s = turn / dt_s

    def _tilt(self, accel_north_m_s2: float, accel_east_m_s2: float) -> None:
        """Lean into acceleration and into the relative wind, as a copter does."""
        if self.on_ground:
            self.roll_deg = self.pitch_deg = 0.0
            return
        drag_n = 0.02 * (self.vel_north_m_s - self.wind_north_m_s) * self.airspeed_m_s
        drag_e = 0.02 * (self.vel_east_m_s - self.wind_east_m_s) * self.airspeed_m_s
        fn = accel_north_m_s2 + drag_n
        fe = accel_east_m_s2 + drag_e
        yaw = math.radians(self.heading_deg)
        forward = fn * math.cos(yaw) + fe * math.sin(yaw)
        right = -fn * math.sin(yaw) + fe * math.cos(yaw)
        max_tilt = self.limits.max_tilt_deg
        self.pitch_deg = max(
            -max_tilt, min(max_tilt, -math.degrees(math.atan2(forward, GRAVITY_M_S2)))
        )
        self.roll_deg = max(-max_tilt, min(max_tilt, math.degrees(math.atan2(right, GRAVITY_M_S2))))
