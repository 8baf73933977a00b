"""GeoJSON: import areas (Polygon, MultiPolygon), routes (LineString, MultiLineString) and
points; export a plan (flight path, waypoints, the operator's geometry, the summary) and a
flown track (a LineString with a time for each position). Coordinates are [lon, lat, alt].
Reading is bounded (see :mod:`jinghang.missions.formats.reading`): UTF-8, strict JSON, nesting,
vertices per geometry and features per file, every position finite and on the globe."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinghang.limits import DEFAULT_LIMITS, Limits
from jinghang.missions.errors import FormatError
from jinghang.missions.formats.features import Feature
from jinghang.missions.formats.reading import (
    check_count,
    check_depth,
    check_latlon,
    decode_text,
    load_json,
    read_bytes,
)
from jinghang.missions.geo import LatLon
from jinghang.missions.items import Cmd
from jinghang.missions.plan import MissionPlan


def _latlons(coords: Any, where: str, limits: Limits = DEFAULT_LIMITS) -> list[LatLon]:
    if isinstance(coords, list):
        check_count(len(coords), limits.vertices, "vertices", where)
    try:
        pairs = [(float(c[1]), float(c[0])) for c in coords]
    except (TypeError, ValueError, IndexError) as exc:
        raise FormatError(f"{where} has bad coordinates", field=where, value=None,
                          limit="[longitude, latitude(, altitude)] positions") from exc
    return [check_latlon(lat, lon, f"{where}[{i}]") for i, (lat, lon) in enumerate(pairs)]


def _from_geometry(geom: dict[str, Any], name: str, where: str) -> list[Feature]:
    kind = geom.get("type")
    coords = geom.get("coordinates")
    if kind == "Polygon":
        ring = _latlons(coords[0] if coords else [], f"{where}.coordinates")
        if len(ring) > 1 and ring[0] == ring[-1]:
            ring = ring[:-1]
        return [Feature(name, "area", ring)]
    if kind == "MultiPolygon":
        out: list[Feature] = []
        for i, poly in enumerate(coords or []):
            out.extend(_from_geometry({"type": "Polygon", "coordinates": poly},
                                      f"{name} [{i + 1}]", f"{where}[{i}]"))
        return out
    if kind == "LineString":
        return [Feature(name, "route", _latlons(coords, f"{where}.coordinates"))]
    if kind == "MultiLineString":
        return [Feature(f"{name} [{i + 1}]", "route", _latlons(line, f"{where}[{i}]"))
                for i, line in enumerate(coords or [])]
    if kind == "Point":
        return [Feature(name, "point", _latlons([coords], f"{where}.coordinates"))]
    if kind == "MultiPoint":
        return [Feature(f"{name} [{i + 1}]", "point", _latlons([c], f"{where}[{i}]"))
                for i, c in enumerate(coords or [])]
    if kind == "GeometryCollection":
        out = []
        for i, sub in enumerate(geom.get("geometries") or []):
            out.extend(_from_geometry(sub, name, f"{where}.geometries[{i}]"))
        return out
    raise FormatError(f"{where} is a {kind}, not an area, route or point", field=where,
                      value=kind, limit="Polygon, LineString, Point and their Multi forms")


def parse_geojson(
    doc: Any, source: str = "GeoJSON", limits: Limits = DEFAULT_LIMITS
) -> list[Feature]:
    """Every area, route and point of a FeatureCollection, Feature or bare geometry."""
    check_depth(doc, source, limits)
    try:
        features = _parse_geojson(doc, source)
        check_count(len(features), limits.features, "features", source)
        return features
    except FormatError:
        raise
    except (TypeError, ValueError, KeyError, IndexError, AttributeError) as exc:
        raise FormatError(f"{source} is not well-formed GeoJSON: {exc!r}", field="features",
                          value=source, limit="RFC 7946 GeoJSON") from exc


def _parse_geojson(doc: Any, source: str) -> list[Feature]:
    if not isinstance(doc, dict) or "type" not in doc:
        raise FormatError(f"{source} is not a GeoJSON object", field="type", value=None,
                          limit="FeatureCollection, Feature or geometry")
    if doc["type"] == "FeatureCollection":
        features = doc.get("features") or []
    elif doc["type"] == "Feature":
        features = [doc]
    else:
        features = [{"type": "Feature", "properties": {}, "geometry": doc}]
    out: list[Feature] = []
    for i, feature in enumerate(features):
        props = feature.get("properties") or {}
        name = str(props.get("name") or f"feature {i + 1}")
        if feature.get("geometry"):
            out.extend(_from_geometry(feature["geometry"], name, f"features[{i}].geometry"))
    return out


def read_geojson(path: str | Path, limits: Limits = DEFAULT_LIMITS) -> list[Feature]:
    """Features of a GeoJSON file (UTF-8, strict JSON, bounded)."""
    source = str(path)
    doc = load_json(decode_text(read_bytes(path, limits), source), source, limits)
    return parse_geojson(doc, source, limits)


def _position(lat: float, lon: float, alt: float | None = None) -> list[float]:
    out = [round(lon, 8), round(lat, 8)]
    if alt is not None:
        out.append(round(alt, 3))
    return out


def plan_to_geojson(plan: MissionPlan) -> dict[str, Any]:
    """The plan as a FeatureCollection: path (with the summary), waypoints, inputs."""
    features: list[dict[str, Any]] = []
    nav = plan.nav_items()
    if nav:
        features.append({
            "type": "Feature",
            "properties": {"name": "flight path", "role": "path", **plan.summary()},
            "geometry": {"type": "LineString", "coordinates": [
                _position(it.latitude_deg, it.longitude_deg, it.altitude_m) for _, it in nav]},
        })
    for seq, item in nav:
        name = Cmd(item.command).name if item.command in Cmd._value2member_map_ else ""
        features.append({
            "type": "Feature",
            "properties": {"role": "waypoint", "seq": seq, "command": int(item.command),
                           "command_name": name, "frame": int(item.frame),
                           "altitude_m": item.altitude_m,
                           "params": [item.param1, item.param2, item.param3, item.param4]},
            "geometry": {"type": "Point",
                         "coordinates": _position(item.latitude_deg, item.longitude_deg,
                                                  item.altitude_m)},
        })
    inputs = plan.inputs
    if inputs.get("area"):
        ring = [_position(p[0], p[1]) for p in inputs["area"]]
        features.append({"type": "Feature", "properties": {"name": "area", "role": "input"},
                         "geometry": {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}})
    if inputs.get("route"):
        features.append({"type": "Feature", "properties": {"name": "route", "role": "input"},
                         "geometry": {"type": "LineString", "coordinates": [
                             _position(p[0], p[1]) for p in inputs["route"]]}})
    for key in ("point", "home"):
        if inputs.get(key):
            p = inputs[key]
            features.append({"type": "Feature", "properties": {"name": key, "role": "input"},
                             "geometry": {"type": "Point", "coordinates": _position(p[0], p[1])}})
    return {"type": "FeatureCollection", "features": features}


@dataclass(frozen=True, slots=True)
class TrackPoint:
    """One flown position: when (seconds), where, and the altitude above home."""

    time_s: float
    latitude_deg: float
    longitude_deg: float
    relative_altitude_m: float


def track_to_geojson(track: Sequence[TrackPoint], name: str = "flown track",
                     **properties: Any) -> dict[str, Any]:
    """A flown track as one LineString Feature with the times in ``properties.times_s``."""
    if len(track) < 2:
        raise FormatError("a track needs at least 2 positions", field="track",
                          value=len(track), limit=">= 2 positions")
    return {
        "type": "Feature",
        "properties": {"name": name, "role": "track",
                       "times_s": [round(t.time_s, 3) for t in track], **properties},
        "geometry": {"type": "LineString", "coordinates": [
            _position(t.latitude_deg, t.longitude_deg, t.relative_altitude_m) for t in track]},
    }
