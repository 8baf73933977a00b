"""KML and KMZ: import areas (polygons), routes (line strings) and points from every Placemark,
MultiGeometry included, as Google Earth, QGIS and ArcGIS write them; export a plan as a KML
document (the flight path, each waypoint, and the operator's area or route), or a KMZ.
Reading is bounded (see :mod:`jinghang.missions.formats.reading`): a KMZ is checked against the
inflation limits before it is inflated, element nesting is refused past ``nesting_depth`` while
parsing, and every geometry's vertices are counted and checked finite and on the globe."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET
from xml.sax.saxutils import escape

from jinghang.limits import DEFAULT_LIMITS, Limits
from jinghang.missions.errors import FormatError
from jinghang.missions.formats.features import Feature, Kind
from jinghang.missions.formats.reading import check_count, check_latlon, read_bytes, unzip_kml
from jinghang.missions.geo import LatLon
from jinghang.missions.items import Cmd
from jinghang.missions.plan import MissionPlan

KML_NS = "http://www.opengis.net/kml/2.2"


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(elem: ET.Element, name: str) -> list[ET.Element]:
    return [c for c in elem if _local(c.tag) == name]


def _find_all(elem: ET.Element, name: str) -> list[ET.Element]:
    return [e for e in elem.iter() if _local(e.tag) == name]


def _coords(elem: ET.Element | None, where: str) -> list[LatLon]:
    if elem is None or not (elem.text or "").strip():
        raise FormatError(f"{where} has no coordinates", field=where, value=None,
                          limit="lon,lat[,alt] tuples")
    out: list[LatLon] = []
    tokens = (elem.text or "").split()
    check_count(len(tokens), DEFAULT_LIMITS.vertices, "vertices", where)
    for token in tokens:
        parts = token.split(",")
        try:
            lon, lat = float(parts[0]), float(parts[1])
        except (ValueError, IndexError) as exc:
            raise FormatError(f"{where} has a bad coordinate {token[:40]!r}", field=where,
                              value=token, limit="lon,lat[,alt]") from exc
        out.append(check_latlon(lat, lon, where))
    return out


def _geometries(geom: ET.Element, name: str, where: str) -> list[Feature]:
    kind = _local(geom.tag)
    if kind == "MultiGeometry":
        parts: list[Feature] = []
        subs = [c for c in geom if _local(c.tag) in ("Polygon", "LineString", "Point",
                                                      "MultiGeometry")]
        for i, sub in enumerate(subs):
            for f in _geometries(sub, f"{name} [{i + 1}]" if len(subs) > 1 else name,
                                 f"{where}.MultiGeometry[{i}]"):
                parts.append(f)
        return parts
    if kind == "Polygon":
        outer = next(iter(_find_all(geom, "outerBoundaryIs")), None)
        ring = next(iter(_find_all(outer, "coordinates")), None) if outer is not None else None
        pts = _coords(ring, f"{where}.Polygon")
        if len(pts) > 1 and pts[0] == pts[-1]:
            pts = pts[:-1]
        return [Feature(name, "area", pts)]
    if kind == "LineString":
        return [Feature(name, "route", _coords(next(iter(_children(geom, "coordinates")), None),
                                               f"{where}.LineString"))]
    if kind == "Point":
        pts = _coords(next(iter(_children(geom, "coordinates")), None), f"{where}.Point")
        return [Feature(name, "point", pts[:1])]
    return []


def _parse_xml(data: bytes | str, source: str, limits: Limits) -> ET.Element:
    """The document's root, refusing nesting deeper than ``nesting_depth`` as it parses."""
    parser: Any = ET.XMLPullParser(events=("start", "end"))
    raw = data.encode("utf-8") if isinstance(data, str) else data
    root: ET.Element | None = None
    depth = 0
    try:
        for start in range(0, max(len(raw), 1), 65536):
            parser.feed(raw[start:start + 65536])
            for event, elem in parser.read_events():
                if event == "start":
                    depth += 1
                    root = elem if root is None else root
                    if depth > limits.nesting_depth:
                        raise FormatError(
                            f"{source} nests elements deeper than {limits.nesting_depth}",
                            field="kml", value=source,
                            limit=f"nesting depth {limits.nesting_depth}",
                            code="file_too_deep",
                        )
                else:
                    depth -= 1
        parser.close()
    except ET.ParseError as exc:
        raise FormatError(f"{source} is not valid KML: {exc}", field="kml", value=source,
                          limit="KML 2.2 XML") from exc
    if root is None:
        raise FormatError(f"{source} is empty", field="kml", value=source, limit="KML 2.2 XML")
    return root


