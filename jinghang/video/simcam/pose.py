"""Where the simulated camera is and where it looks: :class:`CameraPose`, and the local
east/north metres of a latitude and longitude around the world's origin."""

from __future__ import annotations

import math
from dataclasses import dataclass

EARTH_RADIUS_M = 6_378_137.0


@dataclass(frozen=True, slots=True)
class CameraPose:
    """The camera's position and attitude.

    ``heading_deg`` is clockwise from true north; ``gimbal_pitch_deg`` is 0 at the horizon
    and -90 straight down. ``relative_altitude_m`` is above the (flat) synthetic ground.
    """

    latitude_deg: float
    longitude_deg: float
    relative_altitude_m: float
    heading_deg: float = 0.0
    gimbal_pitch_deg: float = -90.0


def local_east_north_m(
    latitude_deg: float, longitude_deg: float, origin_lat_deg: float, origin_lon_deg: float
) -> tuple[float, float]:
    """Equirectangular east/north offsets in metres of a point from an origin (fine over a few
    kilometres, which is all the synthetic world spans)."""
    north_m = math.radians(latitude_deg - origin_lat_deg) * EARTH_RADIUS_M
    east_m = (
        math.radians(longitude_deg - origin_lon_deg)
        * EARTH_RADIUS_M
        * math.cos(math.radians(origin_lat_deg))
    )
    return east_m, north_m
