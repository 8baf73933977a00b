"""Guidance of a simulated copter: from what the autopilot wants (go to, take off, land,
circle, drift, a velocity) to the ground velocity and heading demanded of the physics.

Speeds follow the WPNAV parameters and the motion model of
``jinghang.missions.vehicle_limits`` (the one the flight-time estimate uses): the speed ramps
up and down at the S-curve's equivalent acceleration, never above the lean-angle cap of
ANGLE_MAX; an approach slows with the square root of the distance left so the vehicle stops
on its target, or, on an AUTO waypoint flown through to a next one, passes it at the corner
speed of the turn there; climbs and descents ramp at WPNAV_ACCEL_Z. The heading faces the
direction of travel (WP_YAW_BEHAVIOR) or the region of interest, which the gimbal also tracks.
"""

from __future__ import annotations

import enum
import math
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING

from jinghang.missions.items import Cmd, MissionItem
from jinghang.missions.vehicle_limits import (
    VehicleLimits,
    corner_speed_m_s,
    effective_accel_m_s2,
    lean_speed_cap_m_s,
    leg_peak_speed_m_s,
)
from jinghang.simulator.geo import bearing_deg, wrap_180
from jinghang.simulator.mission_runner import NAV_COMMANDS
from jinghang.simulator.modes import Mode

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


def vertical_demand(v: SimVehicle, target_up: float, dt_s: float = 0.05) -> float:
    """Climb (+) or descent rate towards ``target_up``, within the WPNAV limits."""
    p = v.physics
    dz = target_up - p.up_m
    accel = min(p.limits.accel_vertical_m_s2, max(0.1, v.param("WPNAV_ACCEL_Z") / 100.0))
    ramp = abs(p.vel_up_m_s) + accel * max(dt_s, 1e-3)
    if dz >= 0:
        limit = max(0.1, v.param("WPNAV_SPEED_UP") / 100.0)
        return min(limit, ramp, math.sqrt(2 * accel * dz), 1.5 * dz)
    limit = max(0.1, v.param("WPNAV_SPEED_DN") / 100.0)
    return -min(limit, ramp, math.sqrt(2 * accel * -dz), 1.5 * -dz)


def land_descent_m_s(v: SimVehicle, dt_s: float) -> float:
    """The descent rate of a landing: LAND_SPEED_HIGH (or WPNAV_SPEED_DN) ramped at
    WPNAV_ACCEL_Z, braking so as to be at LAND_SPEED by LAND_ALT_LOW, LAND_SPEED below it (as
    ``vehicle_limits.land_time_s`` counts it)."""
    p = v.physics
    accel = min(p.limits.accel_vertical_m_s2, max(0.1, v.param("WPNAV_ACCEL_Z") / 100.0))
    slow = max(0.1, v.param("LAND_SPEED") / 100.0)
    above_m = v.relative_altitude_m - v.param("LAND_ALT_LOW") / 100.0
    if above_m <= 0:
        return slow
    high = max(slow, (v.param("LAND_SPEED_HIGH") or v.param("WPNAV_SPEED_DN")) / 100.0)
    ramp = max(0.0, -p.vel_up_m_s) + accel * max(dt_s, 1e-3)
    return max(min(slow, ramp), min(high, ramp, math.sqrt(slow * slow + 2 * accel * above_m)))


@dataclass(slots=True)
class _Leg:
    """The straight leg being flown: where it started and where it ends."""

    origin_n: float
    origin_e: float
    target_n: float
    target_e: float

    @property
    def length_m(self) -> float:
        return math.hypot(self.target_n - self.origin_n, self.target_e - self.origin_e)


#: Each vehicle's current leg (guidance's own state, kept beside the vehicle).
_LEGS: weakref.WeakKeyDictionary[SimVehicle, _Leg] = weakref.WeakKeyDictionary()


def current_leg(v: SimVehicle) -> _Leg:
    """The leg to the current target: from the previous target when the vehicle is passing
    it (a corner), else from where the vehicle is."""
    p = v.physics
    leg = _LEGS.get(v)
    if leg is None or (leg.target_n, leg.target_e) != (v._tgt_n, v._tgt_e):
        near = max(2.0 * v.param("WPNAV_RADIUS") / 100.0, 3.0)
        if leg is not None and math.hypot(leg.target_n - p.north_m,
                                          leg.target_e - p.east_m) <= near:
            origin = (leg.target_n, leg.target_e)
        else:
            origin = (p.north_m, p.east_m)
        leg = _Leg(origin[0], origin[1], v._tgt_n, v._tgt_e)
        _LEGS[v] = leg
    return leg


def _limits(v: SimVehicle) -> VehicleLimits:
    return VehicleLimits(
        accel_m_s2=min(v.physics.limits.accel_horizontal_m_s2, v.param("WPNAV_ACCEL") / 100.0),
        jerk_m_s3=max(0.05, v.param("WPNAV_JERK")),
        wp_radius_m=max(0.05, v.param("WPNAV_RADIUS") / 100.0),
    )


