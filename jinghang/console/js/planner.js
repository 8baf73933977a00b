// Planning from a template: pick one of the 33, draw or import (KML, GeoJSON, .plan) the
// area, route or point it takes, let the server plan it, and see the path with its flight
// time, distance, energy and photo count, or the reason it was refused; then schedule it as a
// patrol with a cron timetable.

import { PATHS, asList, del, describeProblem, describeReason, get, patch, post } from "./api.js";
import { formatDistance, formatDuration, formatNumber, localName, onLangChange, patternName, t } from "./i18n.js";
import { L, drawPatrols, getMap, layers, setPick } from "./map.js";
import { canDispatch, on, state } from "./state.js";
import { closeRing, parseGeometryFile } from "./geoimport.js";
import { confirmAction, errorText, h, showError, toast } from "./ui.js";

const POINT_PATTERNS = new Set(["orbit", "expanding_square", "sector_search", "hover", "structure_scan"]);
const LINE_PATTERNS = new Set(["corridor", "waypoint_loop"]);

let geometry = null; // GeoJSON geometry of the operator's input
let drawing = [];
let lastPlan = null;

function templateById(id) {
  return state.templates.find((tpl) => String(tpl.id) === String(id));
}

/** What the template takes: "polygon", "polyline" or "point". */
export function inputKind(tpl) {
  const declared = tpl?.inputs ?? tpl?.input ?? tpl?.takes;
  const text = JSON.stringify(declared ?? "").toLowerCase();
  if (text.includes("polygon") || text.includes("area")) return "polygon";
  if (text.includes("polyline") || text.includes("route") || text.includes("line") || text.includes("points")) return "polyline";
  if (text.includes("point")) return "point";
  const pattern = String(tpl?.pattern ?? "").toLowerCase();
  if (POINT_PATTERNS.has(pattern)) return "point";
  if (LINE_PATTERNS.has(pattern)) return "polyline";
  return "polygon";
}

/** The template's inputs as the API takes them: area / route / points as [[lat, lon], ...],
 * point as [lat, lon]. */
function inputsFor(tpl, kind, geom) {
  const names = (tpl?.inputs || []).map(String);
  if (kind === "polygon") {
    const ring = geom.coordinates[0].map(([lon, lat]) => [lat, lon]);
    return { area: ring.slice(0, -1) };
  }
  if (kind === "polyline") {
    const line = geom.coordinates.map(([lon, lat]) => [lat, lon]);
    return names.includes("points") ? { points: line } : { route: line };
  }
  return { point: [geom.coordinates[1], geom.coordinates[0]] };
}

/** Make the operator's geometry fit the template's kind where it can (a polygon for a route
 * becomes its outline; any shape for a point becomes its centre). */
function coerce(kind, geom) {
  if (!geom || kind === "polygon" && geom.type === "Polygon" || kind === "polyline" && geom.type === "LineString" || kind === "point" && geom.type === "Point") return geom;
  if (kind === "polyline" && geom.type === "Polygon") return { type: "LineString", coordinates: geom.coordinates[0] };
  if (kind === "point") {
    const pts = geom.type === "Polygon" ? geom.coordinates[0].slice(0, -1) : geom.coordinates;
    const n = pts.length;
    return { type: "Point", coordinates: [pts.reduce((a, p) => a + p[0], 0) / n, pts.reduce((a, p) => a + p[1], 0) / n] };
  }
  return null;
}

function drawInput() {
  layers.plan.clearLayers();
  const style = { color: "#7b2cbf", weight: 2, fillOpacity: 0.1 };
  if (geometry) L.geoJSON(geometry, { style, pointToLayer: (_f, ll) => L.circleMarker(ll, { radius: 7, ...style }) }).addTo(layers.plan);
  else if (drawing.length) {
    L.polyline(drawing, { ...style, dashArray: "4 4" }).addTo(layers.plan);
    for (const p of drawing) L.circleMarker(p, { radius: 4, ...style }).addTo(layers.plan);
  }
  if (lastPlan?.path?.length) {
    L.polyline(lastPlan.path, { color: "#e85d04", weight: 1.5, opacity: 0.9 }).addTo(layers.plan);
    L.circleMarker(lastPlan.path[0], { radius: 5, color: "#e85d04" }).addTo(layers.plan);
  }
}

