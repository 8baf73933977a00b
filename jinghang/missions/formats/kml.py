"""KML and KMZ: import areas (polygons), routes (line strings) and points from every Placemark,
MultiGeometry included, as Google Earth, QGIS and ArcGIS write them; export a plan as a KML
document (the flight path, each waypoint, and the operator's area or route), or a KMZ."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET
from xml.sax.saxutils import escape

from jinghang.missions.errors import FormatError
from jinghang.missions.formats.features import Feature, Kind
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
    for token in (elem.text or "").split():
        parts = token.split(",")
        try:
            lon, lat = float(parts[0]), float(parts[1])
        except (ValueError, IndexError) as exc:
            raise FormatError(f"{where} has a bad coordinate {token!r}", field=where,
                              value=token, limit="lon,lat[,alt]") from exc
        out.append((lat, lon))
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


def parse_kml(data: bytes | str, source: str = "KML") -> list[Feature]:
    """Every polygon, line and point of every Placemark, in document order."""
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise FormatError(f"{source} is not valid KML: {exc}", field="kml", value=source,
                          limit="KML 2.2 XML") from exc
    features: list[Feature] = []
    for index, placemark in enumerate(_find_all(root, "Placemark")):
        name_el = next(iter(_children(placemark, "name")), None)
        name = (name_el.text or "").strip() if name_el is not None else ""
        name = name or f"placemark {index + 1}"
        for geom in placemark:
            if _local(geom.tag) in ("Polygon", "LineString", "Point", "MultiGeometry"):
                features.extend(_geometries(geom, name, f"Placemark[{index}]"))
    return features


def read_kml(path: str | Path) -> list[Feature]:
    """Features of a .kml file, or of the main .kml inside a .kmz."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise FormatError(f"cannot read {p}: {exc}", field="path", value=str(p)) from exc
    if p.suffix.lower() == ".kmz" or raw[:2] == b"PK":
        return parse_kml(_kml_from_kmz(raw, str(p)), str(p))
    return parse_kml(raw, str(p))


def _kml_from_kmz(raw: bytes, source: str) -> bytes:
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as zf:
            names = [n for n in zf.namelist() if n.lower().endswith(".kml")]
            if not names:
                raise FormatError(f"{source} holds no .kml file", field="kmz", value=source,
                                  limit="a zip with doc.kml")
            main = "doc.kml" if "doc.kml" in names else names[0]
            return zf.read(main)
    except zipfile.BadZipFile as exc:
        raise FormatError(f"{source} is not a KMZ (zip) file", field="kmz",
                          value=source) from exc


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
