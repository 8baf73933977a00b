// Planning from a template: pick one of the 33, draw or import (KML, GeoJSON, .plan) the
// area, route or point it takes, let the server plan it, and see the path with its flight
// time, distance, energy and photo count, or the reason it was refused; then schedule it as a
// patrol with a timetable built from a form (every day at HH:MM, weekdays, chosen days, every
// N hours, some months only; the cron expression stays editable) with its next runs shown.
// The template's parameters (GSD or altitude, overlap, speed...) are editable within their
// limits and the estimate follows each change; the plan can be checked against a chosen drone
// (the share of its battery it takes); an area too big for one battery is offered split into
// battery-sized sorties, each drawn and listed with its own figures.

import { PATHS, asList, del, describeProblem, describeReason, get, patch, post } from "./api.js";
import { formatDistance, formatDuration, formatNumber, lang, localName, onLangChange, patternName, t } from "./i18n.js";
import { L, drawPatrols, getMap, layers, setPick } from "./map.js";
import { canDispatch, on, state } from "./state.js";
import { closeRing, parseGeometryFile } from "./geoimport.js";
import { confirmAction, errorText, h, showError, toast } from "./ui.js";

const POINT_PATTERNS = new Set(["orbit", "expanding_square", "sector_search", "hover", "structure_scan"]);
const LINE_PATTERNS = new Set(["corridor", "waypoint_loop"]);

let geometry = null; // GeoJSON geometry of the operator's input
let drawing = [];
let lastPlan = null;
let lastSplit = null; // the server's split of the area into sorties
const paramSpecs = new Map(); // template id -> [{name, value, minimum, maximum, unit, ...}]
let paramTyped = {}; // name -> what the operator typed (only for the selected template)
const PART_COLORS = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#1f78b4", "#b15928", "#6a3d9a", "#33a02c", "#fb9a99"];

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
  if (lastPlan?.path?.length && !lastSplit) {
    L.polyline(lastPlan.path, { color: "#e85d04", weight: 1.5, opacity: 0.9 }).addTo(layers.plan);
    L.circleMarker(lastPlan.path[0], { radius: 5, color: "#e85d04" }).addTo(layers.plan);
  }
  for (const part of lastSplit?.parts || []) {
    const color = PART_COLORS[part.index % PART_COLORS.length];
    L.polygon(part.area, { color, weight: 2, fillOpacity: 0.12, className: "sortie-part" })
      .bindTooltip(t("ops.split.part", { n: part.index + 1, count: lastSplit.part_count })).addTo(layers.plan);
    if (part.path?.length) L.polyline(part.path, { color, weight: 1.2, opacity: 0.9 }).addTo(layers.plan);
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
  lastSplit = null;
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
  lastSplit = null;
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
    const { params, error } = paramsForRequest(tpl);
    if (error) {
      out.replaceChildren(h("p", { class: "error", role: "alert", dataset: { code: "ops.param.out_of_range", field: error.name } }, t("ops.param.out_of_range", error)));
      return;
    }
    const answer = await post(PATHS.planPreview(tpl.id), { inputs: inputsFor(tpl, kind, geom), params });
    lastSplit = null;
    const plan = { ...(answer.summary || answer), items: answer.items };
    lastPlan = { ...plan, path: pathOf(plan) };
    drawInput();
    const violations = answer.violations || [];
    out.replaceChildren(h("dl", { class: "plan-figures" },
      h("dt", {}, t("plan.time")), h("dd", { id: "plan-time" }, formatDuration(plan.flight_time_s)),
      h("dt", {}, t("plan.distance")), h("dd", {}, formatDistance(plan.distance_horizontal_m ?? plan.distance_m)),
      h("dt", {}, t("plan.energy")), h("dd", {}, plan.energy_pct == null ? "–" : `${formatNumber(plan.energy_pct, 0)}%`),
      h("dt", {}, t("plan.photos")), h("dd", {}, plan.photo_count == null ? "–" : formatNumber(plan.photo_count, 0))));
    if (plan.gsd_cm_px != null) out.append(h("p", { class: "muted small", id: "plan-gsd" }, t("ops.plan.gsd", { gsd: formatNumber(plan.gsd_cm_px, 2) })));
    if (violations.length) {
      out.append(h("div", { class: "error refusal", role: "alert" },
        violations.map((v) => h("div", { dataset: { code: v.code ?? "" } }, t("plan.refused", { reason: describeProblem(v) })))));
      if (kind === "polygon" && violations.some((v) => v.code === "mission.out_of_battery")) out.append(splitOffer(tpl, geom, plan));
    } else {
      out.append(droneCheck(tpl, kind, geom, params), scheduleForm(tpl, kind, geom, params));
    }
  } catch (err) {
    lastPlan = null;
  lastSplit = null;
    drawInput();
    out.replaceChildren(h("p", { class: "error refusal", role: "alert" }, t("plan.refused", { reason: errorText(err) })));
  }
}

