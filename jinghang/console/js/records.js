// Flight records: the closed incidents, and for the one chosen, its track on the map with the
// timeline of what happened (state changes and commands with who gave them).

import { PATHS, asList, get } from "./api.js";
import { formatDistance, localName, onLangChange, t } from "./i18n.js";
import { L, getMap, layers } from "./map.js";
import { playbookById } from "./state.js";
import { h, formatTime, showError } from "./ui.js";

let chosen = null;

function trackOf(record) {
  const tr = record.track ?? record.path ?? record.positions ?? record.telemetry ?? [];
  if (tr?.type === "LineString") return tr.coordinates.map(([lon, lat]) => [lat, lon]);
  return asList(tr, "points")
    .map((p) => (Array.isArray(p) ? [p[0], p[1]] : [p.latitude_deg ?? p.lat, p.longitude_deg ?? p.lon]))
    .filter(([a, b]) => Number.isFinite(a) && Number.isFinite(b));
}

function lengthM(points) {
  let total = 0;
  for (let i = 1; i < points.length; i++) total += L.latLng(points[i - 1]).distanceTo(points[i]);
  return total;
}

async function openRecord(inc) {
  chosen = inc.id;
  const box = document.getElementById("record-detail");
  box.replaceChildren(h("p", { class: "muted" }, "…"));
  try {
    const record = await get(PATHS.incidentRecord(inc.id));
    const track = trackOf(record);
    layers.record.clearLayers();
    if (track.length) {
      const line = L.polyline(track, { color: "#c1121f", weight: 3 }).addTo(layers.record);
      L.circleMarker(track[0], { radius: 5, color: "#2f8f46" }).addTo(layers.record);
      L.circleMarker(track.at(-1), { radius: 5, color: "#c1121f" }).addTo(layers.record);
      getMap().fitBounds(line.getBounds().pad(0.3));
    }
    const events = asList(record.events ?? record.timeline ?? record.audit ?? [], "events");
    box.replaceChildren(
      h("h3", {}, `#${inc.id} ${typeName(inc)}`),
      h("p", { class: "muted small", id: "record-track" }, `${t("records.track")}: ${track.length} · ${formatDistance(lengthM(track))}`),
      h("h3", {}, t("records.events")),
      h("ol", { class: "timeline" }, events.map((e) => h("li", {},
        h("span", { class: "muted small" }, formatTime(e.time ?? e.created_at ?? e.at ?? e.time_s)), " ",
        h("b", {}, e.action ?? e.state ?? e.status ?? e.kind ?? ""), " ",
        e.actor ?? e.user ?? "", " ",
        h("span", { class: "small" }, e.detail ? (typeof e.detail === "string" ? e.detail : JSON.stringify(e.detail)) : "")))));
  } catch (err) {
    box.replaceChildren(h("p", { class: "error" }, err.reason || err.message));
    if (!err.missing) showError(err);
  }
}

function typeName(inc) {
  const type = inc.playbook_id ?? inc.type ?? inc.incident_type;
  const pb = playbookById(type);
  return pb ? `${pb.id} ${localName(pb, pb.id)}` : type ?? "";
}

async function render() {
  const panel = document.getElementById("panel-records");
  panel.replaceChildren(h("div", { class: "panel-head" }, h("h2", {}, t("records.title"))),
    h("div", { id: "record-list" }, h("p", { class: "muted" }, "…")), h("div", { id: "record-detail" }));
  let closed = [];
  try {
    closed = asList(await get(PATHS.incidents, { status: "closed" }), "incidents")
      .filter((i) => ["closed", "failed", "cancelled"].includes(String(i.status ?? i.state).toLowerCase()));
  } catch (err) {
    showError(err);
  }
  document.getElementById("record-list").replaceChildren(...(closed.length ? closed.map((inc) =>
    h("button", { class: `record-item ${chosen === String(inc.id) ? "active" : ""}`, dataset: { incident: inc.id }, onclick: () => openRecord({ ...inc, id: String(inc.id) }) },
      `#${inc.id} ${typeName(inc)} · ${formatTime(inc.closed_at ?? inc.updated_at ?? inc.created_at)}`))
    : [h("p", { class: "muted" }, t("records.empty"))]));
}

export function showRecords() {
  layers.record?.clearLayers();
  render();
}

export function initRecords() {
  onLangChange(() => document.body.dataset.view === "records" && render());
}
