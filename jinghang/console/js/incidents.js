// Incidents: markers and the open list; reporting by clicking the map (type from the 19
// playbooks), the proposed drone with its ETA and why the others were not chosen, dispatch
// with one click (or the pilot's confirmation where the playbook asks for one), recall, close.

import { PATHS, asList, get, post } from "./api.js";
import { formatDuration, localName, onLangChange, t } from "./i18n.js";
import { L, cancelPick, flyTo, layers, setPick } from "./map.js";
import { OPEN_STATES, canDispatch, canFly, on, playbookById, state, upsertIncident } from "./state.js";
import { confirmAction, escapeHtml, h, showError, toast } from "./ui.js";

const markers = new Map();
let draftMarker = null;

function playbookLabel(id) {
  const pb = playbookById(id);
  return pb ? `${pb.id} ${localName(pb, pb.id)}` : String(id || "");
}

function statusLabel(status) {
  const key = `status.${status}`;
  const text = t(key);
  return text === key ? status : text;
}

function vehicleName(id) {
  if (id == null) return "";
  return state.vehicles.get(String(id))?.name || `#${id}`;
}

function drawIncident(inc) {
  const open = OPEN_STATES.has(inc.status);
  let m = markers.get(inc.id);
  if (!open || inc.lat == null) {
    m?.remove();
    markers.delete(inc.id);
    return;
  }
  const html = `<div class="incident-icon status-${inc.status}" data-incident="${escapeHtml(inc.id)}">!</div>`;
  const icon = L.divIcon({ className: "incident-marker", html, iconSize: [28, 28], iconAnchor: [14, 14] });
  if (!m) {
    m = L.marker([inc.lat, inc.lon], { icon, zIndexOffset: 500 }).addTo(layers.incidents);
    markers.set(inc.id, m);
  } else {
    m.setLatLng([inc.lat, inc.lon]);
    m.setIcon(icon);
  }
  m.bindTooltip(`<b>${escapeHtml(playbookLabel(inc.type))}</b><br>${escapeHtml(statusLabel(inc.status))}${inc.vehicleId != null ? " · " + escapeHtml(vehicleName(inc.vehicleId)) : ""}`);
}

function incidentRow(inc) {
  const actions = [];
  const active = ["launching", "en_route", "on_scene"].includes(inc.status);
  const waitingForPilot = inc.needsConfirmation && inc.status === "assigned" && !inc.confirmedBy;
  if (waitingForPilot && canFly()) {
    actions.push(h("button", { class: "primary", dataset: { act: "confirm" }, onclick: () => act(inc, "confirm") }, t("incidents.pilot_confirm")));
  }
  if (canDispatch() && active) {
    actions.push(h("button", { dataset: { act: "redirect" }, onclick: () => redirect(inc) }, t("incidents.redirect")));
    actions.push(h("button", { dataset: { act: "recall" }, onclick: () => act(inc, "recall") }, t("incidents.recall")));
  }
  if (canDispatch() && ["reported", "queued", "assigned"].includes(inc.status)) {
    actions.push(h("button", { class: "link", dataset: { act: "cancel" }, onclick: () => act(inc, "cancel") }, t("incidents.cancel")));
  }
  return h("div", { class: `incident-row card status-${inc.status}`, dataset: { incident: inc.id } },
    h("div", { class: "incident-head", onclick: () => inc.lat != null && flyTo(inc.lat, inc.lon) },
      h("b", {}, playbookLabel(inc.type)),
      h("span", { class: `pill status status-${inc.status}` }, statusLabel(inc.status)),
      inc.priority != null ? h("span", { class: "pill" }, `P${inc.priority}`) : null),
    h("div", { class: "muted small" },
      `#${inc.id}`,
      inc.vehicleId != null ? ` · ${vehicleName(inc.vehicleId)}` : "",
      inc.note ? ` · ${inc.note}` : ""),
    inc.reason && ["queued", "failed"].includes(inc.status) ? h("div", { class: "reason" }, inc.reason) : null,
    waitingForPilot ? h("div", { class: "reason" }, t("incidents.confirm_needed")) : null,
    actions.length ? h("div", { class: "row" }, actions) : null);
}

