// The map: Leaflet (vendored) over an offline base drawn from local GeoJSON of the Weihai
// service area (sea, land, districts, main roads, place names), or a deployment's own tile
// server when the console settings name one (tile_url). Overlay layers for drones, incidents,
// no-fly zones, patrol routes, plans and flight records; and a one-shot "pick a point" mode.

import * as L from "../vendor/leaflet/leaflet-src.esm.js";
import { lang, onLangChange, t } from "./i18n.js";
import { escapeHtml } from "./ui.js";

export { L };

export const WEIHAI_CENTER = [37.495, 122.1];
export const WEIHAI_BOUNDS = [
  [37.4, 121.95],
  [37.555, 122.25],
];

let map = null;
let baseData = null;
let baseLayer = null;
let labelLayer = null;
let pickHandler = null;
const hint = () => document.getElementById("map-hint");

export const layers = {};

export function getMap() {
  return map;
}

export function createMap(settings = {}) {
  map = L.map("map", {
    zoomControl: true,
    attributionControl: true,
    minZoom: 10,
    maxZoom: 18,
    worldCopyJump: false,
    preferCanvas: false,
  });
  map.attributionControl.setPrefix(false);
  map.createPane("base").style.zIndex = 250; // above tiles (200), below overlays (400)
  const bounds = settings.bounds || WEIHAI_BOUNDS;
  map.fitBounds(bounds);
  map.setMaxBounds(L.latLngBounds(bounds).pad(0.6));
  if (settings.tile_url) {
    L.tileLayer(settings.tile_url, {
      attribution: settings.tile_attribution || "",
      maxZoom: settings.tile_max_zoom || 18,
    }).addTo(map);
  }
  for (const name of ["nofly", "patrols", "plan", "record", "incidents", "trails", "drones"]) {
    layers[name] = L.layerGroup().addTo(map);
  }
  loadBase(Boolean(settings.tile_url));
  map.on("click", (ev) => {
    if (!pickHandler) return;
    const fn = pickHandler;
    if (!fn.keep) setPick(null);
    fn(ev.latlng);
  });
  onLangChange(() => drawLabels());
  return map;
}

async function loadBase(hasTiles) {
  try {
    const response = await fetch("data/weihai-base.geojson");
    baseData = await response.json();
  } catch (err) {
    console.error("offline base map missing", err);
    return;
  }
  if (!hasTiles) {
    baseLayer = L.geoJSON(baseData, {
      pane: "base",
      filter: (f) => f.properties.kind !== "place",
      style: (f) => {
        const k = f.properties.kind;
        if (k === "land" || k === "island") return { color: "#7c8a6a", weight: 1, fillColor: "#eef0e4", fillOpacity: 1 };
        if (k === "service_area") return { color: "#10233d", weight: 1.5, dashArray: "2 6", fill: false };
        if (k === "district") return { color: "#b59ad6", weight: 1.2, dashArray: "6 4", fill: false };
        if (k === "road") return { color: f.properties.rank === 1 ? "#f2b134" : "#d9d2c0", weight: f.properties.rank === 1 ? 4 : 2.5 };
        return {};
      },
      interactive: false,
    }).addTo(map);
  }
  drawLabels();
}

function drawLabels() {
  if (!baseData || !map) return;
  labelLayer?.remove();
  labelLayer = L.layerGroup();
  for (const f of baseData.features) {
    const p = f.properties;
    const name = lang() === "zh" ? p.name_zh : p.name_en;
    if (!name) continue;
    let at = null;
    let cls = "map-label";
    if (p.kind === "place") {
      at = [f.geometry.coordinates[1], f.geometry.coordinates[0]];
      if (p.sea) cls += " sea";
    } else if (p.kind === "district") {
      at = L.polygon(f.geometry.coordinates[0].map(([x, y]) => [y, x])).getBounds().getCenter();
      cls += " district";
    } else if (p.kind === "road" && p.rank === 1) {
      const c = f.geometry.coordinates;
      const mid = c[Math.floor(c.length / 2)];
      at = [mid[1], mid[0]];
      cls += " road";
    }
    if (!at) continue;
    L.marker(at, {
      icon: L.divIcon({ className: cls, html: `<span>${name}</span>`, iconSize: null }),
      interactive: false,
      keyboard: false,
    }).addTo(labelLayer);
  }
  labelLayer.addTo(map);
}

