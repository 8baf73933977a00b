"""No-fly zones from a GeoJSON file: polygons and multipolygons, and points with a
``radius_m`` property (circles). The zones are kept in longitude/latitude with an STRtree, so a
plan is checked against thousands of zones by looking only at the few near each leg.

The package ships an illustrative sample for the Weihai area (``samples/weihai_no_fly.geojson``):
the clearance zone of Weihai Dashuibo airport and a few other restricted sites. It is not an
official boundary; load the authority's file with :meth:`NoFlyZones.from_file`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from shapely import STRtree
from shapely.geometry import LineString, Point, Polygon, shape
from shapely.geometry.base import BaseGeometry

from jinghang.missions.errors import FormatError
from jinghang.missions.geo import LatLon, LocalFrame

SAMPLE_NAME = "weihai_no_fly.geojson"


@dataclass(frozen=True)
class Zone:
    name: str
    geometry: BaseGeometry  # x = longitude, y = latitude
    properties: dict[str, Any]


def circle_lonlat(centre: LatLon, radius_m: float, segments: int = 64) -> Polygon:
    """A circle of ``radius_m`` round ``centre`` as a lon/lat polygon."""
    frame = LocalFrame(*centre)
    ring = Point(0, 0).buffer(radius_m, quad_segs=max(4, segments // 4))
    latlons = frame.many_to_latlon([(x, y) for x, y in ring.exterior.coords])
    return Polygon([(lon, lat) for lat, lon in latlons])


class NoFlyZones:
    """A set of no-fly zones with a spatial index."""

    def __init__(self, zones: Iterable[Zone] = ()) -> None:
        self.zones: list[Zone] = list(zones)
        self._tree = STRtree([z.geometry for z in self.zones])

    def __len__(self) -> int:
        return len(self.zones)

    @classmethod
    def from_geojson(cls, doc: dict[str, Any], source: str = "no-fly GeoJSON") -> NoFlyZones:
        features = doc.get("features") if doc.get("type") == "FeatureCollection" else [doc]
        if not isinstance(features, list):
            raise FormatError(f"{source} has no features", field="features", value=None,
                              limit="a GeoJSON FeatureCollection")
        zones: list[Zone] = []
        for i, feature in enumerate(features):
            if not isinstance(feature, dict):
                raise FormatError(f"{source}: feature {i} is not an object",
                                  field=f"features[{i}]", value=str(feature)[:40],
                                  limit="a GeoJSON Feature")
            props = dict(feature.get("properties") or {})
            name = str(props.get("name") or props.get("name_en") or f"zone {i}")
            try:
                geom = shape(feature["geometry"])
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                raise FormatError(f"{source}: feature {i} has no usable geometry ({exc})",
                                  field=f"features[{i}].geometry", value=None,
                                  limit="Polygon, MultiPolygon or Point with radius_m") from exc
            if geom.geom_type == "Point":
                radius = props.get("radius_m")
                if not isinstance(radius, (int, float)) or radius <= 0:
                    raise FormatError(
                        f"{source}: point zone {name!r} needs a positive radius_m",
                        field=f"features[{i}].properties.radius_m", value=radius, limit="> 0",
                    )
                geom = circle_lonlat((geom.y, geom.x), float(radius))
            elif geom.geom_type not in ("Polygon", "MultiPolygon"):
                raise FormatError(
                    f"{source}: feature {i} is a {geom.geom_type}, not an area",
                    field=f"features[{i}].geometry.type", value=geom.geom_type,
                    limit="Polygon, MultiPolygon or Point with radius_m",
                )
            zones.append(Zone(name, geom, props))
        return cls(zones)

    @classmethod
    def from_file(cls, path: str | Path) -> NoFlyZones:
        try:
            doc = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise FormatError(f"cannot read no-fly zones {path}: {exc}",
                              field="no_fly_zones_path", value=str(path)) from exc
        return cls.from_geojson(doc, str(path))

    @classmethod
    def weihai_sample(cls) -> NoFlyZones:
        """The illustrative Weihai sample shipped with the package."""
        text = resources.files("jinghang.missions").joinpath("samples", SAMPLE_NAME).read_text(
            "utf-8"
        )
        return cls.from_geojson(json.loads(text), SAMPLE_NAME)

    def zone_at(self, position: LatLon) -> Zone | None:
        """The zone containing ``position``, if any."""
        pt = Point(position[1], position[0])
        for index in self._tree.query(pt, predicate="intersects"):
            return self.zones[int(index)]
        return None

    def zone_on_leg(self, a: LatLon, b: LatLon) -> Zone | None:
        """A zone that the straight leg from ``a`` to ``b`` enters, if any."""
        if a == b:
            return self.zone_at(a)
        line = LineString([(a[1], a[0]), (b[1], b[0])])
        for index in self._tree.query(line, predicate="intersects"):
            return self.zones[int(index)]
        return None

    def zones_on_path(self, path: Sequence[LatLon]) -> list[Zone]:
        """Every zone a path enters."""
        if len(path) == 1:
            zone = self.zone_at(path[0])
            return [zone] if zone else []
        line = LineString([(p[1], p[0]) for p in path])
        return [self.zones[int(i)] for i in self._tree.query(line, predicate="intersects")]