def top_speed_m_s(v: SimVehicle) -> float:
    """The horizontal speed the vehicle flies now: the set speed (WPNAV_SPEED on RTL, as
    ArduCopter's RTL resets it), within the lean-angle cap."""
    if v._rtl_active and not v._tgt_speed_m_s:
        speed = max(0.2, v.param("WPNAV_SPEED") / 100.0)
    else:
        speed = v._tgt_speed_m_s or v._cruise_speed_m_s()
    return min(speed, lean_speed_cap_m_s(v.param("ANGLE_MAX") / 100.0))


def waypoint_accel_m_s2(v: SimVehicle, speed_m_s: float) -> float:
    """The S-curve-equivalent acceleration of WPNAV_ACCEL and WPNAV_JERK up to ``speed_m_s``."""
    accel = min(v.physics.limits.accel_horizontal_m_s2, v.param("WPNAV_ACCEL") / 100.0)
    return effective_accel_m_s2(accel, v.param("WPNAV_JERK"), speed_m_s)


def _next_waypoint(v: SimVehicle) -> MissionItem | None:
    """The positioned waypoint the current AUTO waypoint is flown through to (none when the
    vehicle stops on it: a hold, another command next, or not in AUTO)."""
    if v.mode != Mode.AUTO or v.guide != Guide.GOTO:
        return None
    items = v.mission_items
    seq = v.runner.current_seq
    if not 1 <= seq < len(items) - 1:
        return None
    item = items[seq]
    if int(item.command) != Cmd.NAV_WAYPOINT or item.param1 > 0:
        return None
    nxt = next((later for later in items[seq + 1 :] if int(later.command) in NAV_COMMANDS), None)
    if nxt is None or int(nxt.command) != Cmd.NAV_WAYPOINT or (
        nxt.latitude_deg == 0 and nxt.longitude_deg == 0
    ):
        return None
    nn, ne = v._local(nxt.latitude_deg, nxt.longitude_deg)
    if math.hypot(nn - v._tgt_n, ne - v._tgt_e) < 0.5 or current_leg(v).length_m < 0.5:
        return None  # a climb or descent on the spot: the vehicle stops before and after it
    return nxt


def passes_through(v: SimVehicle) -> bool:
    """Whether the current target is a waypoint flown through (ArduCopter's fast waypoint)."""
    return _next_waypoint(v) is not None


def settled(v: SimVehicle) -> bool:
    """Stopped on the target, as ArduCopter's S-curve has finished before a waypoint it stops
    on counts as reached."""
    p = v.physics
    return p.ground_speed_m_s < 0.5 and abs(p.vel_up_m_s) < 0.3


def pass_speed_m_s(v: SimVehicle, speed_m_s: float) -> float:
    """The speed at which the current target is passed: 0 (stop on it) unless it is an AUTO
    waypoint without hold followed by another positioned waypoint, then the corner speed."""
    nxt = _next_waypoint(v)
    if nxt is None:
        return 0.0
    leg = current_leg(v)
    nn, ne = v._local(nxt.latitude_deg, nxt.longitude_deg)
    out_m = math.hypot(nn - v._tgt_n, ne - v._tgt_e)
    heading_in = bearing_deg(v._tgt_n - leg.origin_n, v._tgt_e - leg.origin_e)
    heading_out = bearing_deg(nn - v._tgt_n, ne - v._tgt_e)
    lim = _limits(v)
    speed_out = leg_peak_speed_m_s(out_m, top_speed_m_s(v), lim.accel_m_s2, lim.jerk_m_s3)
    return corner_speed_m_s(lim, speed_m_s, speed_out, wrap_180(heading_out - heading_in))


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
        lim = _limits(v)
        speed_limit = leg_peak_speed_m_s(current_leg(v).length_m, top_speed_m_s(v),
                                         lim.accel_m_s2, lim.jerk_m_s3)
        accel = waypoint_accel_m_s2(v, speed_limit)
        passing = pass_speed_m_s(v, speed_limit) if dist > 0.5 else 0.0
        ramp = p.ground_speed_m_s + accel * max(dt_s, 1e-3)
        approach = math.sqrt(passing * passing + 2 * accel * dist)
        speed = min(speed_limit, ramp, approach, max(passing, 1.5 * dist))
        vn, ve = (dn / dist * speed, de / dist * speed) if dist > 1e-6 else (0.0, 0.0)
        vu = vertical_demand(v, v._tgt_up, dt_s)
        if guide == Guide.TAKEOFF and p.on_ground and \
                v.time_s - v.takeoff_started_s < v.model.takeoff_delay_s:
            vu = 0.0  # the motors spool up and the throttle ramps before the climb
        if dist > 2.0 and v.param("WP_YAW_BEHAVIOR") != 0:
            heading = bearing_deg(dn, de)
    elif guide == Guide.LAND:
        dn = v._tgt_n - p.north_m
        de = v._tgt_e - p.east_m
        vn, ve = 1.0 * dn, 1.0 * de
        vu = -land_descent_m_s(v, dt_s)
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
        vu = vertical_demand(v, v._tgt_up, dt_s)
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
