"""No-fly zones for the dispatch decisions: is a point inside one, does a straight flight
between two points cross one. Zones are polygons of (lat_deg, lon_deg); the geometry is
planar in a local metric frame around the zone, which is exact enough at city scale."""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shapely.geometry import LineString, Point, Polygon

LatLon = tuple[float, float]
_M_PER_DEG = 111_320.0


@dataclass(frozen=True)
class NoFlyZone:
    name: str
    polygon: tuple[LatLon, ...]
    #: Upper limit of the zone in metres above ground; ``None``: all heights.
    ceiling_m: float | None = None

    def _frame(self) -> tuple[float, float]:
        lat0 = sum(p[0] for p in self.polygon) / len(self.polygon)
        lon0 = sum(p[1] for p in self.polygon) / len(self.polygon)
        return lat0, lon0

    def _xy(self, point: LatLon) -> tuple[float, float]:
        lat0, lon0 = self._frame()
        return (
            (point[1] - lon0) * _M_PER_DEG * math.cos(math.radians(lat0)),
            (point[0] - lat0) * _M_PER_DEG,
        )

    def _shape(self) -> Polygon:
        return Polygon([self._xy(p) for p in self.polygon])

    def contains(self, point: LatLon) -> bool:
        return bool(self._shape().intersects(Point(self._xy(point))))

    def crossed_by(self, a: LatLon, b: LatLon) -> bool:
        if a == b:
            return self.contains(a)
        return bool(self._shape().intersects(LineString([self._xy(a), self._xy(b)])))


class NoFlyZones:
    """A set of zones with the two questions dispatch asks."""

    def __init__(self, zones: Iterable[NoFlyZone] = ()) -> None:
        self.zones = tuple(zones)

    def __len__(self) -> int:
        return len(self.zones)

    def zone_at(self, point: LatLon) -> NoFlyZone | None:
        return next((z for z in self.zones if z.contains(point)), None)

    def zone_crossed(self, route: Sequence[LatLon]) -> NoFlyZone | None:
        for a, b in itertools.pairwise(route):
            for zone in self.zones:
                if zone.crossed_by(a, b):
                    return zone
        return None

    @classmethod
    def from_geojson(cls, doc: dict[str, Any]) -> NoFlyZones:
        """Polygons of a GeoJSON FeatureCollection (``properties.name``, optional
        ``properties.ceiling_m``); GeoJSON's [lon, lat] order is swapped to (lat, lon)."""
        zones = []
        for n, feature in enumerate(doc.get("features", [])):
            geometry = feature.get("geometry") or {}
            props = feature.get("properties") or {}
            rings: list[Any] = []
            if geometry.get("type") == "Polygon":
                rings = [geometry["coordinates"][0]]
            elif geometry.get("type") == "MultiPolygon":
                rings = [poly[0] for poly in geometry["coordinates"]]
            for ring in rings:
                zones.append(
                    NoFlyZone(
                        name=str(props.get("name", f"zone {n + 1}")),
                        polygon=tuple((float(c[1]), float(c[0])) for c in ring),
                        ceiling_m=props.get("ceiling_m"),
                    )
                )
        return cls(zones)

    @classmethod
    def load(cls, path: str | Path) -> NoFlyZones:
        return cls.from_geojson(json.loads(Path(path).read_text(encoding="utf-8")))
