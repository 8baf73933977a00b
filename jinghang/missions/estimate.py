"""Estimates of a mission from its items: horizontal and vertical distance, flight time, energy
in percent of a full battery, and where the camera takes its photos (distance triggering is
followed leg by leg, as ArduPilot's camera library does).

The flight time follows the motion model of :mod:`jinghang.missions.vehicle_limits` with the
vehicle's own limits (ArduCopter's defaults when planning without a vehicle): each leg speeds
up and slows down at the S-curve's equivalent acceleration, waypoints flown through are passed
at the corner speed of their turn, climbs and descents run at their own rates, and takeoff
(with its spool-up), holds, loiter circles (at the speed their radius allows), the settling at
each stop that is not a fast waypoint, RTL's stages and loiter, the landing's braking to its
slow last metres and the land detector are counted. A planned speed the vehicle cannot fly
(above its lean-angle cap) is clamped, with a warning naming the item.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from jinghang.missions.geo import LatLon, bearing_deg, destination, distance_m
from jinghang.missions.items import Cmd, MissionItem
from jinghang.missions.plan import MissionPlan, has_position
from jinghang.missions.vehicle_limits import (
    VehicleLimits,
    corner_speed_m_s,
    effective_accel_m_s2,
    land_time_s,
    leg_peak_speed_m_s,
    leg_time_s,
    vertical_time_s,
)

#: A positioned land item is flown to at altitude first, within this distance.
LAND_APPROACH_M = 2.0


@dataclass(frozen=True, slots=True)
class Airframe:
    """What the estimates assume about the vehicle: its speed when the plan sets none, its
    endurance (flight time from a full battery to empty), and its flight limits."""

    cruise_speed_m_s: float = 10.0
    #: Flight time from a full battery to empty, at cruise.
    endurance_s: float = 30 * 60.0
    #: The vehicle's limits (read from it with ``read_vehicle_limits``, or the defaults).
    limits: VehicleLimits = field(default_factory=VehicleLimits)


@dataclass(frozen=True, slots=True)
class Photo:
    """One distance-triggered or commanded photo: where, and the heading of travel."""

    latitude_deg: float
    longitude_deg: float
    altitude_m: float
    heading_deg: float


@dataclass(frozen=True, slots=True)
class EstimateWarning:
    """Something the estimate had to assume, for the operator: a stable ``code``, its
    parameters and the English text."""

    code: str
    params: dict[str, float | int | str]
    message: str


@dataclass(frozen=True, slots=True)
class Estimate:
    distance_horizontal_m: float
    distance_vertical_m: float
    flight_time_s: float
    energy_pct: float
    photo_count: int
    warnings: tuple[EstimateWarning, ...] = ()
    #: When each item is done, seconds after the start of the mission (caller numbering).
    item_done_s: tuple[float, ...] = ()


def speed_warning(seq: int, planned_m_s: float, limits: VehicleLimits) -> EstimateWarning:
    flyable = limits.max_speed_m_s()
    return EstimateWarning(
        "estimate.speed_clamped",
        {"item": seq, "planned_m_s": round(planned_m_s, 2), "flyable_m_s": round(flyable, 2),
         "angle_max_deg": round(limits.angle_max_deg, 1)},
        f"item {seq} asks for {planned_m_s:g} m/s but the vehicle tops out at "
        f"{flyable:.1f} m/s (lean angle limit ANGLE_MAX {limits.angle_max_deg:g} deg): "
        f"the estimate counts {flyable:.1f} m/s",
    )


def _next_nav(items: list[MissionItem], index: int) -> MissionItem | None:
    for later in items[index + 1 :]:
        if later.command in _NAV_ALL:
            return later
    return None


def _walk(
    items: list[MissionItem], home: LatLon | None, airframe: Airframe, cruise_speed_m_s: float
) -> tuple[Estimate, list[Photo]]:
    lim = airframe.limits
    warnings: list[EstimateWarning] = []
    speed = lim.flyable_speed_m_s(cruise_speed_m_s)
    horizontal = vertical = time_s = 0.0
    photos: list[Photo] = []
    pos: LatLon | None = home
    start = home
    alt = 0.0
    trigger_m = 0.0
    since_photo_m = 0.0
    entry_m_s = 0.0  # the speed the current leg starts at (a corner passed through)

    def leg_heading(a: LatLon, b: LatLon) -> float | None:
        return bearing_deg(a, b) if distance_m(a, b) > 0.5 else None

    def fly_to(target: LatLon, target_alt: float, exit_m_s: float = 0.0,
               top_m_s: float | None = None) -> None:
        nonlocal pos, alt, horizontal, vertical, time_s, since_photo_m, entry_m_s
        if pos is None:
            pos = target
        leg = distance_m(pos, target)
        climb = target_alt - alt
        top = leg_speed(leg, speed if top_m_s is None else top_m_s)
        accel = effective_accel_m_s2(lim.accel_m_s2, lim.jerk_m_s3, top)
        along_s = leg_time_s(leg, entry_m_s, top, exit_m_s, accel)
        rate = lim.climb_m_s if climb > 0 else lim.descent_m_s
        time_s += max(along_s, vertical_time_s(climb, rate, lim.accel_z_m_s2))
        entry_m_s = min(exit_m_s, math.sqrt(entry_m_s**2 + 2 * accel * leg)) if leg > 0 else 0.0
        if trigger_m > 0 and leg > 0:
            heading = bearing_deg(pos, target)
            travelled = 0.0
            while since_photo_m + (leg - travelled) >= trigger_m:
                step = trigger_m - since_photo_m
                travelled += step
                lat, lon = destination(pos, heading, travelled)
                frac = travelled / leg
                photos.append(Photo(lat, lon, alt + climb * frac, heading))
                since_photo_m = 0.0
            since_photo_m += leg - travelled
        horizontal += leg
        vertical += abs(climb)
        pos = target
        alt = target_alt

    def climb_to(target_alt: float) -> None:
        nonlocal alt, vertical, time_s, entry_m_s
        climb = target_alt - alt
        rate = lim.climb_m_s if climb > 0 else lim.descent_m_s
        time_s += vertical_time_s(climb, rate, lim.accel_z_m_s2)
        vertical += abs(climb)
        alt = target_alt
        entry_m_s = 0.0

    def land_here() -> None:
        nonlocal alt, vertical, time_s, entry_m_s
        time_s += land_time_s(lim, alt)
        vertical += alt
        alt = 0.0
        entry_m_s = 0.0

    def leg_speed(leg_m: float, top_m_s: float) -> float:
        return leg_peak_speed_m_s(leg_m, top_m_s, lim.accel_m_s2, lim.jerk_m_s3)

    def pass_speed(index: int, item: MissionItem) -> float:
        """The speed waypoint ``index`` is passed at (0: the vehicle stops on it)."""
        if item.command != Cmd.NAV_WAYPOINT or item.param1 > 0 or pos is None:
            return 0.0
        nxt = _next_nav(items, index)
        if nxt is None or nxt.command != Cmd.NAV_WAYPOINT or not has_position(nxt):
            return 0.0
        here = (item.latitude_deg, item.longitude_deg)
        there = (nxt.latitude_deg, nxt.longitude_deg)
        heading_in = leg_heading(pos, here)
        heading_out = leg_heading(here, there)
        if heading_in is None or heading_out is None:
            return 0.0
        turn = (heading_out - heading_in + 180.0) % 360.0 - 180.0
        return corner_speed_m_s(lim, leg_speed(distance_m(pos, here), speed),
                                leg_speed(distance_m(here, there), speed), turn)

    def next_heading(index: int) -> float:
        for later in items[index + 1 :]:
            if later.command in _NAV_MOVES and has_position(later) and pos is not None:
                target = (later.latitude_deg, later.longitude_deg)
                if distance_m(pos, target) > 0.01:
                    return bearing_deg(pos, target)
        return photos[-1].heading_deg if photos else 0.0

    done_s: list[float] = []
    for index, item in enumerate(items):
        if index:
            done_s.append(time_s)
        cmd = item.command
        positioned = has_position(item)
        if cmd == Cmd.NAV_TAKEOFF:
            if positioned and pos is None:
                pos = (item.latitude_deg, item.longitude_deg)
            if start is None:
                start = pos
            if alt <= 0.0:
                time_s += max(0.0, lim.takeoff_delay_s)
            climb_to(max(alt, item.altitude_m, 1.0))
        elif cmd == Cmd.NAV_WAYPOINT:
            if positioned:
                fly_to((item.latitude_deg, item.longitude_deg), item.altitude_m,
                       pass_speed(index, item))
                if not _is_fast(items, index):
                    time_s += lim.settle_s
                if start is None:
                    start = pos
            time_s += max(item.param1, 0.0)
        elif cmd in (Cmd.NAV_LOITER_TIME, Cmd.NAV_LOITER_UNLIM):
            if positioned:
                target = (item.latitude_deg, item.longitude_deg)
                moves = pos is None or distance_m(pos, target) > 0.5 or \
                    abs(item.altitude_m - alt) > 0.5
                fly_to(target, item.altitude_m)
                if moves:  # already stopped there (a waypoint before it): nothing to settle
                    time_s += lim.settle_s
                if start is None:
                    start = pos
            if cmd == Cmd.NAV_LOITER_TIME:
                time_s += max(item.param1, 0.0)
        elif cmd == Cmd.NAV_LOITER_TURNS:
            radius = abs(item.param3)
            if positioned:
                centre = (item.latitude_deg, item.longitude_deg)
                edge = centre
                if pos is not None and radius > 0:
                    out = bearing_deg(centre, pos) if distance_m(centre, pos) > 0.01 else 0.0
                    edge = destination(centre, out, radius)
                fly_to(edge, item.altitude_m)
                if start is None:
                    start = centre
            loop = 2 * math.pi * radius * max(item.param1, 0.0)
            horizontal += loop
            time_s += loop / _circle_speed_m_s(lim, speed, radius) if loop > 0 else 0.0
            entry_m_s = 0.0
        elif cmd == Cmd.NAV_DELAY:
            time_s += max(item.param1, 0.0)
        elif cmd == Cmd.DO_CHANGE_SPEED:
            if item.param2 > 0:
                if item.param2 > lim.max_speed_m_s() + 1e-6:
                    warnings.append(speed_warning(index, item.param2, lim))
                speed = lim.flyable_speed_m_s(item.param2)
        elif cmd == Cmd.DO_SET_CAM_TRIGG_DIST:
            trigger_m = max(item.param1, 0.0)
            since_photo_m = 0.0
            if trigger_m > 0 and item.param3 >= 1 and pos is not None:
                photos.append(Photo(pos[0], pos[1], alt, next_heading(index)))
        elif cmd in (Cmd.IMAGE_START_CAPTURE, Cmd.DO_DIGICAM_CONTROL):
            if pos is not None:
                photos.append(Photo(pos[0], pos[1], alt, next_heading(index)))
        elif cmd == Cmd.NAV_RETURN_TO_LAUNCH:
            trigger_m = 0.0
            if start is not None and pos is not None:
                # RTL's stages (climb, return, loiter at home) each end in a stop
                climb_to(max(alt, lim.rtl_altitude_m))
                time_s += lim.settle_s
                rtl_speed = lim.rtl_speed_m_s if lim.rtl_speed_m_s > 0 else lim.wp_speed_m_s
                fly_to(start, alt, top_m_s=lim.flyable_speed_m_s(rtl_speed))
                time_s += lim.settle_s + max(0.0, lim.rtl_loiter_s)
            land_here()
        elif cmd == Cmd.NAV_LAND:
            trigger_m = 0.0
            if positioned and pos is not None:
                target = (item.latitude_deg, item.longitude_deg)
                if distance_m(pos, target) > LAND_APPROACH_M:
                    fly_to(target, alt)
            land_here()
    if items:
        done_s.append(time_s)
    energy_pct = 100.0 * time_s / airframe.endurance_s
    estimate = Estimate(horizontal, vertical, time_s, energy_pct, len(photos), tuple(warnings),
                        tuple(done_s))
    return estimate, photos


def _is_fast(items: list[MissionItem], index: int) -> bool:
    """Whether waypoint ``index`` is one of ArduCopter's "fast" waypoints (no hold, a
    positioned waypoint next), reached as its S-curve target gets there; any other stop also
    waits for the vehicle itself to be within the radius."""
    item = items[index]
    if item.param1 > 0:
        return False
    nxt = _next_nav(items, index)
    return nxt is not None and nxt.command == Cmd.NAV_WAYPOINT and has_position(nxt)


def _circle_speed_m_s(lim: VehicleLimits, speed_m_s: float, radius_m: float) -> float:
    """The speed round a loiter circle: CIRCLE_RATE, the set speed, and the centripetal
    acceleration (v^2 / r at most half WPNAV_ACCEL), as ArduCopter's AC_Circle limits it."""
    if radius_m <= 0:
        return max(speed_m_s, 0.1)
    by_rate = math.radians(lim.circle_rate_deg_s) * radius_m
    by_accel = math.sqrt(0.5 * lim.accel_m_s2 * radius_m)
    return max(0.1, min(speed_m_s, by_rate, by_accel))


