"""Geodesy: a local metric frame (x east, y north, metres) around a point, built on pyproj,
and geodesic distances and bearings on the WGS84 ellipsoid.

Every pattern works in a :class:`LocalFrame` centred on its area, so that lane spacing,
offsets and radii are plain metres; positions go back to degrees only when items are made.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from functools import lru_cache

from pyproj import Geod, Transformer

LatLon = tuple[float, float]
XY = tuple[float, float]

GEOD = Geod(ellps="WGS84")


@lru_cache(maxsize=256)
def _transformer(lat0_deg: float, lon0_deg: float) -> Transformer:
    """Degrees (lon, lat) to the azimuthal equidistant frame's metres, and back with
    ``direction="INVERSE"``. Built from a PROJ pipeline: the same operation as
    ``Transformer.from_crs("EPSG:4326", aeqd)`` (WGS84 on both sides, no datum shift; equal to
    the last bit forward, 1e-14 degrees back) without the CRS database lookups that cost
    ~10-20 ms per new centre (a new incident is a new centre)."""
    return Transformer.from_pipeline(
        "+proj=pipeline +step +proj=unitconvert +xy_in=deg +xy_out=rad "
        f"+step +proj=aeqd +lat_0={lat0_deg:.9f} +lon_0={lon0_deg:.9f} +ellps=WGS84 +units=m"
    )


class LocalFrame:
    """An azimuthal equidistant projection centred on ``(lat0_deg, lon0_deg)``.

    Distances and bearings from the centre are exact; within a few kilometres every distance
    is true to well under a millimetre per metre, which is what mission geometry needs.
    """

    def __init__(self, lat0_deg: float, lon0_deg: float) -> None:
        self.lat0_deg = round(lat0_deg, 9)
        self.lon0_deg = round(lon0_deg, 9)
        self._transformer = _transformer(self.lat0_deg, self.lon0_deg)

    @classmethod
    def around(cls, points: Iterable[LatLon]) -> LocalFrame:
        """A frame centred on the middle of the points' bounding box."""
        pts = list(points)
        lats = [p[0] for p in pts]
        lons = [p[1] for p in pts]
        return cls((min(lats) + max(lats)) / 2, (min(lons) + max(lons)) / 2)

    def to_xy(self, lat_deg: float, lon_deg: float) -> XY:
        x, y = self._transformer.transform(lon_deg, lat_deg)
        return float(x), float(y)

    def to_latlon(self, x_m: float, y_m: float) -> LatLon:
        lon, lat = self._transformer.transform(x_m, y_m, direction="INVERSE")
        return float(lat), float(lon)

    def many_to_xy(self, points: Sequence[LatLon]) -> list[XY]:
        if not points:
            return []
        xs, ys = self._transformer.transform([p[1] for p in points], [p[0] for p in points])
        return [(float(x), float(y)) for x, y in zip(xs, ys, strict=True)]

    def many_to_latlon(self, points: Sequence[XY]) -> list[LatLon]:
        if not points:
            return []
        lons, lats = self._transformer.transform([p[0] for p in points], [p[1] for p in points],
                                                 direction="INVERSE")
        return [(float(a), float(o)) for a, o in zip(lats, lons, strict=True)]


def distance_m(a: LatLon, b: LatLon) -> float:
    """Geodesic distance between two positions."""
    _, _, dist = GEOD.inv(a[1], a[0], b[1], b[0])
    return float(dist)


def bearing_deg(a: LatLon, b: LatLon) -> float:
    """Initial geodesic bearing from ``a`` to ``b``, 0..360 clockwise from north."""
    az, _, _ = GEOD.inv(a[1], a[0], b[1], b[0])
    return float(az) % 360.0


def destination(origin: LatLon, bearing: float, dist_m: float) -> LatLon:
    """The position ``dist_m`` from ``origin`` along the geodesic at ``bearing`` degrees."""
    lon, lat, _ = GEOD.fwd(origin[1], origin[0], bearing, dist_m)
    return float(lat), float(lon)


def polar_xy(radius_m: float, bearing: float) -> XY:
    """A local-frame offset at a compass bearing (clockwise from north)."""
    rad = math.radians(bearing)
    return radius_m * math.sin(rad), radius_m * math.cos(rad)