// ---- parameters ---------------------------------------------------------------------------

async function specsOf(tpl) {
  if (!tpl) return [];
  if (!paramSpecs.has(tpl.id)) {
    try {
      paramSpecs.set(tpl.id, await get(`${PATHS.templates}/${encodeURIComponent(tpl.id)}/params`));
    } catch (err) {
      if (!err.missing) showError(err);
      return [];
    }
  }
  return paramSpecs.get(tpl.id);
}

const shown = (value) => (value == null ? "" : String(value));
const unitText = (u) => (u ? t(`ops.unit.${u}`) : "");

/** The parameters the operator changed, checked against their limits: {params} or {error}. */
function paramsForRequest(tpl) {
  const params = {};
  for (const spec of paramSpecs.get(tpl?.id) || []) {
    if (!(spec.name in paramTyped)) continue;
    const text = String(paramTyped[spec.name]).trim().replace(",", ".");
    if (text === shown(spec.value)) continue;
    if (text === "") {
      if (spec.optional) params[spec.name] = null;
      continue;
    }
    const n = Number(text);
    const range = { name: t(`ops.param.${spec.name}`), min: formatNumber(spec.minimum ?? -Infinity, 2), max: formatNumber(spec.maximum ?? Infinity, 2), unit: unitText(spec.unit) };
    if (!Number.isFinite(n) || (spec.minimum != null && n < spec.minimum) || (spec.maximum != null && n > spec.maximum)
      || (spec.kind === "integer" && !Number.isInteger(n))) return { error: range };
    params[spec.name] = n;
  }
  return { params };
}

let recomputeTimer = 0;
function paramChanged(tpl, spec, input) {
  paramTyped[spec.name] = input.value;
  const { error } = paramsForRequest(tpl);
  const note = document.getElementById("plan-param-error");
  if (note) {
    note.textContent = error ? t("ops.param.out_of_range", error) : "";
    note.dataset.field = error ? spec.name : "";
  }
  input.classList.toggle("invalid", Boolean(error));
  clearTimeout(recomputeTimer);
  if (!error && geometry) recomputeTimer = setTimeout(() => computePlan(tpl), 450);
}

async function renderParams(tpl) {
  const box = document.getElementById("plan-params");
  if (!box) return;
  const specs = await specsOf(tpl);
  if (String(selectedId) !== String(tpl?.id)) return; // another template was chosen meanwhile
  const unit = unitText;
  box.replaceChildren(h("legend", {}, t("ops.param.title")),
    ...specs.map((spec) => {
      const input = h("input", {
        type: "number", id: `plan-param-${spec.name}`, dataset: { param: spec.name },
        value: spec.name in paramTyped ? paramTyped[spec.name] : shown(spec.value),
        min: spec.minimum ?? undefined, max: spec.maximum ?? undefined,
        step: spec.kind === "integer" ? 1 : "any",
        oninput: () => paramChanged(tpl, spec, input),
      });
      const range = `${formatNumber(spec.minimum, 2)}–${formatNumber(spec.maximum, 2)} ${unit(spec.unit)}`.trim();
      return h("label", { class: "param" }, h("span", {}, t(`ops.param.${spec.name}`), spec.unit ? ` (${unit(spec.unit)})` : ""),
        input, h("span", { class: "muted small range" }, range));
    }),
    specs.some((x) => x.name === "gsd_cm_px") ? h("p", { class: "muted small" }, t("ops.param.gsd_sets_altitude")) : null,
    h("p", { class: "error small", id: "plan-param-error", role: "alert" }));
}