_NAV_MOVES = frozenset(
    {Cmd.NAV_WAYPOINT, Cmd.NAV_LOITER_TIME, Cmd.NAV_LOITER_TURNS, Cmd.NAV_LOITER_UNLIM}
)
#: Every navigation command: the next of these after a waypoint decides whether it is passed.
_NAV_ALL = _NAV_MOVES | {Cmd.NAV_TAKEOFF, Cmd.NAV_LAND, Cmd.NAV_RETURN_TO_LAUNCH, Cmd.NAV_DELAY}


def estimate_items(
    items: list[MissionItem],
    home: LatLon | None = None,
    airframe: Airframe | None = None,
    cruise_speed_m_s: float | None = None,
) -> Estimate:
    """Distances, time, energy and photo count of flying ``items`` from ``home``."""
    frame = airframe or Airframe()
    return _walk(items, home, frame, cruise_speed_m_s or frame.cruise_speed_m_s)[0]


def photo_positions(
    items: list[MissionItem], home: LatLon | None = None, airframe: Airframe | None = None
) -> list[Photo]:
    """Where the camera fires along ``items`` (distance triggering and single shots)."""
    frame = airframe or Airframe()
    return _walk(items, home, frame, frame.cruise_speed_m_s)[1]


def with_estimates(plan: MissionPlan, airframe: Airframe | None = None) -> MissionPlan:
    """``plan`` with its distances, flight time, energy and photo count filled in; what the
    estimate had to assume (a speed clamped to what the vehicle flies) is added to its notes."""
    est = estimate_items(plan.items, plan.launch_point(), airframe, plan.cruise_speed_m_s)
    notes = [n for n in plan.notes if not n.startswith(_WARNING_PREFIX)]
    notes.extend(f"{_WARNING_PREFIX}{w.message}" for w in est.warnings)
    return plan.with_(
        distance_horizontal_m=est.distance_horizontal_m,
        distance_vertical_m=est.distance_vertical_m,
        flight_time_s=est.flight_time_s,
        energy_pct=est.energy_pct,
        photo_count=est.photo_count,
        notes=notes,
    )


#: The estimate's warnings in a plan's notes start with this (they are replaced on re-estimate).
_WARNING_PREFIX = "estimate: "
