"""Guidance of a simulated copter: from what the autopilot wants (go to, take off, land,
circle, drift, a velocity) to the ground velocity and heading demanded of the physics.

Speeds follow the WPNAV parameters; approaches slow down with the square root of the distance
left so the vehicle stops on its target within the acceleration limit; the heading faces the
direction of travel (WP_YAW_BEHAVIOR) or the region of interest, which the gimbal also tracks.
"""

from __future__ import annotations

import enum
import math
from typing import TYPE_CHECKING

from jinghang.simulator.geo import bearing_deg

if TYPE_CHECKING:
    from jinghang.simulator.vehicle import SimVehicle


class Guide(enum.Enum):
    """What the position controller is doing."""

    IDLE = "idle"
    GOTO = "goto"  # fly to (and hold at) a position target
    TAKEOFF = "takeoff"
    LAND = "land"
    CIRCLE = "circle"
    DRIFT = "drift"  # no position hold: drift with the wind at constant altitude
    VELOCITY = "velocity"


def vertical_demand(v: SimVehicle, target_up: float) -> float:
    """Climb (+) or descent rate towards ``target_up``, within the WPNAV limits."""
    p = v.physics
    dz = target_up - p.up_m
    accel = p.limits.accel_vertical_m_s2 * 0.8
    if dz >= 0:
        limit = max(0.1, v.param("WPNAV_SPEED_UP") / 100.0)
        return min(limit, math.sqrt(2 * accel * dz), 1.5 * dz)
    limit = max(0.1, v.param("WPNAV_SPEED_DN") / 100.0)
    return -min(limit, math.sqrt(2 * accel * -dz), 1.5 * -dz)


def update_guidance(v: SimVehicle, dt_s: float) -> None:
    """Set the physics' demanded velocity and heading from what the autopilot is doing."""
    p = v.physics
    heading: float | None = None
    guide = v.guide if v.armed else Guide.IDLE
    if guide == Guide.IDLE:
        p.demand(0.0, 0.0, 0.0 if p.on_ground else -1.0)
        return
    if guide in (Guide.GOTO, Guide.TAKEOFF):
        dn = v._tgt_n - p.north_m
        de = v._tgt_e - p.east_m
        dist = math.hypot(dn, de)
        speed_limit = v._tgt_speed_m_s or v._cruise_speed_m_s()
        accel = p.limits.accel_horizontal_m_s2 * 0.8
        speed = min(speed_limit, math.sqrt(2 * accel * dist), 1.5 * dist)
        vn, ve = (dn / dist * speed, de / dist * speed) if dist > 1e-6 else (0.0, 0.0)
        vu = vertical_demand(v, v._tgt_up)
        if dist > 2.0 and v.param("WP_YAW_BEHAVIOR") != 0:
            heading = bearing_deg(dn, de)
    elif guide == Guide.LAND:
        dn = v._tgt_n - p.north_m
        de = v._tgt_e - p.east_m
        vn, ve = 1.0 * dn, 1.0 * de
        if v.relative_altitude_m > v.param("LAND_ALT_LOW") / 100.0:
            high = v.param("LAND_SPEED_HIGH") or v.param("WPNAV_SPEED_DN")
            vu = -max(0.1, high / 100.0)
        else:
            vu = -max(0.1, v.param("LAND_SPEED") / 100.0)
    elif guide == Guide.CIRCLE:
        cn, ce, radius, rate = v._circle
        v._circle_angle_deg += rate * dt_s
        v._circle_travel_deg += abs(rate) * dt_s
        ang = math.radians(v._circle_angle_deg)
        tn = cn + radius * math.cos(ang)
        te = ce + radius * math.sin(ang)
        tangential = math.radians(rate) * radius
        vn = -math.sin(ang) * tangential + 1.5 * (tn - p.north_m)
        ve = math.cos(ang) * tangential + 1.5 * (te - p.east_m)
        vu = vertical_demand(v, v._tgt_up)
        heading = bearing_deg(cn - p.north_m, ce - p.east_m) if radius > 0.5 else None
    elif guide == Guide.VELOCITY:
        vn, ve, vu = v._vel
    else:  # DRIFT
        vn, ve, vu = p.wind_north_m_s, p.wind_east_m_s, 0.0
    if v.roi is not None:
        rn, re = v._local(v.roi[0], v.roi[1])
        heading = bearing_deg(rn - p.north_m, re - p.east_m)
        horizontal = math.hypot(rn - p.north_m, re - p.east_m)
        drop = v.relative_altitude_m - v.roi[2]
        v.gimbal_pitch_deg = -math.degrees(math.atan2(drop, max(horizontal, 0.1)))
        v.gimbal_yaw_deg = 0.0
    p.demand(vn, ve, vu, heading)