// ---- the check against a drone and the split into sorties ---------------------------------

function fitText(d) {
  const drone = d.name || `#${d.drone_id}`;
  if (d.can_fly) return t("ops.check.fits", { drone, energy: formatNumber(d.energy_pct, 0), battery: formatNumber(d.battery_pct, 0) });
  if (d.energy_pct != null) return t("ops.check.short", { drone, energy: formatNumber(d.energy_pct, 0), battery: d.battery_pct == null ? "–" : formatNumber(d.battery_pct, 0) });
  return t("ops.check.cannot", { drone, reason: d.reason_code || d.code ? describeReason(d) : lang() === "en" ? d.reason : t("ops.check.cannot_now") });
}

function droneCheck(tpl, kind, geom, params) {
  const box = h("div", { id: "plan-check-result" });
  const drone = h("select", { id: "plan-drone" },
    h("option", { value: "" }, t("ops.check.every_drone")),
    [...state.vehicles.values()].map((v) => h("option", { value: v.droneId ?? v.id }, v.name)));
  const run = async () => {
    box.replaceChildren(h("p", { class: "muted" }, "…"));
    try {
      const body = { inputs: inputsFor(tpl, kind, geom), params };
      if (drone.value) body.drone_id = Number(drone.value);
      const check = await post(`${PATHS.templates}/${encodeURIComponent(tpl.id)}/check`, body);
      const rows = (check.drones || []).map((d) => h("li", { class: d.can_fly ? "fits" : "error", dataset: { vehicle: d.drone_id, fits: String(d.can_fly) } }, fitText(d)));
      box.replaceChildren(h("p", { class: check.can_fly ? "" : "error", dataset: { canFly: String(check.can_fly) } },
        check.can_fly ? t("ops.check.ok") : t("ops.check.none")), h("ul", { class: "check-list" }, rows));
    } catch (err) {
      box.replaceChildren(h("p", { class: "error" }, errorText(err)));
    }
  };
  return h("div", { class: "plan-check" }, h("h3", {}, t("ops.check.title")),
    h("div", { class: "row" }, drone, h("button", { type: "button", id: "plan-check", onclick: run }, t("ops.check.run"))), box);
}

function splitOffer(tpl, geom, plan) {
  const box = h("div", { id: "plan-parts" });
  const run = async () => {
    box.replaceChildren(h("p", { class: "muted" }, "…"));
    const { params, error } = paramsForRequest(tpl);
    if (error) return;
    try {
      lastSplit = await post(`${PATHS.templates}/${encodeURIComponent(tpl.id)}/split`, { inputs: inputsFor(tpl, "polygon", geom), params });
      drawInput();
      const bounds = L.latLngBounds(lastSplit.parts.flatMap((part) => part.area));
      if (bounds.isValid()) getMap().fitBounds(bounds.pad(0.2), { animate: false });
      box.replaceChildren(...splitList(lastSplit));
    } catch (err) {
      box.replaceChildren(h("p", { class: "error" }, errorText(err)));
    }
  };
  return h("div", { class: "split-offer" },
    h("p", {}, t("ops.split.offer", { energy: formatNumber(plan.energy_pct, 0) })),
    h("button", { type: "button", class: "primary", id: "plan-split", onclick: run }, t("ops.split.run")), box);
}

