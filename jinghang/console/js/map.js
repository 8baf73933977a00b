// The map: Leaflet (vendored) over an offline base drawn from local GeoJSON of the Weihai
// service area (sea, land, districts, main roads, place names), or a deployment's own tile
// server when the console settings name one (tile_url). Overlay layers for drones, incidents,
// no-fly zones, patrol routes, plans and flight records; and a one-shot "pick a point" mode.
// While a point is picked it can also be typed (decimal degrees or d°m's"), and a click on a
// drone or an incident picks its position. The area the map may be panned over grows to hold
// every no-fly zone and base it is given; a legend names what is drawn and shows each zone.

import * as L from "../vendor/leaflet/leaflet-src.esm.js";
import { lang, localText, onLangChange, t } from "./i18n.js";
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
let areaBounds = null; // the configured area, grown by every zone and base drawn
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
  areaBounds = L.latLngBounds(bounds);
  map.setMaxBounds(areaBounds.pad(0.6));
  if (settings.tile_url) {
    L.tileLayer(settings.tile_url, {
      attribution: settings.tile_attribution || "",
      maxZoom: settings.tile_max_zoom || 18,
    }).addTo(map);
  }
  for (const name of ["nofly", "patrols", "plan", "record", "incidents", "trails", "drones", "bases"]) {
    layers[name] = L.featureGroup().addTo(map);
  }
  // a click on a drone, incident or base while a point is picked picks its position
  for (const name of ["drones", "incidents", "bases"]) {
    layers[name].on("click", (ev) => {
      if (!pickHandler || !ev.latlng) return;
      L.DomEvent.stop(ev.originalEvent || ev);
      pickAt(ev.latlng);
    });
  }
  addLegend();
  initCoordinateEntry();
  loadBase(Boolean(settings.tile_url));
  map.on("click", (ev) => {
    if (pickHandler) pickAt(ev.latlng);
  });
  onLangChange(() => drawLabels());
  return map;
}