/** The planned path as [lat, lon] from the server's answer (items, path or GeoJSON). */
function pathOf(plan) {
  const p = plan.path || plan.geometry || plan.route;
  if (p?.type === "LineString") return p.coordinates.map(([lon, lat]) => [lat, lon]);
  if (Array.isArray(p)) return p.map((q) => (Array.isArray(q) ? [q[0], q[1]] : [q.latitude_deg ?? q.lat, q.longitude_deg ?? q.lon]));
  const items = plan.items || plan.mission_items || [];
  return items
    .map((i) => [i.latitude_deg ?? i.lat ?? (i.x != null ? i.x / 1e7 : null), i.longitude_deg ?? i.lon ?? (i.y != null ? i.y / 1e7 : null)])
    .filter(([a, b]) => Number.isFinite(a) && Number.isFinite(b) && (a || b));
}

function startDrawing(kind) {
  geometry = null;
  drawing = [];
  lastPlan = null;
  drawInput();
  const hint = t(`plan.draw_hint_${kind}`);
  if (kind === "point") {
    setPick((ll) => {
      geometry = { type: "Point", coordinates: [ll.lng, ll.lat] };
      drawInput();
      renderPanel();
    }, hint);
    return;
  }
  setPick((ll) => {
    drawing.push([ll.lat, ll.lng]);
    drawInput();
  }, hint, true);
  renderPanel(true);
}

function finishDrawing(kind) {
  setPick(null);
  const coords = drawing.map(([lat, lon]) => [lon, lat]);
  if (kind === "polygon" && coords.length >= 3) geometry = { type: "Polygon", coordinates: [closeRing(coords)] };
  else if (kind === "polyline" && coords.length >= 2) geometry = { type: "LineString", coordinates: coords };
  drawing = [];
  drawInput();
  renderPanel();
}

async function importFile(file) {
  try {
    geometry = parseGeometryFile(file.name, await file.text());
    lastPlan = null;
    drawInput();
    const bounds = layers.plan.getLayers()[0]?.getBounds?.();
    if (bounds?.isValid()) getMap().fitBounds(bounds.pad(0.3));
    renderPanel();
  } catch (err) {
    toast(t("plan.import_failed", { reason: errorText(err) }), "error");
  }
}

async function computePlan(tpl) {
  const kind = inputKind(tpl);
  const out = document.getElementById("plan-result");
  if (!geometry) {
    out.replaceChildren(h("p", { class: "error" }, t("plan.input_needed", { what: t(`plan.input.${kind}`) })));
    return;
  }
  const geom = coerce(kind, geometry);
  if (!geom) {
    out.replaceChildren(h("p", { class: "error" }, t("plan.input_needed", { what: t(`plan.input.${kind}`) })));
    return;
  }
  out.replaceChildren(h("p", { class: "muted" }, "…"));
  try {
    const answer = await post(PATHS.planPreview(tpl.id), { inputs: inputsFor(tpl, kind, geom), params: {} });
    const plan = { ...(answer.summary || answer), items: answer.items };
    lastPlan = { ...plan, path: pathOf(plan) };
    drawInput();
    const violations = answer.violations || [];
    out.replaceChildren(h("dl", { class: "plan-figures" },
      h("dt", {}, t("plan.time")), h("dd", { id: "plan-time" }, formatDuration(plan.flight_time_s)),
      h("dt", {}, t("plan.distance")), h("dd", {}, formatDistance(plan.distance_horizontal_m ?? plan.distance_m)),
      h("dt", {}, t("plan.energy")), h("dd", {}, plan.energy_pct == null ? "–" : `${formatNumber(plan.energy_pct, 0)}%`),
      h("dt", {}, t("plan.photos")), h("dd", {}, plan.photo_count == null ? "–" : formatNumber(plan.photo_count, 0))));
    if (violations.length) {
      out.append(h("div", { class: "error refusal", role: "alert" },
        violations.map((v) => h("div", { dataset: { code: v.code ?? "" } }, t("plan.refused", { reason: describeProblem(v) })))));
    } else {
      out.append(scheduleForm(tpl, kind, geom));
    }
  } catch (err) {
    lastPlan = null;
    drawInput();
    out.replaceChildren(h("p", { class: "error refusal", role: "alert" }, t("plan.refused", { reason: errorText(err) })));
  }
}