function splitList(split) {
  const head = h("p", { class: split.fits ? "" : "error", id: "plan-parts-head", dataset: { count: split.part_count, fits: String(split.fits) } },
    split.fits ? t("ops.split.result", { count: split.part_count, reserve: formatNumber(split.reserve_pct, 0) })
      : t("ops.split.not_enough", { count: split.part_count }));
  const rows = split.parts.map((p) => h("li", { class: "sortie-part-row", dataset: { part: p.index } },
    h("span", { class: "legend-swatch dot", style: `--c:${PART_COLORS[p.index % PART_COLORS.length]}` }), " ",
    h("b", {}, t("ops.split.part", { n: p.index + 1, count: split.part_count })), " ",
    t("ops.split.figures", { time: formatDuration(p.flight_time_s), distance: formatDistance(p.distance_horizontal_m), energy: formatNumber(p.energy_pct, 0), photos: formatNumber(p.photo_count ?? 0, 0) }),
    p.violations.length ? h("div", { class: "error small" }, p.violations.map((v) => describeProblem(v)).join("; ")) : null));
  return [head, h("ol", { class: "sortie-parts" }, rows), h("p", { class: "muted small" }, t("ops.split.how"))];
}

// ---- the timetable builder -----------------------------------------------------------------

const DAYS = [1, 2, 3, 4, 5, 6, 0];
const EVERY_HOURS = [1, 2, 3, 4, 6, 8, 12];

/** The cron expression of the builder's form, or {error: key}. */
export function cronOf(form) {
  const [hh, mm] = String(form.time || "06:00").split(":").map(Number);
  if (!Number.isInteger(hh) || !Number.isInteger(mm) || hh < 0 || hh > 23 || mm < 0 || mm > 59) return { error: "ops.timetable.bad_time" };
  switch (form.kind) {
    case "daily": return { cron: `${mm} ${hh} * * *` };
    case "weekdays": return { cron: `${mm} ${hh} * * 1-5` };
    case "weekly": {
      const days = DAYS.filter((d) => form.days.includes(d));
      return days.length ? { cron: `${mm} ${hh} * * ${days.join(",")}` } : { error: "ops.timetable.no_days" };
    }
    case "hours": return { cron: `${mm} */${form.every} * * *` };
    case "season": {
      const [a, b] = [Number(form.from), Number(form.to)];
      return { cron: `${mm} ${hh} * ${a === b ? a : `${a}-${b}`} *` };
    }
    default: return { cron: form.cron };
  }
}

