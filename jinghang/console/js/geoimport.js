// Reading an operator's area or route from a file: KML (Polygon / LineString / Point),
// GeoJSON (Feature, FeatureCollection or bare geometry) and QGroundControl .plan (survey
// polygon, fence polygon or the mission's waypoints). Returns one GeoJSON geometry; a file it
// cannot read throws GeoImportError with a code (kml.parse_error...) the console translates.

/** A file that cannot be read as an area or route: ``code`` and ``params`` for the message. */
export class GeoImportError extends Error {
  constructor(code, message, params = {}) {
    super(message);
    this.code = code;
    this.params = params;
  }
}

function kmlCoords(text) {
  return text.trim().split(/\s+/).map((tuple) => tuple.split(",").map(Number)).filter((c) => c.length >= 2 && c.every(Number.isFinite)).map(([lon, lat]) => [lon, lat]);
}

function fromKml(text) {
  const doc = new DOMParser().parseFromString(text, "application/xml");
  if (doc.querySelector("parsererror")) throw new GeoImportError("kml.parse_error", "KML is not well-formed XML");
  const poly = doc.querySelector("Polygon outerBoundaryIs coordinates, Polygon coordinates");
  if (poly) return { type: "Polygon", coordinates: [closeRing(kmlCoords(poly.textContent))] };
  const line = doc.querySelector("LineString coordinates");
  if (line) return { type: "LineString", coordinates: kmlCoords(line.textContent) };
  const point = doc.querySelector("Point coordinates");
  if (point) return { type: "Point", coordinates: kmlCoords(point.textContent)[0] };
  throw new GeoImportError("kml.no_geometry", "no Polygon, LineString or Point in the KML");
}

function fromGeoJson(data) {
  if (data.type === "FeatureCollection") {
    const points = data.features.filter((x) => x.geometry?.type === "Point");
    if (points.length > 1 && points.length === data.features.length) {
      // several points (waypoints, broadcast spots): the route through them in file order
      return { type: "LineString", coordinates: points.map((x) => x.geometry.coordinates) };
    }
    const f = data.features.find((x) => x.geometry);
    if (!f) throw new GeoImportError("geojson.no_geometry", "the FeatureCollection has no geometry");
    return fromGeoJson(f);
  }
  if (data.type === "Feature") return fromGeoJson(data.geometry);
  if (data.type === "MultiPolygon") return { type: "Polygon", coordinates: data.coordinates[0] };
  if (data.type === "MultiPoint") return { type: "LineString", coordinates: data.coordinates };
  if (["Polygon", "LineString", "Point"].includes(data.type)) return data;
  throw new GeoImportError("geojson.unsupported_type", `unsupported GeoJSON type ${data.type}`, { type: String(data?.type) });
}

function fromPlan(data) {
  const mission = data.mission || {};
  for (const item of mission.items || []) {
    const poly = item.polygon || item.TransectStyleComplexItem?.polygon || item.CorridorScan?.polyline;
    if (Array.isArray(item.polygon) && item.polygon.length >= 3) {
      return { type: "Polygon", coordinates: [closeRing(item.polygon.map(([lat, lon]) => [lon, lat]))] };
    }
    if (Array.isArray(item.polyline) && item.polyline.length >= 2) {
      return { type: "LineString", coordinates: item.polyline.map(([lat, lon]) => [lon, lat]) };
    }
    if (Array.isArray(poly) && poly.length >= 2) {
      return { type: "LineString", coordinates: poly.map(([lat, lon]) => [lon, lat]) };
    }
  }
  const fence = data.geoFence?.polygons?.[0]?.polygon;
  if (Array.isArray(fence) && fence.length >= 3) {
    return { type: "Polygon", coordinates: [closeRing(fence.map(([lat, lon]) => [lon, lat]))] };
  }
  const points = (mission.items || [])
    .filter((i) => i.type === "SimpleItem" && Array.isArray(i.params) && Number.isFinite(i.params[4]) && Number.isFinite(i.params[5]) && (i.params[4] || i.params[5]))
    .map((i) => [i.params[5], i.params[4]]);
  if (points.length >= 2) return { type: "LineString", coordinates: points };
  if (points.length === 1) return { type: "Point", coordinates: points[0] };
  throw new GeoImportError("plan_file.no_geometry", "no polygon, polyline or waypoints in the .plan");
}

export function closeRing(coords) {
  if (coords.length && (coords[0][0] !== coords.at(-1)[0] || coords[0][1] !== coords.at(-1)[1])) return [...coords, coords[0]];
  return coords;
}

/** Parse a file's text by its name; throws Error with a reason the operator can read. */
export function parseGeometryFile(name, text) {
  const lower = name.toLowerCase();
  if (lower.endsWith(".kml")) return fromKml(text);
  let data;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new GeoImportError("geojson.parse_error", `not JSON: ${err.message}`);
  }
  if (lower.endsWith(".plan") || data.fileType === "Plan") return fromPlan(data);
  return fromGeoJson(data);
}