async function loadBase(hasTiles) {
  try {
    // beside the console, wherever the page is (the shared case page lives under /share/)
    const response = await fetch(new URL("../data/weihai-base.geojson", import.meta.url));
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
  const entry = document.getElementById("coord-entry");
  if (entry) {
    entry.hidden = !fn;
    document.getElementById("coord-error").textContent = "";
    if (!fn) document.getElementById("coord-input").value = "";
  }
}

/** Whether a point is being picked (a click on a drone then picks, not selects). */
export function isPicking() {
  return Boolean(pickHandler);
}

/** Hand a point to the waiting pick (from a click, a marker or typed coordinates). */
export function pickAt(latlng) {
  const fn = pickHandler;
  if (!fn) return;
  if (!fn.keep) setPick(null);
  fn(L.latLng(latlng));
}

// ---- coordinates typed by hand -----------------------------------------------------------

const HEMI = { N: 1, S: -1, E: 1, W: -1, 北: 1, 南: -1, 东: 1, 西: -1 };

/** One angle: decimal degrees ("37.5123", "-122.1") or degrees, minutes, seconds
 * ("37°30'44.3\"N", "37 30 44.3 N", "37°30.74'"), with an optional hemisphere letter. */
function parseAngle(text) {
  let s = text.trim().replace(/[′’]/g, "'").replace(/[″”]/g, '"').replace(/''/g, '"');
  let sign = 1;
  let hemi = null;
  const letter = s.match(/^([NSEW北南东西])\s*|\s*([NSEW北南东西])$/i);
  if (letter) {
    hemi = (letter[1] || letter[2]).toUpperCase();
    sign = HEMI[hemi];
    s = s.replace(letter[0], "").trim();
  }
  if (s.startsWith("-")) {
    sign = -sign;
    s = s.slice(1).trim();
  }
  const parts = s.split(/[°º度'分"秒\s]+/).filter(Boolean);
  if (!parts.length || parts.length > 3 || !parts.every((p) => /^\d+(\.\d+)?$/.test(p))) return null;
  const [d, m = "0", sec = "0"] = parts;
  const minutes = Number(m);
  const seconds = Number(sec);
  if (parts.length > 1 && !/^\d+$/.test(d)) return { error: "ops.coord.bad_dms" };
  if (minutes >= 60 || seconds >= 60 || (parts.length === 3 && !/^\d+$/.test(m))) return { error: "ops.coord.bad_dms" };
  return { value: sign * (Number(d) + minutes / 60 + seconds / 3600), hemi };
}

/** "lat, lon" in decimal degrees or d°m's" -> {lat, lon}, or {error: i18n key, ...vars}. */
export function parseCoordinates(text) {
  const raw = String(text ?? "").trim();
  if (!raw) return { error: "ops.coord.empty" };
  let pieces = raw.split(/\s*[,，;；]\s*/).filter(Boolean);
  if (pieces.length !== 2) {
    // "37.5 122.1" or "37°30'N 122°06'E": split after the first angle
    const m = raw.match(/^(.+?[NS北南])\s*(.+)$/i) || raw.match(/^(-?\d+(?:\.\d+)?)\s+(-?\d+(?:\.\d+)?)$/);
    pieces = m ? [m[1], m[2]] : [];
  }
  if (pieces.length !== 2) return { error: "ops.coord.two_numbers" };
  const a = parseAngle(pieces[0]);
  const b = parseAngle(pieces[1]);
  if (!a || !b) return { error: "ops.coord.unreadable" };
  if (a.error || b.error) return { error: a.error || b.error };
  let lat = a.value;
  let lon = b.value;
  if (a.hemi && "EW东西".includes(a.hemi) || b.hemi && "NS北南".includes(b.hemi)) [lat, lon] = [lon, lat];
  if (!(lat >= -90 && lat <= 90)) return { error: "ops.coord.lat_range", value: lat };
  if (!(lon >= -180 && lon <= 180)) return { error: "ops.coord.lon_range", value: lon };
  return { lat, lon };
}

function initCoordinateEntry() {
  const form = document.getElementById("coord-entry");
  if (!form) return;
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const input = document.getElementById("coord-input");
    const out = document.getElementById("coord-error");
    const parsed = parseCoordinates(input.value);
    if (parsed.error) {
      out.textContent = t(parsed.error, { value: parsed.value == null ? "" : parsed.value.toFixed(4) });
      out.dataset.code = parsed.error;
      return;
    }
    out.textContent = "";
    out.dataset.code = "";
    if (areaBounds && !map.options.maxBounds?.contains([parsed.lat, parsed.lon])) {
      out.textContent = t("ops.coord.outside");
      out.dataset.code = "ops.coord.outside";
      return;
    }
    map.panTo([parsed.lat, parsed.lon], { animate: false });
    input.value = "";
    pickAt([parsed.lat, parsed.lon]);
  });
}

// ---- the area the map covers -------------------------------------------------------------

/** Let the map be panned over ``bounds`` too (a no-fly zone, a base far from the centre). */
export function extendArea(bounds) {
  if (!map || !bounds) return;
  const b = L.latLngBounds(bounds);
  if (!b.isValid()) return;
  areaBounds = areaBounds ? L.latLngBounds(areaBounds.getSouthWest(), areaBounds.getNorthEast()).extend(b) : b;
  map.setMaxBounds(areaBounds.pad(0.25));
}

// ---- legend ------------------------------------------------------------------------------

let legendZones = [];

function legendSwatch(cls, style = "") {
  return `<span class="legend-swatch ${cls}" style="${style}"></span>`;
}

function drawLegend() {
  const box = document.getElementById("map-legend");
  if (!box) return;
  const open = box.open ?? true;
  const row = (swatch, key) => `<li>${swatch}<span>${escapeHtml(t(key))}</span></li>`;
  const zones = legendZones.map((z, i) => `<li><button type="button" class="link legend-zone" data-zone="${i}">${escapeHtml(z.name)}</button></li>`).join("");
  box.innerHTML = `<summary>${escapeHtml(t("ops.legend.title"))}</summary>
    <h4>${escapeHtml(t("ops.legend.drones"))}</h4><ul>
      ${row(legendSwatch("dot", "--c:#0b63ce"), "ops.legend.drone_flying")}
      ${row(legendSwatch("dot", "--c:#2f8f46"), "ops.legend.drone_ready")}
      ${row(legendSwatch("dot", "--c:#d0312d"), "ops.legend.drone_low")}
      ${row(legendSwatch("dot", "--c:#8a8a8a"), "ops.legend.drone_lost")}
      ${row(legendSwatch("base"), "ops.legend.base")}</ul>
    <h4>${escapeHtml(t("ops.legend.incidents"))}</h4><ul>
      ${row(legendSwatch("incident", "--c:#e08a00"), "ops.legend.incident_waiting")}
      ${row(legendSwatch("incident", "--c:#d0312d"), "ops.legend.incident_served")}
      ${row(legendSwatch("line", "--c:#1f7a8c"), "ops.legend.patrol")}
      ${row(legendSwatch("line", "--c:#e85d04"), "ops.legend.plan")}</ul>
    <h4>${escapeHtml(t("ops.legend.nofly"))}</h4><ul>
      ${row(legendSwatch("zone"), "ops.legend.nofly_zone")}${zones}</ul>`;
  box.open = open;
}

function addLegend() {
  const Legend = L.Control.extend({
    options: { position: "topright" },
    onAdd() {
      const box = L.DomUtil.create("details", "map-legend");
      box.id = "map-legend";
      box.open = !window.matchMedia("(max-width: 700px)").matches;
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.disableScrollPropagation(box);
      box.addEventListener("click", (ev) => {
        const button = ev.target.closest(".legend-zone");
        const zone = button && legendZones[Number(button.dataset.zone)];
        if (zone) map.fitBounds(zone.bounds.pad(0.5), { animate: false });
      });
      return box;
    },
  });
  new Legend().addTo(map);
  drawLegend();
  onLangChange(() => {
    legendZones = legendZones.map((z) => ({ ...z, name: zoneName(z.properties) }));
    drawLegend();
  });
}

function zoneName(p = {}) {
  const local = (lang() === "zh" ? p.name_zh : p.name_en) || p.name || p.id || "";
  return localText(String(local));
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
  const zones = [];
  L.geoJSON(fc, {
    style: { color: "#d0312d", weight: 2, fillColor: "#d0312d", fillOpacity: 0.15, dashArray: "4 3" },
    onEachFeature: (f, layer) => {
      const p = f.properties || {};
      const name = zoneName(p);
      layer.bindTooltip(escapeHtml(name), { sticky: true });
      if (layer.getBounds) zones.push({ name, properties: p, bounds: layer.getBounds() });
    },
  }).addTo(layers.nofly);
  legendZones = zones;
  for (const z of zones) extendArea(z.bounds);
  drawLegend();
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