function scheduleForm(tpl, kind, geom) {
  const cron = h("input", { name: "cron", id: "patrol-cron", value: "0 6 * * *" });
  const vehicle = h("select", { name: "vehicle", id: "patrol-vehicle" },
    h("option", { value: "" }, t("plan.any_vehicle")),
    [...state.vehicles.values()].map((v) => h("option", { value: v.id }, v.name)));
  return h("form", {
    class: "schedule", onsubmit: async (ev) => {
      ev.preventDefault();
      try {
        const body = {
          template_id: tpl.id,
          inputs: inputsFor(tpl, kind, geom),
          params: {},
          cron: cron.value,
          time_zone: state.settings.time_zone || "Asia/Shanghai",
          vehicle_system_id: vehicle.value ? Number(vehicle.value) : null,
          name: `${tpl.id} ${localName(tpl, "")}`.trim(),
        };
        const created = await post(PATHS.patrols, body);
        toast(`${t("plan.scheduled", { id: created?.id ?? "" })} ${checkText(created?.check)}`.trim(),
          created?.check && !created.check.can_fly ? "error" : "info");
        renderPatrols();
      } catch (err) {
        showError(err);
      }
    },
  }, h("h3", {}, t("plan.schedule")), h("label", {}, t("plan.cron"), cron), h("label", {}, t("plan.vehicle"), vehicle),
  h("button", { type: "submit", class: "primary" }, t("plan.schedule")));
}

let selectedId = null;

function renderPanel(isDrawing = false) {
  const panel = document.getElementById("panel-plan");
  const templates = state.templates;
  if (!selectedId && templates.length) selectedId = templates[0].id;
  const tpl = templateById(selectedId);
  const kind = inputKind(tpl);
  const select = h("select", {
    id: "plan-template", onchange: (ev) => {
      selectedId = ev.target.value;
      geometry = null;
      lastPlan = null;
      setPick(null);
      drawInput();
      renderPanel();
    },
  }, templates.map((x) => h("option", { value: x.id, selected: String(x.id) === String(selectedId) }, `${x.id} ${localName(x, x.id)}${x.pattern ? ` · ${patternName(x.pattern)}` : ""}`)));
  // the browser's own file button speaks the browser's language: hidden behind our own label
  const file = h("input", { type: "file", id: "plan-file", hidden: true, accept: ".kml,.geojson,.json,.plan", onchange: (ev) => ev.target.files[0] && importFile(ev.target.files[0]) });
  panel.replaceChildren(...[
    h("div", { class: "panel-head" }, h("h2", {}, t("plan.title"))),
    templates.length ? null : h("p", { class: "error" }, t("common.missing", { what: `GET ${PATHS.templates}` })),
    h("label", {}, `${t("plan.template")} (${templates.length})`, select),
    tpl ? h("p", { class: "muted small" }, `${localName({ name_zh: tpl.category_zh, name_en: tpl.category_en ?? tpl.category }, "")} · ${t(`plan.input.${kind}`)}`) : null,
    h("div", { class: "row" },
      h("button", { onclick: () => startDrawing(kind), id: "plan-draw" }, t("plan.draw")),
      isDrawing ? h("button", { class: "primary", id: "plan-finish", onclick: () => finishDrawing(kind) }, t("plan.finish")) : null,
      h("button", { class: "link", onclick: () => { geometry = null; drawing = []; lastPlan = null; setPick(null); drawInput(); renderPanel(); } }, t("plan.clear"))),
    h("label", { class: "file" }, t("plan.import"), " ", h("span", { class: "button", id: "plan-file-button" }, t("plan.choose_file")), file),
    h("button", { class: "primary", id: "plan-compute", disabled: !tpl, onclick: () => computePlan(tpl) }, t("plan.compute")),
    h("div", { id: "plan-result" }),
    h("div", { id: "patrol-list" })].filter(Boolean));
  renderPatrols();
}