let previewTimer = 0;
function timetableBuilder(onCron) {
  const form = { kind: "daily", time: "06:00", days: [1, 2, 3, 4, 5], every: 4, from: 4, to: 10, cron: "0 6 * * *" };
  const kind = h("select", { id: "timetable-kind" },
    ["daily", "weekdays", "weekly", "hours", "season", "custom"].map((k) => h("option", { value: k }, t(`ops.timetable.${k}`))));
  const time = h("input", { type: "time", id: "timetable-time", value: form.time, step: 60 });
  const days = h("div", { class: "timetable-days", id: "timetable-days" }, DAYS.map((d) => h("label", { class: "day" },
    h("input", { type: "checkbox", value: d, checked: form.days.includes(d) }), t(`ops.day.${d}`))));
  const every = h("select", { id: "timetable-every" }, EVERY_HOURS.map((n) => h("option", { value: n, selected: n === form.every }, t("ops.timetable.every_n", { n }))));
  const month = (id, value) => h("select", { id }, Array.from({ length: 12 }, (_v, i) => h("option", { value: i + 1, selected: i + 1 === value }, t("ops.timetable.month", { n: i + 1 }))));
  const from = month("timetable-from", form.from);
  const to = month("timetable-to", form.to);
  const cron = h("input", { name: "cron", id: "patrol-cron", value: form.cron, class: "mono", spellcheck: "false" });
  const runs = h("div", { id: "timetable-runs", class: "small" });
  const error = h("p", { class: "error small", id: "timetable-error", role: "alert" });
  const timeRow = h("label", {}, t("ops.timetable.at"), time);
  const daysRow = h("div", {}, days);
  const everyRow = h("label", {}, t("ops.timetable.every"), every);
  const seasonRow = h("div", { class: "row" }, h("label", {}, t("ops.timetable.from"), from), h("label", {}, t("ops.timetable.to"), to));
  const layout = () => {
    timeRow.hidden = form.kind === "custom";
    daysRow.hidden = form.kind !== "weekly";
    everyRow.hidden = form.kind !== "hours";
    seasonRow.hidden = form.kind !== "season";
    timeRow.firstChild.textContent = form.kind === "hours" ? t("ops.timetable.minute_of") : t("ops.timetable.at");
  };
  const preview = async (expr) => {
    try {
      const zone = state.settings.time_zone || "Asia/Shanghai";
      const answer = await get(`${PATHS.patrols}/timetable?${new URLSearchParams({ cron: expr, time_zone: zone, count: "5" })}`);
      if (cron.value.trim() !== expr) return;
      error.textContent = "";
      runs.replaceChildren(h("span", { class: "muted" }, t("ops.timetable.next")),
        h("ol", { class: "next-runs" }, answer.next_runs.map((r) => h("li", {}, when(r)))));
    } catch (err) {
      if (cron.value.trim() !== expr) return;
      runs.replaceChildren();
      error.textContent = errorText(err);
    }
  };
  const changed = (fromCron = false) => {
    if (!fromCron) {
      const made = cronOf(form);
      if (made.error) {
        error.textContent = t(made.error);
        runs.replaceChildren();
        onCron(null);
        return;
      }
      cron.value = made.cron;
    }
    const expr = cron.value.trim();
    onCron(expr);
    clearTimeout(previewTimer);
    previewTimer = setTimeout(() => preview(expr), 250);
  };
  kind.addEventListener("change", () => { form.kind = kind.value; layout(); changed(form.kind === "custom"); });
  time.addEventListener("input", () => { form.time = time.value; changed(); });
  days.addEventListener("change", () => { form.days = [...days.querySelectorAll("input:checked")].map((i) => Number(i.value)); changed(); });
  every.addEventListener("change", () => { form.every = Number(every.value); changed(); });
  from.addEventListener("change", () => { form.from = Number(from.value); changed(); });
  to.addEventListener("change", () => { form.to = Number(to.value); changed(); });
  cron.addEventListener("input", () => {
    form.kind = "custom";
    kind.value = "custom";
    layout();
    changed(true);
  });
  layout();
  changed();
  return h("fieldset", { class: "timetable" }, h("legend", {}, t("ops.timetable.title")),
    h("label", {}, t("ops.timetable.kind"), kind), timeRow, daysRow, everyRow, seasonRow,
    h("label", {}, t("plan.cron"), cron), error, runs);
}

function scheduleForm(tpl, kind, geom, params = {}) {
  let cronValue = "0 6 * * *";
  const builder = timetableBuilder((expr) => { cronValue = expr; });
  const cron = { get value() { return cronValue; } };
  const vehicle = h("select", { name: "vehicle", id: "patrol-vehicle" },
    h("option", { value: "" }, t("plan.any_vehicle")),
    [...state.vehicles.values()].map((v) => h("option", { value: v.id }, v.name)));
  return h("form", {
    class: "schedule", onsubmit: async (ev) => {
      ev.preventDefault();
      if (!cron.value) return;
      try {
        const body = {
          template_id: tpl.id,
          inputs: inputsFor(tpl, kind, geom),
          params,
          cron: cron.value,
          time_zone: state.settings.time_zone || "Asia/Shanghai",
          drone_id: vehicle.value ? Number(vehicle.value) : null,
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
  }, h("h3", {}, t("plan.schedule")), builder, h("label", {}, t("plan.vehicle"), vehicle),
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
      paramTyped = {};
      geometry = null;
      lastPlan = null;
  lastSplit = null;
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
      h("button", { class: "link", onclick: () => { geometry = null; drawing = []; lastPlan = null;
  lastSplit = null; setPick(null); drawInput(); renderPanel(); } }, t("plan.clear"))),
    h("label", { class: "file" }, t("plan.import"), " ", h("span", { class: "button", id: "plan-file-button" }, t("plan.choose_file")), file),
    h("fieldset", { id: "plan-params", class: "plan-params" }),
    h("button", { class: "primary", id: "plan-compute", disabled: !tpl, onclick: () => computePlan(tpl) }, t("plan.compute")),
    h("div", { id: "plan-result" }),
    h("div", { id: "patrol-list" })].filter(Boolean));
  renderParams(tpl);
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
