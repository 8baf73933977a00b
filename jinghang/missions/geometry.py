"""Validation of the operator's geometry: polygons that cross themselves or are degenerate,
routes without length, positions off the globe, more vertices than ``Limits.vertices``.
Each refusal names the input field and the limit."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from shapely.geometry import LineString, Polygon
from shapely.validation import explain_validity

from jinghang.limits import DEFAULT_LIMITS
from jinghang.missions.errors import GeometryError, InputError
from jinghang.missions.geo import LatLon, LocalFrame

#: A polygon smaller than this is degenerate (a sliver or a point), in square metres.
MIN_POLYGON_AREA_M2 = 1.0
#: A route shorter than this has no length worth flying, in metres.
MIN_ROUTE_LENGTH_M = 1.0
#: A polygon narrower than this on average (2 x area / perimeter) is a sliver, in metres:
#: three collinear points make a "polygon" of some m^2 once projected, but no width to survey.
MIN_POLYGON_WIDTH_M = 1.0


def as_latlon(value: Any, field: str) -> LatLon:
    """A (lat, lon) pair from a sequence, refusing what is not one or is off the globe."""
    try:
        lat, lon = float(value[0]), float(value[1])
    except (TypeError, ValueError, IndexError, KeyError) as exc:
        raise InputError(
            f"{field} must be a latitude,longitude pair in degrees, got {value!r}",
            field=field,
            value=value,
            limit="[latitude_deg, longitude_deg]",
        ) from exc
    if not (math.isfinite(lat) and -90.0 <= lat <= 90.0):
        raise InputError(
            f"{field} latitude {lat} is outside -90..90 degrees",
            field=f"{field}.latitude_deg",
            value=lat,
            limit="-90..90",
        )
    if not (math.isfinite(lon) and -180.0 <= lon <= 180.0):
        raise InputError(
            f"{field} longitude {lon} is outside -180..180 degrees",
            field=f"{field}.longitude_deg",
            value=lon,
            limit="-180..180",
        )
    return lat, lon


def as_latlon_list(
    value: Any, field: str, max_vertices: int = DEFAULT_LIMITS.vertices
) -> list[LatLon]:
    """(lat, lon) pairs from a list of at most ``max_vertices`` positions."""
    if not isinstance(value, Sequence) or isinstance(value, str):
        raise InputError(
            f"{field} must be a list of latitude,longitude pairs",
            field=field,
            value=value,
            limit="list of [latitude_deg, longitude_deg]",
        )
    if len(value) > max_vertices:
        raise InputError(
            f"{field} has {len(value)} vertices; at most {max_vertices} are accepted",
            field=field,
            value=len(value),
            limit=f"<= {max_vertices} vertices",
            code="too_many_vertices",
        )
    return [as_latlon(v, f"{field}[{i}]") for i, v in enumerate(value)]


def _refuse_antimeridian(points: list[LatLon], field: str) -> None:
    lons = [p[1] for p in points]
    if lons and max(lons) - min(lons) > 180.0:
        raise GeometryError(
            f"{field} spans {max(lons) - min(lons):.1f} degrees of longitude (it crosses the "
            "180th meridian), which the planner does not support",
            field=field, value=round(max(lons) - min(lons), 3),
            limit="<= 180 degrees of longitude, not across the 180th meridian",
        )


def _distinct(points: list[LatLon]) -> list[LatLon]:
    out: list[LatLon] = []
    for p in points:
        if not out or (abs(p[0] - out[-1][0]) > 1e-9 or abs(p[1] - out[-1][1]) > 1e-9):
            out.append(p)
    if len(out) > 1 and abs(out[0][0] - out[-1][0]) < 1e-9 and abs(out[0][1] - out[-1][1]) < 1e-9:
        out.pop()
    return out


def validate_polygon(value: Any, field: str = "area") -> tuple[list[LatLon], LocalFrame, Polygon]:
    """The polygon's vertices (not closed), a local frame around it, and the metric polygon.

    Refuses fewer than 3 distinct vertices, edges that cross each other, and slivers.
    """
    points = _distinct(as_latlon_list(value, field))
    _refuse_antimeridian(points, field)
    if len(points) < 3:
        raise GeometryError(
            f"{field} needs at least 3 distinct vertices, got {len(points)}",
            field=field,
            value=len(points),
            limit=">= 3 distinct vertices",
        )
    frame = LocalFrame.around(points)
    poly = Polygon(frame.many_to_xy(points))
    if not poly.is_valid:
        reason = explain_validity(poly)
        where = _reason_location(reason, frame)
        raise GeometryError(
            f"{field} crosses itself ({reason.split('[')[0].strip()}"
            + (f" near {where[0]:.6f},{where[1]:.6f}" if where else "")
            + ")",
            field=field,
            value=reason,
            limit="a simple polygon whose edges do not cross",
            location=list(where) if where else None,
        )
    if poly.area < MIN_POLYGON_AREA_M2:
        raise GeometryError(
            f"{field} is degenerate: its area is {poly.area:.3f} m^2",
            field=field,
            value=round(poly.area, 3),
            limit=f">= {MIN_POLYGON_AREA_M2} m^2",
        )
    width_m = 2.0 * poly.area / poly.length
    if width_m < MIN_POLYGON_WIDTH_M:
        raise GeometryError(
            f"{field} is degenerate: it is a sliver {width_m:.3f} m wide on average "
            "(its vertices are nearly in a line)",
            field=field,
            value=round(width_m, 3),
            limit=f"an average width >= {MIN_POLYGON_WIDTH_M} m",
            code="polygon_sliver",
        )
    return points, frame, poly


def _reason_location(reason: str, frame: LocalFrame) -> LatLon | None:
    if "[" not in reason:
        return None
    try:
        x_str, y_str = reason[reason.index("[") + 1 : reason.index("]")].split()[:2]
        return frame.to_latlon(float(x_str), float(y_str))
    except (ValueError, IndexError):
        return None


def validate_route(
    value: Any, field: str = "route"
) -> tuple[list[LatLon], LocalFrame, LineString]:
    """The route's points, a local frame around it and the metric line."""
    points = _distinct(as_latlon_list(value, field))
    _refuse_antimeridian(points, field)
    if len(points) < 2:
        raise GeometryError(
            f"{field} needs at least 2 distinct points, got {len(points)}",
            field=field,
            value=len(points),
            limit=">= 2 distinct points",
        )
    frame = LocalFrame.around(points)
    line = LineString(frame.many_to_xy(points))
    if line.length < MIN_ROUTE_LENGTH_M:
        raise GeometryError(
            f"{field} is degenerate: it is {line.length:.3f} m long",
            field=field,
            value=round(line.length, 3),
            limit=f">= {MIN_ROUTE_LENGTH_M} m",
        )
    return points, frame, line
