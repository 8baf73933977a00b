"""Estimates of a mission from its items: horizontal and vertical distance, flight time, energy
in percent of a full battery, and where the camera takes its photos (distance triggering is
followed leg by leg, as ArduPilot's camera library does)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from jinghang.missions.geo import LatLon, bearing_deg, destination, distance_m
from jinghang.missions.items import Cmd, MissionItem
from jinghang.missions.plan import MissionPlan, has_position


@dataclass(frozen=True, slots=True)
class Airframe:
    """What the estimates assume about the vehicle (a mid-size police quadcopter)."""

    cruise_speed_m_s: float = 10.0
    climb_rate_m_s: float = 2.5
    descent_rate_m_s: float = 1.5
    #: Flight time from a full battery to empty, at cruise.
    endurance_s: float = 30 * 60.0
    #: ArduPilot's RTL_ALT default (15 m): RTL climbs to this before coming home.
    rtl_altitude_m: float = 15.0
    #: Time lost slowing down and speeding up at each waypoint.
    waypoint_penalty_s: float = 1.0


@dataclass(frozen=True, slots=True)
class Photo:
    """One distance-triggered or commanded photo: where, and the heading of travel."""

    latitude_deg: float
    longitude_deg: float
    altitude_m: float
    heading_deg: float


@dataclass(frozen=True, slots=True)
class Estimate:
    distance_horizontal_m: float
    distance_vertical_m: float
    flight_time_s: float
    energy_pct: float
    photo_count: int


def _walk(
    items: list[MissionItem], home: LatLon | None, airframe: Airframe, cruise_speed_m_s: float
) -> tuple[Estimate, list[Photo]]:
    speed = cruise_speed_m_s
    horizontal = vertical = time_s = 0.0
    photos: list[Photo] = []
    pos: LatLon | None = home
    start = home
    alt = 0.0
    trigger_m = 0.0
    since_photo_m = 0.0

    def fly_to(target: LatLon, target_alt: float) -> None:
        nonlocal pos, alt, horizontal, vertical, time_s, since_photo_m
        if pos is None:
            pos = target
        leg = distance_m(pos, target)
        climb = target_alt - alt
        rate = airframe.climb_rate_m_s if climb > 0 else airframe.descent_rate_m_s
        time_s += max(leg / max(speed, 0.1), abs(climb) / rate) + airframe.waypoint_penalty_s
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
        nonlocal alt, vertical, time_s
        climb = target_alt - alt
        rate = airframe.climb_rate_m_s if climb > 0 else airframe.descent_rate_m_s
        time_s += abs(climb) / rate
        vertical += abs(climb)
        alt = target_alt

    def next_heading(index: int) -> float:
        for later in items[index + 1 :]:
            if later.command in _NAV_MOVES and has_position(later) and pos is not None:
                target = (later.latitude_deg, later.longitude_deg)
                if distance_m(pos, target) > 0.01:
                    return bearing_deg(pos, target)
        return photos[-1].heading_deg if photos else 0.0

    for index, item in enumerate(items):
        cmd = item.command
        positioned = has_position(item)
        if cmd == Cmd.NAV_TAKEOFF:
            if positioned and pos is None:
                pos = (item.latitude_deg, item.longitude_deg)
            if start is None:
                start = pos
            climb_to(max(alt, item.altitude_m))
        elif cmd in (Cmd.NAV_WAYPOINT, Cmd.NAV_LOITER_TIME, Cmd.NAV_LOITER_TURNS,
                     Cmd.NAV_LOITER_UNLIM):
            if positioned:
                fly_to((item.latitude_deg, item.longitude_deg), item.altitude_m)
                if start is None:
                    start = pos
            if cmd == Cmd.NAV_WAYPOINT:
                time_s += max(item.param1, 0.0)
            elif cmd == Cmd.NAV_LOITER_TIME:
                time_s += max(item.param1, 0.0)
            elif cmd == Cmd.NAV_LOITER_TURNS:
                radius = abs(item.param3)
                loop = 2 * math.pi * radius * max(item.param1, 0.0)
                horizontal += loop
                time_s += loop / max(speed, 0.1)
        elif cmd == Cmd.NAV_DELAY:
            time_s += max(item.param1, 0.0)
        elif cmd == Cmd.DO_CHANGE_SPEED:
            if item.param2 > 0:
                speed = item.param2
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
                climb_to(max(alt, airframe.rtl_altitude_m))
                fly_to(start, alt)
            climb_to(0.0)
            time_s += 3.0
        elif cmd == Cmd.NAV_LAND:
            trigger_m = 0.0
            if positioned:
                fly_to((item.latitude_deg, item.longitude_deg), alt)
            climb_to(0.0)
            time_s += 3.0
    energy_pct = 100.0 * time_s / airframe.endurance_s
    estimate = Estimate(horizontal, vertical, time_s, energy_pct, len(photos))
    return estimate, photos


_NAV_MOVES = frozenset(
    {Cmd.NAV_WAYPOINT, Cmd.NAV_LOITER_TIME, Cmd.NAV_LOITER_TURNS, Cmd.NAV_LOITER_UNLIM}
)


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
    """``plan`` with its distances, flight time, energy and photo count filled in."""
    est = estimate_items(plan.items, plan.launch_point(), airframe, plan.cruise_speed_m_s)
    return plan.with_(
        distance_horizontal_m=est.distance_horizontal_m,
        distance_vertical_m=est.distance_vertical_m,
        flight_time_s=est.flight_time_s,
        energy_pct=est.energy_pct,
        photo_count=est.photo_count,
    )
