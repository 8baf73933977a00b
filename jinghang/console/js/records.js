// Flight records: the closed incidents, and for the one chosen, its track on the map with the
// timeline of what happened (state changes and commands with who gave them), its recorded
// video with the segments' verification and its snapshots (recordvideo.js).

import { PATHS, asList, describeReason, get } from "./api.js";
import { actionName, commandName, detailText, formatDistance, lang, localName, onLangChange, resultName, stateName, t } from "./i18n.js";
import { L, getMap, layers } from "./map.js";
import { recordSnapshots, recordVideo, seekToPlace } from "./recordvideo.js";
import { playbookById } from "./state.js";
import { errorText, h, formatTime, showError } from "./ui.js";

let chosen = null;

/** The flown track as [lat, lon]: the record's track (positions sampled in flight). */
function trackOf(record) {
  // the record's own track, else the missions' tracks one after the other
  const perMission = asList(record.missions ?? []).flatMap((m) => asList(m.track ?? m.track_points ?? []));
  const tr = record.track ?? record.track_points ?? record.positions ?? perMission;
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

/** The dispatcher acting on its own is named in the language; users by their name. */
const actorName = (actor) => (actor === "dispatcher" ? t("pilot.dispatcher") : actor ?? "");

const timeOf = (e) => e.created_at ?? e.sent_at ?? e.time ?? e.at ?? "";

/** A coded message of an event or command (code/params), else its text as the server gave it. */
function messageOf(x) {
  if (x.code || x.reason_code) return describeReason(x);
  // codes10: an event keeps its reason's code and params in its data
  if (x.data?.code) return describeReason({ code: x.data.code, params: x.data.params ?? {}, reason: x.message });
  // (console10) an uncoded English reason is not shown raw in zh: the audit log keeps it
  return lang() === "en" ? String(x.message ?? x.detail ?? x.reason ?? "") : "";
}

/** One line per event, command and audit entry, in time order, in the operator's language;
 * each line keeps the raw name (data-what), actor (data-who) and state (data-state). */
function timeline(record) {
  const rows = [];
  for (const e of asList(record.events ?? [])) {
    const change = e.from_state || e.to_state ? `${stateName(e.from_state) || "·"} → ${stateName(e.to_state) || "·"}` : "";
    rows.push({ at: timeOf(e), raw: e.kind || "event", what: e.to_state ? stateName(e.to_state) : commandName(e.kind || "event"), who: actorName(e.actor),
      state: e.to_state ?? "", text: [change, messageOf(e)].filter(Boolean).join(" "), kind: "event" });
  }
  for (const c of asList(record.commands ?? [])) {
    const raw = c.command ?? c.name ?? "command";
    const result = c.result ?? c.outcome;
    rows.push({ at: timeOf(c), raw, what: commandName(raw), who: actorName(c.actor), text: [result ? resultName(result) : "", messageOf(c)].filter(Boolean).join(" "), kind: "command" });
  }
  for (const a of asList(record.audit ?? [])) {
    rows.push({ at: timeOf(a), raw: a.action, what: actionName(a.action), who: actorName(a.actor), text: detailText(a.details), kind: "audit" });
  }
  rows.sort((x, y) => String(x.at).localeCompare(String(y.at)));
  return rows;
}

async function openRecord(inc) {
  chosen = inc.id;
  for (const b of document.querySelectorAll(".record-item")) b.classList.toggle("active", b.dataset.incident === inc.id);
  const box = document.getElementById("record-detail");
  box.replaceChildren(h("p", { class: "muted" }, "…"));
  try {
    const record = await get(PATHS.incidentRecord(inc.id));
    const track = trackOf(record);
    const planned = (record.path ?? []).filter((p) => Array.isArray(p) && p.length >= 2);
    layers.record.clearLayers();
    const drawn = [];
    if (planned.length) drawn.push(L.polyline(planned, { color: "#e85d04", weight: 2, dashArray: "6 5" }).addTo(layers.record));
    if (track.length) {
      const flown = L.polyline(track, { color: "#c1121f", weight: 3, className: "flown-track" }).addTo(layers.record);
      flown.on("click", (ev) => seekToPlace(ev.latlng)); // the recorded video seeks with the track
      drawn.push(flown);
      L.circleMarker(track[0], { radius: 5, color: "#2f8f46" }).addTo(layers.record);
      L.circleMarker(track.at(-1), { radius: 5, color: "#c1121f" }).addTo(layers.record);
    }
    const detail = record.incident ?? inc;
    if (detail.latitude_deg != null) {
      L.circleMarker([detail.latitude_deg, detail.longitude_deg], { radius: 8, color: "#d0312d", fillOpacity: 0.6 }).addTo(layers.record);
    }
    const bounds = drawn.length ? L.featureGroup(drawn).getBounds() : null;
    if (bounds?.isValid()) getMap().fitBounds(bounds.pad(0.3));
    const exports = asList(record.missions ?? []).filter((m) => m.id != null).map((m) =>
      h("button", { class: "link", dataset: { mission: m.id }, onclick: () => downloadTrack(m.id) }, `${t("records.export")} #${m.id}`));
    box.replaceChildren(...[ // (replaceChildren shows a null as the text "null")
      h("h3", {}, `#${inc.id} ${typeName(detail)}`),
      track.length && exports.length ? h("div", { class: "row" }, exports) : null,
      h("p", { class: "muted small", id: "record-track" },
        `${t("records.track")}: ${track.length ? formatDistance(lengthM(track)) : "–"} · ${t("records.planned")}: ${formatDistance(lengthM(planned))}`),
      detail.reason_code || (detail.reason && lang() === "en") ? h("p", { class: "reason" }, describeReason(detail)) : null,
      recordVideo(record, inc.id),
      recordSnapshots(inc.id),
      h("h3", {}, t("records.events")),
      h("ol", { class: "timeline" }, timeline(record).map((r) => h("li", { class: `tl-${r.kind}`, dataset: { what: r.raw ?? "", who: r.who ?? "", state: r.state ?? "" } },
        h("span", { class: "muted small" }, formatTime(r.at)), " ",
        h("b", {}, r.what ?? ""), " ", r.who ?? "", " ",
        h("span", { class: "small" }, r.text))))].filter((child) => child != null));
  } catch (err) {
    box.replaceChildren(h("p", { class: "error" }, errorText(err)));
    if (!err.missing) showError(err);
  }
}

/** Save a mission's flown track as GeoJSON (fetched with the token, saved from a blob). */
async function downloadTrack(missionId) {
  try {
    const data = await get(`${PATHS.missions}/${encodeURIComponent(missionId)}/track.geojson`);
    const url = URL.createObjectURL(new Blob([JSON.stringify(data)], { type: "application/geo+json" }));
    const a = h("a", { href: url, download: `mission-${missionId}-track.geojson` });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 5000);
  } catch (err) {
    showError(err);
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
    const lists = await Promise.all(["closed", "failed", "cancelled"].map((state) => get(PATHS.incidents, { state }).catch(() => [])));
    closed = lists.flatMap((l) => asList(l, "incidents"))
      .filter((i) => ["closed", "failed", "cancelled"].includes(String(i.status ?? i.state).toLowerCase()))
      .sort((a, b) => Number(b.id) - Number(a.id));
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