function when(iso) {
  return iso ? new Date(iso).toLocaleString(document.documentElement.lang || undefined, { hour12: false }) : "";
}

/** A patrol's last run (with why, when it was skipped) and its next run. */
function patrolRuns(p) {
  const last = p.last_run;
  const lines = [h("div", { class: "small", dataset: { field: "last-run" } }, last
    ? t("plan.last_run", { when: when(last.scheduled_for), status: t(`plan.run.${last.status}`) })
    : t("plan.never_run"))];
  if (last?.status === "skipped" || last?.status === "failed") {
    lines.push(h("div", { class: "small error", dataset: { field: "skip-reason" } }, t("plan.skip_reason", { reason: describeReason(last) })));
  }
  if (p.next_run_at) lines.push(h("div", { class: "small muted", dataset: { field: "next-run" } }, t("plan.next_run", { when: when(p.next_run_at) })));
  return lines;
}

/** What the fleet check said when the patrol was scheduled: who could fly it, at what energy. */
function checkText(check) {
  if (!check) return "";
  if (!check.can_fly) return t("plan.check_none", { reason: describeReason(check) });
  const fit = check.drones.filter((d) => d.can_fly).map((d) => `${d.name} ${Math.round(d.energy_pct)}%`);
  return t("plan.check_ok", { drones: fit.join(", ") });
}

/** The scheduled patrols: name, template, timetable, last and next run, on/off and delete
 * (commanders). */
async function renderPatrols() {
  const box = document.getElementById("patrol-list");
  if (!box) return;
  let patrols = [];
  try {
    patrols = asList(await get(PATHS.patrols), "patrols");
  } catch (err) {
    if (!err.missing) showError(err);
    return;
  }
  drawPatrols(patrols);
  const mayChange = canDispatch();
  box.replaceChildren(h("h3", {}, `${t("plan.patrols")} (${patrols.length})`),
    ...patrols.map((p) => h("div", { class: `patrol-row ${p.enabled === false ? "off" : ""}`, dataset: { patrol: p.id } },
      h("div", {}, h("b", {}, p.name || p.template_id), " ", h("span", { class: "mono small" }, `${p.cron} ${p.time_zone || ""}`)),
      ...patrolRuns(p),
      mayChange ? h("div", { class: "row" },
        h("button", {
          class: "link", dataset: { act: "toggle" }, onclick: async () => {
            try {
              await patch(`${PATHS.patrols}/${p.id}`, { enabled: p.enabled === false });
              renderPatrols();
            } catch (err) {
              showError(err);
            }
          },
        }, p.enabled === false ? t("plan.enable") : t("plan.disable")),
        h("button", {
          class: "link", dataset: { act: "delete" }, onclick: async () => {
            if (!(await confirmAction(`${t("plan.delete")}: ${p.name}?`))) return;
            try {
              await del(`${PATHS.patrols}/${p.id}`);
              renderPatrols();
            } catch (err) {
              showError(err);
            }
          },
        }, t("plan.delete"))) : null)));
}

export function showPlanner() {
  renderPanel();
}

export function initPlanner() {
  on("catalogs", () => document.body.dataset.view === "plan" && renderPanel());
  onLangChange(() => document.body.dataset.view === "plan" && renderPanel());
}
