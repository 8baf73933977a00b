"""Flat-earth geometry for the simulator: metres north/east of an origin to and from degrees.

The simulated flights span a few kilometres, where an equirectangular projection about the
vehicle's starting point is accurate to centimetres; it is cheap and has no dependencies.
"""

from __future__ import annotations

import math

EARTH_RADIUS_M = 6378137.0


def offset_deg(
    lat_deg: float, lon_deg: float, north_m: float, east_m: float
) -> tuple[float, float]:
    """The point ``north_m``/``east_m`` away from (lat_deg, lon_deg), in degrees."""
    dlat = math.degrees(north_m / EARTH_RADIUS_M)
    dlon = math.degrees(east_m / (EARTH_RADIUS_M * math.cos(math.radians(lat_deg))))
    return lat_deg + dlat, lon_deg + dlon


def ne_offset_m(
    lat0_deg: float, lon0_deg: float, lat_deg: float, lon_deg: float
) -> tuple[float, float]:
    """(north_m, east_m) of (lat_deg, lon_deg) as seen from (lat0_deg, lon0_deg)."""
    north_m = math.radians(lat_deg - lat0_deg) * EARTH_RADIUS_M
    east_m = math.radians(lon_deg - lon0_deg) * EARTH_RADIUS_M * math.cos(math.radians(lat0_deg))
    return north_m, east_m


def wrap_360(angle_deg: float) -> float:
    """An angle folded into [0, 360)."""
    return angle_deg % 360.0


def wrap_180(angle_deg: float) -> float:
    """An angle folded into [-180, 180)."""
    return (angle_deg + 180.0) % 360.0 - 180.0


def bearing_deg(north_m: float, east_m: float) -> float:
    """Compass bearing of a north/east vector, 0 = north, clockwise."""
    return wrap_360(math.degrees(math.atan2(east_m, north_m)))