def parse_kml(
    data: bytes | str, source: str = "KML", limits: Limits = DEFAULT_LIMITS
) -> list[Feature]:
    """Every polygon, line and point of every Placemark, in document order."""
    root = _parse_xml(data, source, limits)
    features: list[Feature] = []
    for index, placemark in enumerate(_find_all(root, "Placemark")):
        name_el = next(iter(_children(placemark, "name")), None)
        name = (name_el.text or "").strip() if name_el is not None else ""
        name = name or f"placemark {index + 1}"
        for geom in placemark:
            if _local(geom.tag) in ("Polygon", "LineString", "Point", "MultiGeometry"):
                features.extend(_geometries(geom, name, f"Placemark[{index}]"))
        check_count(len(features), limits.features, "features", source)
    return features


def read_kml(path: str | Path, limits: Limits = DEFAULT_LIMITS) -> list[Feature]:
    """Features of a .kml file, or of the main .kml inside a .kmz."""
    p = Path(path)
    raw = read_bytes(p, limits)
    if p.suffix.lower() == ".kmz" or raw[:2] == b"PK":
        return parse_kml(unzip_kml(raw, str(p), limits), str(p), limits)
    return parse_kml(raw, str(p), limits)


def _coord_text(points: list[LatLon], altitude_m: list[float] | None = None) -> str:
    alts = altitude_m or [0.0] * len(points)
    return " ".join(f"{lon:.8f},{lat:.8f},{alt:.2f}"
                    for (lat, lon), alt in zip(points, alts, strict=True))


def _placemark(name: str, kind: Kind, points: list[LatLon], alts: list[float] | None = None,
               style: str = "") -> str:
    mode = "<altitudeMode>relativeToGround</altitudeMode>" if alts else ""
    if kind == "area":
        ring = [*points, points[0]]
        body = (f"<Polygon>{mode}<outerBoundaryIs><LinearRing><coordinates>"
                f"{_coord_text(ring)}</coordinates></LinearRing></outerBoundaryIs></Polygon>")
    elif kind == "route":
        body = (f"<LineString><tessellate>1</tessellate>{mode}<coordinates>"
                f"{_coord_text(points, alts)}</coordinates></LineString>")
    else:
        body = f"<Point>{mode}<coordinates>{_coord_text(points, alts)}</coordinates></Point>"
    style_ref = f"<styleUrl>#{style}</styleUrl>" if style else ""
    return f"<Placemark><name>{escape(name)}</name>{style_ref}{body}</Placemark>"


def plan_to_kml(plan: MissionPlan) -> str:
    """A KML document: the operator's geometry, the flight path and each waypoint."""
    marks: list[str] = []
    inputs = plan.inputs
    if inputs.get("area"):
        marks.append(_placemark("area", "area", [tuple(p) for p in inputs["area"]],  # type: ignore[misc]
                                style="area"))
    if inputs.get("route"):
        marks.append(_placemark("route", "route", [tuple(p) for p in inputs["route"]]))  # type: ignore[misc]
    nav = plan.nav_items()
    path = [(it.latitude_deg, it.longitude_deg) for _, it in nav]
    if path:
        marks.append(_placemark("flight path", "route", path, [it.altitude_m for _, it in nav],
                                style="path"))
    for seq, item in nav:
        label = Cmd(item.command).name if item.command in Cmd._value2member_map_ else str(
            item.command)
        marks.append(_placemark(f"{seq} {label}", "point",
                                [(item.latitude_deg, item.longitude_deg)], [item.altitude_m]))
    title = escape(plan.template_id or plan.pattern or "mission")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<kml xmlns="{KML_NS}"><Document><name>{title}</name>'
        '<Style id="path"><LineStyle><color>ff00a5ff</color><width>3</width></LineStyle></Style>'
        '<Style id="area"><PolyStyle><color>4000ff00</color></PolyStyle></Style>'
        + "".join(marks)
        + "</Document></kml>\n"
    )


def plan_to_kmz(plan: MissionPlan) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("doc.kml", plan_to_kml(plan))
    return buf.getvalue()