function renderList() {
  const list = document.getElementById("incident-list");
  const open = [...state.incidents.values()].filter((i) => OPEN_STATES.has(i.status));
  open.sort((a, b) => (a.priority ?? 9) - (b.priority ?? 9) || String(b.id).localeCompare(String(a.id), undefined, { numeric: true }));
  list.replaceChildren(...(open.length ? open.map(incidentRow) : [h("p", { class: "muted" }, t("incidents.empty"))]));
}

let scheduled = false;
function scheduleList() {
  if (scheduled) return;
  scheduled = true;
  requestAnimationFrame(() => {
    scheduled = false;
    renderList();
  });
}

async function act(inc, action) {
  try {
    const result = await post(PATHS.incidentAction(inc.id, action), {});
    if (result && typeof result === "object" && (result.id != null || result.incident_id != null)) upsertIncident(result);
    else await refreshIncident(inc.id);
  } catch (err) {
    showError(err);
  }
}

/** Send the incident's drone to a new point clicked on the map (checked by the server). */
function redirect(inc) {
  setPick(async (latlng) => {
    const text = `${t("incidents.redirect")} #${inc.id} → ${latlng.lat.toFixed(5)}, ${latlng.lng.toFixed(5)}`;
    if (!(await confirmAction(text))) return;
    try {
      upsertIncident(await post(PATHS.incidentAction(inc.id, "redirect"), { latitude_deg: latlng.lat, longitude_deg: latlng.lng }));
    } catch (err) {
      showError(err);
    }
  }, t("incidents.redirect_pick"));
}

export async function refreshIncident(id) {
  try {
    return upsertIncident(await get(PATHS.incident(id)));
  } catch (err) {
    if (!err.missing) showError(err);
    return null;
  }
}

export async function loadIncidents() {
  try {
    const items = asList(await get(PATHS.incidents), "incidents");
    for (const raw of items) upsertIncident(raw);
  } catch (err) {
    if (!err.missing) showError(err);
  }
}

// ---- reporting -------------------------------------------------------------------------

function closeReportPanel() {
  const panel = document.getElementById("report-panel");
  panel.hidden = true;
  panel.replaceChildren();
  draftMarker?.remove();
  draftMarker = null;
  cancelPick();
}

function startReport() {
  closeReportPanel();
  const panel = document.getElementById("report-panel");
  panel.hidden = false;
  panel.replaceChildren(h("p", { class: "hint" }, t("incidents.pick")),
    h("button", { class: "link", onclick: closeReportPanel }, t("common.cancel")));
  setPick((latlng) => showReportForm(latlng), t("incidents.pick"));
}

function showReportForm(latlng) {
  const panel = document.getElementById("report-panel");
  draftMarker?.remove();
  draftMarker = L.marker(latlng, {
    icon: L.divIcon({ className: "incident-marker", html: `<div class="incident-icon draft">?</div>`, iconSize: [28, 28], iconAnchor: [14, 14] }),
  }).addTo(layers.incidents);
  const typeSelect = h("select", { name: "type", id: "report-type", required: true },
    state.playbooks.map((pb) => h("option", { value: pb.id }, `${pb.id} ${localName(pb, pb.id)}`)));
  const priority = h("select", { name: "priority", id: "report-priority" },
    h("option", { value: "" }, "–"),
    [1, 2, 3, 4, 5].map((p) => h("option", { value: p }, `P${p}`)));
  const note = h("input", { name: "note", id: "report-note", maxlength: 200 });
  const draft = () => ({ latlng, type: typeSelect.value, priority: priority.value, note: note.value });
  typeSelect.addEventListener("change", () => showProposal(draft()));
  const form = h("form", { id: "report-form", onsubmit: (ev) => { ev.preventDefault(); submitReport(draft()); } },
    h("div", { class: "muted small" }, `${latlng.lat.toFixed(5)}, ${latlng.lng.toFixed(5)}`),
    h("label", {}, t("incidents.type"), typeSelect),
    h("label", {}, t("incidents.priority"), priority),
    h("label", {}, t("incidents.note"), note),
    h("div", { id: "proposal" }),
    h("div", { class: "row" },
      h("button", { type: "submit", class: "primary big", id: "dispatch-button", disabled: !canDispatch() }, t("incidents.dispatch")),
      h("button", { type: "button", class: "link", onclick: closeReportPanel }, t("common.cancel"))));
  panel.replaceChildren(form);
  if (!state.playbooks.length) panel.prepend(h("p", { class: "error" }, t("common.missing", { what: "GET " + PATHS.playbooks })));
  else showProposal(draft());
}

