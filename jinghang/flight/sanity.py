"""What telemetry can be true, and where a vehicle may be: limits checked at the state boundary.

:class:`Limits` bounds every number a vehicle reports (a non-finite or out-of-range value never
reaches :class:`jinghang.flight.state.VehicleState`, and so never the API or the console) and
holds the altitude ceiling. :class:`Geofence` is the fence a vehicle was given (inclusion and
exclusion polygons and circles, as uploaded in the MAVLink fence list) and answers whether a
position is outside it. No I/O.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from jinghang.mavlink.constants import (
    MAV_CMD_NAV_FENCE_CIRCLE_EXCLUSION,
    MAV_CMD_NAV_FENCE_CIRCLE_INCLUSION,
    MAV_CMD_NAV_FENCE_POLYGON_VERTEX_EXCLUSION,
    MAV_CMD_NAV_FENCE_POLYGON_VERTEX_INCLUSION,
)

FENCE_POLYGON_INCLUSION = MAV_CMD_NAV_FENCE_POLYGON_VERTEX_INCLUSION
FENCE_POLYGON_EXCLUSION = MAV_CMD_NAV_FENCE_POLYGON_VERTEX_EXCLUSION
FENCE_CIRCLE_INCLUSION = MAV_CMD_NAV_FENCE_CIRCLE_INCLUSION
FENCE_CIRCLE_EXCLUSION = MAV_CMD_NAV_FENCE_CIRCLE_EXCLUSION
_EARTH_RADIUS_M = 6_371_000.0
_isfinite = math.isfinite


@dataclass(frozen=True, slots=True)
class Limits:
    """The range of every reported quantity, and the altitude ceiling above home."""

    latitude_deg: tuple[float, float] = (-90.0, 90.0)
    longitude_deg: tuple[float, float] = (-180.0, 180.0)
    altitude_m: tuple[float, float] = (-1_000.0, 20_000.0)
    speed_m_s: tuple[float, float] = (0.0, 200.0)
    climb_rate_m_s: tuple[float, float] = (-200.0, 200.0)
    heading_deg: tuple[float, float] = (0.0, 360.0)
    angle_deg: tuple[float, float] = (-180.0, 360.0)
    battery_pct: tuple[float, float] = (0.0, 100.0)
    voltage_v: tuple[float, float] = (0.0, 1_000.0)
    current_a: tuple[float, float] = (-1_000.0, 1_000.0)
    altitude_ceiling_m: float = 120.0
    #: field name -> its range, filled as fields are first checked (every message checks
    #: several: the range is worked out from the name once)
    _ranges: dict[str, tuple[float, float]] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )

    def range_of(self, name: str) -> tuple[float, float]:
        """The range for a VehicleState field name (by its unit and kind)."""
        found = self._ranges.get(name)
        if found is None:
            found = self._ranges[name] = self._range_by_name(name)
        return found

    def _range_by_name(self, name: str) -> tuple[float, float]:
        field = name.rsplit(".", 1)[-1]
        if field.startswith("latitude"):
            return self.latitude_deg
        if field.startswith("longitude"):
            return self.longitude_deg
        if "altitude" in field:
            return self.altitude_m
        if field == "climb_rate_m_s":
            return self.climb_rate_m_s
        if field.endswith("_m_s"):
            return self.speed_m_s
        if field.startswith("heading"):
            return self.heading_deg
        if field.endswith("_deg"):
            return self.angle_deg
        if field.endswith("_pct"):
            return self.battery_pct
        if field.endswith("_v"):
            return self.voltage_v
        if field.endswith("_a"):
            return self.current_a
        return (-math.inf, math.inf)


DEFAULT_LIMITS = Limits()


@dataclass(frozen=True, slots=True)
class Rejected:
    """A reported value refused at the state boundary."""

    field: str
    value: float
    low: float
    high: float

    def to_params(self) -> dict[str, Any]:
        value: Any = self.value if math.isfinite(self.value) else repr(self.value)
        return {"field": self.field, "value": value, "limit": [self.low, self.high]}


def check(field: str, value: float, limits: Limits) -> Rejected | None:
    """None when ``value`` is finite and within the field's range, else why not."""
    low, high = limits._ranges.get(field) or limits.range_of(field)  # per frame: one lookup
    number = float(value)
    if low <= number <= high and _isfinite(number):  # NaN fails the comparison
        return None
    return Rejected(field, number, low, high)


# -- geofence ---------------------------------------------------------------------------


def _local_m(lat0: float, lat: float, lon: float) -> tuple[float, float]:
    """East and north metres of (lat, lon) on an equirectangular plane around ``lat0``."""
    k = math.pi / 180.0 * _EARTH_RADIUS_M
    return lon * k * math.cos(math.radians(lat0)), lat * k


def _inside_polygon(vertices: list[tuple[float, float]], lat: float, lon: float) -> bool:
    inside = False
    n = len(vertices)
    for i in range(n):
        (ya, xa), (yb, xb) = vertices[i], vertices[(i + 1) % n]
        if (ya > lat) != (yb > lat):
            x_cross = xa + (lat - ya) * (xb - xa) / (yb - ya)
            if lon < x_cross:
                inside = not inside
    return inside


def _inside_circle(centre: tuple[float, float], radius_m: float, lat: float, lon: float) -> bool:
    x0, y0 = _local_m(lat, centre[0], centre[1])
    x1, y1 = _local_m(lat, lat, lon)
    return math.hypot(x1 - x0, y1 - y0) <= radius_m


class Geofence:
    """Inclusion and exclusion zones from a MAVLink fence list (items with ``command``,
    ``param1``, ``latitude_deg``, ``longitude_deg``)."""

    def __init__(self, items: Iterable[Any]) -> None:
        self.inclusions: list[Any] = []  # ("polygon", vertices) | ("circle", centre, r)
        self.exclusions: list[Any] = []
        polygon: list[tuple[float, float]] = []
        polygon_kind = 0
        expected = 0
        for item in items:
            command = int(item.command)
            point = (float(item.latitude_deg), float(item.longitude_deg))
            if command in (FENCE_POLYGON_INCLUSION, FENCE_POLYGON_EXCLUSION):
                if not polygon or command != polygon_kind or len(polygon) >= expected:
                    polygon, polygon_kind, expected = [], command, max(3, int(item.param1))
                    target = (
                        self.inclusions if command == FENCE_POLYGON_INCLUSION else self.exclusions
                    )
                    target.append(("polygon", polygon))
                polygon.append(point)
            elif command in (FENCE_CIRCLE_INCLUSION, FENCE_CIRCLE_EXCLUSION):
                polygon = []
                zone = ("circle", point, float(item.param1))
                if command == FENCE_CIRCLE_INCLUSION:
                    self.inclusions.append(zone)
                else:
                    self.exclusions.append(zone)

    @property
    def empty(self) -> bool:
        return not self.inclusions and not self.exclusions

    @staticmethod
    def _inside(zone: Any, lat: float, lon: float) -> bool:
        if zone[0] == "polygon":
            return len(zone[1]) >= 3 and _inside_polygon(zone[1], lat, lon)
        return _inside_circle(zone[1], zone[2], lat, lon)

    def breach(self, lat: float, lon: float) -> str | None:
        """None inside the fence; ``"outside_inclusion"`` or ``"inside_exclusion"``."""
        if self.inclusions and not any(self._inside(z, lat, lon) for z in self.inclusions):
            return "outside_inclusion"
        if any(self._inside(z, lat, lon) for z in self.exclusions):
            return "inside_exclusion"
        return None