/** Wait for the next map click; fn(latlng). Pass null to cancel. keep=true: every click. */
export function setPick(fn, hintText = "", keep = false) {
  pickHandler = fn;
  if (fn) fn.keep = keep;
  const el = hint();
  document.getElementById("map").classList.toggle("picking", Boolean(fn));
  if (el) {
    el.textContent = hintText;
    el.hidden = !fn || !hintText;
  }
}

export function cancelPick() {
  setPick(null);
}

/** Bring a point into the part of the map the floating video tiles leave free. */
export function showAboveVideo(lat, lon) {
  const wall = document.getElementById("videowall");
  const covered = wall && getComputedStyle(wall).display !== "none" ? wall.getBoundingClientRect().height : 0;
  if (!map) return;
  if (map.getZoom() < 13) map.setView([lat, lon], 13, { animate: false });
  map.panInside([lat, lon], { paddingTopLeft: [60, 60], paddingBottomRight: [60, covered + 60], animate: false });
}

export function flyTo(lat, lon, zoom = 14) {
  map?.flyTo([lat, lon], Math.max(map.getZoom(), zoom), { duration: 0.5 });
}

/** Draw no-fly zones from GeoJSON (a FeatureCollection or a list of zones with a polygon). */
export function drawNoFly(data) {
  layers.nofly.clearLayers();
  if (!data) return;
  const fc = data.type === "FeatureCollection" ? data : {
    type: "FeatureCollection",
    features: (Array.isArray(data) ? data : data.zones || data.items || []).map((z) => ({
      type: "Feature",
      properties: z,
      geometry: z.geometry || z.polygon || z.area,
    })).filter((f) => f.geometry),
  };
  L.geoJSON(fc, {
    style: { color: "#d0312d", weight: 2, fillColor: "#d0312d", fillOpacity: 0.15, dashArray: "4 3" },
    onEachFeature: (f, layer) => {
      const p = f.properties || {};
      const name = (lang() === "zh" ? p.name_zh : p.name_en) || p.name || p.id || "";
      layer.bindTooltip(escapeHtml(name), { sticky: true });
    },
  }).addTo(layers.nofly);
}

/** Draw patrol areas and routes: each schedule's inputs (area / route / points as
 * [[lat, lon], ...], point as [lat, lon]). */
export function drawPatrols(patrols) {
  layers.patrols.clearLayers();
  for (const p of patrols || []) {
    const inputs = p.inputs || {};
    const style = { color: "#1f7a8c", weight: 2, dashArray: "8 6", fillOpacity: 0.05, opacity: p.enabled === false ? 0.4 : 1 };
    let layer = null;
    if (Array.isArray(inputs.area) && inputs.area.length >= 3) layer = L.polygon(inputs.area, style);
    else if (Array.isArray(inputs.route ?? inputs.points) && (inputs.route ?? inputs.points).length >= 2) layer = L.polyline(inputs.route ?? inputs.points, style);
    else if (Array.isArray(inputs.point) && inputs.point.length >= 2) layer = L.circleMarker(inputs.point, { ...style, radius: 8 });
    if (!layer) continue;
    layer.bindTooltip(escapeHtml(`${t("plan.patrols")}: ${p.name || p.template_id || p.id} · ${p.cron || ""}`));
    layer.addTo(layers.patrols);
  }
}

/** [lat, lon] from {latitude_deg, longitude_deg} / {lat, lon} / [lat, lon] / GeoJSON [lon, lat]. */
export function toLatLng(p, geojsonOrder = false) {
  if (Array.isArray(p)) return geojsonOrder ? [p[1], p[0]] : [p[0], p[1]];
  return [p.latitude_deg ?? p.lat ?? p.x / 1e7, p.longitude_deg ?? p.lon ?? p.lng ?? p.y / 1e7];
}