/** Report the incident: the dispatcher decides at once (launch, hold for a pilot, or queue). */
async function submitReport({ latlng, type, priority, note }) {
  const body = { playbook_id: type, latitude_deg: latlng.lat, longitude_deg: latlng.lng, title: note || "" };
  if (priority) body.priority = Number(priority);
  const button = document.getElementById("dispatch-button");
  button?.setAttribute("disabled", "");
  try {
    const created = await post(PATHS.incidents, body);
    const inc = upsertIncident(created.incident || created);
    if (created.choice && inc) inc.choice = created.choice;
    toast(inc?.vehicleId != null ? t("incidents.dispatched", { drone: vehicleName(inc.vehicleId) }) : t("incidents.reported"));
    closeReportPanel();
  } catch (err) {
    button?.removeAttribute("disabled");
    const box = document.getElementById("proposal");
    if (box) box.append(h("p", { class: "error" }, err.reason || err.message));
    else showError(err);
  }
}

/** The choice the dispatcher would make now, before anything is reported. */
async function showProposal({ latlng, type }) {
  const box = document.getElementById("proposal");
  if (!box) return;
  box.replaceChildren(h("p", { class: "muted" }, "…"));
  let data = null;
  try {
    data = await post(PATHS.proposal, { playbook_id: type, latitude_deg: latlng.lat, longitude_deg: latlng.lng });
  } catch (err) {
    box.replaceChildren(err.missing ? h("p", { class: "muted small" }, t("common.missing", { what: "GET " + PATHS.proposal })) : h("p", { class: "error" }, err.reason || err.message));
    return;
  }
  if (document.getElementById("report-type")?.value !== type) return; // a newer choice is on its way
  const candidates = asList(data?.candidates ?? data?.ranked ?? []);
  const chosen = candidates[0] ?? data?.best ?? null;
  const rejected = asList(data?.rejected ?? []);
  const parts = [h("h3", {}, t("incidents.proposal"))];
  if (chosen) {
    const vid = chosen.system_id ?? chosen.vehicle_id;
    parts.push(h("div", { class: "chosen", dataset: { vehicle: vid } },
      h("b", {}, chosen.name || vehicleName(vid)), " ",
      h("span", { class: "eta" }, t("incidents.eta", { eta: formatDuration(chosen.eta_s) }))));
    if (chosen.why) parts.push(h("div", { class: "muted small" }, chosen.why));
    for (const other of candidates.slice(1)) {
      parts.push(h("div", { class: "muted small" }, `${other.name || vehicleName(other.system_id)}: ${t("incidents.eta", { eta: formatDuration(other.eta_s) })}`));
    }
  } else {
    parts.push(h("p", { class: "error" }, t("incidents.no_drone", { reason: rejected.map((r) => `${r.name}: ${r.reason}`).join("; ") || "–" })));
  }
  if (rejected.length) {
    parts.push(h("div", { class: "muted small" }, t("incidents.rejected")),
      h("ul", { class: "rejected" }, rejected.map((r) => h("li", { dataset: { vehicle: r.system_id } }, `${r.name || vehicleName(r.system_id)}: ${r.reason || r.code || ""}`))));
  }
  if (data?.no_fly_zone) parts.push(h("p", { class: "error" }, `${t("incidents.in_no_fly")}: ${data.no_fly_zone}`));
  const pb = playbookById(type);
  if (pb?.pilot_confirmation) parts.push(h("p", { class: "reason" }, t("incidents.confirm_needed")));
  box.replaceChildren(...parts);
}

export function initIncidents() {
  document.getElementById("report-start").addEventListener("click", startReport);
  on("incident", (inc) => {
    drawIncident(inc);
    scheduleList();
  });
  on("user", scheduleList);
  onLangChange(() => {
    for (const inc of state.incidents.values()) drawIncident(inc);
    scheduleList();
  });
  renderList();
}
