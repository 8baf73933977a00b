// Incidents as cases: markers and the open list; reporting by clicking the map (type from the
// 19 playbooks), the proposed drone with its ETA and why the others were not chosen, dispatch
// with one click (or a second pilot's confirmation where the playbook asks for one). Each case
// shows its sorties (drone, state, times) and, while no drone can take it, every drone's reason
// (translated from its code); a commander adds a sortie (a named drone, another playbook),
// recalls, redirects, closes the case with an outcome or cancels it (recall and cancel ask
// first, in the operator's language, and say afterwards what was done). A commander makes a
// share link for officers in the field (a validity to choose, the link with a copy button, the
// active links with revoke); the case list has a search box over names and titles (search.js).

import { PATHS, asList, del, get, post } from "./api.js";
import { formatDistance, formatDuration, formatNumber, lang, localName, onLangChange, t } from "./i18n.js";
import { L, cancelPick, flyTo, layers, setPick } from "./map.js";
import { FLYING_SORTIE_STATES, OPEN_STATES, canDispatch, casePhase, on, playbookById, state, upsertIncident } from "./state.js";
import { confirmAction, escapeHtml, h, showError, toast } from "./ui.js";
import { initSearch } from "./search.js";

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

/** A coded message ({code, params}) in the current language; the English text otherwise. */
/** Payload names in the language ("喊话器、抛投器"). */
function payloadNames(names) {
  return names.map((p) => { const key = `payload.${p}`; const text = t(key); return text === key ? p : text; })
    .join(lang() === "zh" ? "、" : ", ");
}

export function codeText(code, params = {}, fallback = "") {
  if (!code) return fallback;
  const key = `code.${code}`;
  const vars = { ...params };
  if (vars.distance_m != null) vars.distance = formatDistance(Number(vars.distance_m));
  if (Array.isArray(vars.payloads)) vars.payloads = payloadNames(vars.payloads);
  const text = t(key, vars);
  return text === key ? fallback || code : text;
}

function reasonText(r) {
  const body = codeText(r.code, r.params || {}, r.reason || "");
  return r.drone ? `${r.drone}: ${body}` : body;
}

/** An API error in the current language when it carries a code. */
function errorText(err) {
  const problem = err?.problem || {};
  return problem.code ? codeText(problem.code, problem.params || {}, err.reason) : err?.reason || err?.message || String(err);
}

function showCoded(err) {
  toast(t("common.error", { reason: errorText(err) }), "error");
}

function clock(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? "" : d.toLocaleTimeString(lang() === "zh" ? "zh-CN" : "en-GB", { hour: "2-digit", minute: "2-digit" });
}

function drawIncident(inc) {
  const open = OPEN_STATES.has(inc.status);
  let m = markers.get(inc.id);
  if (!open || inc.lat == null) {
    m?.remove();
    markers.delete(inc.id);
    return;
  }
  const phase = casePhase(inc);
  const html = `<div class="incident-icon status-${escapeHtml(phase)}" data-incident="${escapeHtml(inc.id)}">!</div>`;
  const icon = L.divIcon({ className: "incident-marker", html, iconSize: [28, 28], iconAnchor: [14, 14] });
  if (!m) {
    m = L.marker([inc.lat, inc.lon], { icon, zIndexOffset: 500 }).addTo(layers.incidents);
    markers.set(inc.id, m);
  } else {
    m.setLatLng([inc.lat, inc.lon]);
    m.setIcon(icon);
  }
  m.bindTooltip(`<b>${escapeHtml(playbookLabel(inc.type))}</b><br>${escapeHtml(statusLabel(phase))}${inc.vehicleId != null ? " · " + escapeHtml(vehicleName(inc.vehicleId)) : ""}`);
}

function sortieRow(sortie) {
  const times = [
    sortie.launched_at ? t("incidents.launched_at", { time: clock(sortie.launched_at) }) : "",
    sortie.on_scene_at ? t("incidents.on_scene_at", { time: clock(sortie.on_scene_at) }) : "",
    sortie.ended_at ? t("incidents.ended_at", { time: clock(sortie.ended_at) }) : "",
  ].filter(Boolean).join(" · ");
  // codes10: the chosen drone's figures are in the audit and the record (the card has no params)
  const coded = sortie.code && sortie.code !== "sortie.chosen";
  const why = coded ? codeText(sortie.code, {}, sortie.reason) : ["failed", "aborted"].includes(sortie.state) && lang() === "en" ? sortie.reason : "";
  return h("li", { class: `sortie status-${sortie.state}`, dataset: { sortie: sortie.id, vehicle: sortie.drone_id ?? "" } },
    h("span", { class: `pill status status-${sortie.state}` }, statusLabel(sortie.state)), " ",
    sortie.drone_id != null ? h("b", {}, vehicleName(sortie.drone_id)) : h("span", { class: "muted" }, t("incidents.no_drone_yet")),
    sortie.playbook_id ? h("span", { class: "muted small" }, ` ${sortie.playbook_id}`) : null,
    times ? h("div", { class: "muted small" }, times) : null,
    why ? h("div", { class: "reason small" }, why) : null);
}

function waitingSortie(inc) {
  return (inc.sorties || []).find((s) => s.state === "waiting_pilot");
}

function incidentRow(inc) {
  const actions = [];
  const phase = casePhase(inc);
  const open = OPEN_STATES.has(inc.status);
  const sorties = inc.sorties || [];
  const flying = sorties.some((s) => FLYING_SORTIE_STATES.has(s.state));
  const held = waitingSortie(inc);
  const me = state.user?.username;
  let confirmHint = null;
  if (held) {
    // two-person rule: a pilot other than the one who dispatched confirms the launch
    if (state.user?.role === "pilot" && me !== held.dispatched_by) {
      actions.push(h("button", { class: "primary", dataset: { act: "confirm" }, onclick: () => act(inc, "confirm") }, t("incidents.pilot_confirm")));
    }
    confirmHint = h("div", { class: "reason" }, t("incidents.confirm_other_pilot", { who: held.dispatched_by || "–" }));
  }
  if (canDispatch() && open && flying) {
    actions.push(h("button", { dataset: { act: "redirect" }, onclick: () => redirect(inc) }, t("incidents.redirect")));
    actions.push(h("button", { dataset: { act: "recall" }, onclick: () => act(inc, "recall") }, t("incidents.recall")));
  }
  if (canDispatch() && open) {
    actions.push(h("button", { dataset: { act: "add-sortie" }, onclick: () => showAddSortie(inc) }, t("incidents.add_sortie")));
    actions.push(h("button", { dataset: { act: "close" }, onclick: () => showClose(inc) }, t("incidents.close_case")));
    if (state.user?.role === "commander") {
      actions.push(h("button", { dataset: { act: "share" }, onclick: () => toggleShare(inc) }, t("share.button")));
    }
    actions.push(h("button", { class: "link", dataset: { act: "cancel" }, onclick: () => act(inc, "cancel") }, t("incidents.cancel")));
  }
  const unassigned = inc.unassigned || [];
  return h("div", { class: `incident-row card status-${phase} case-${inc.status}`, dataset: { incident: inc.id, phase } },
    h("div", { class: "incident-head", onclick: () => inc.lat != null && flyTo(inc.lat, inc.lon) },
      h("b", {}, playbookLabel(inc.type)),
      h("span", { class: `pill status case-state case-${inc.status}` }, statusLabel(inc.status)),
      phase !== inc.status ? h("span", { class: `pill status status-${phase}` }, statusLabel(phase)) : null,
      inc.priority != null ? h("span", { class: "pill" }, `P${inc.priority}`) : null),
    h("div", { class: "muted small" },
      `#${inc.id}`,
      inc.note ? " · " : "", inc.note ? h("span", { class: "case-title" }, inc.note) : null),
    unassigned.length
      ? h("div", { class: "unassigned" },
        h("div", { class: "reason" }, t("incidents.unassigned")),
        h("ul", { class: "rejected" }, unassigned.map((r) => h("li", { dataset: { vehicle: r.drone_id ?? "", code: r.code } }, reasonText(r)))))
      : null,
    sorties.length ? h("ul", { class: "sorties" }, sorties.map(sortieRow)) : null,
    inc.outcome ? h("div", { class: "outcome" }, t("incidents.closed_as", { outcome: t(`outcome.${inc.outcome}`) }),
      inc.outcomeNote ? ` · ${inc.outcomeNote}` : "", inc.closedBy ? ` · ${t("incidents.closed_by", { who: inc.closedBy })}` : "") : null,
    confirmHint,
    h("div", { class: "case-form" }),
    open ? sharePanels.get(String(inc.id)) || null : null,
    actions.length ? h("div", { class: "row" }, actions) : null);
}

// ---- share links -------------------------------------------------------------------------

const SHARE_VALIDITY_S = [900, 3600, 4 * 3600, 12 * 3600, 86400];
// incident id -> its open share panel (kept across the list's redraws)
const sharePanels = new Map();

function validityLabel(seconds) {
  return seconds < 3600 ? t("share.minutes", { n: seconds / 60 }) : t("share.hours", { n: seconds / 3600 });
}

function fullUrl(path) {
  return new URL(path, window.location.origin).toString();
}

function shareTime(iso) {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? "" : d.toLocaleString(lang() === "zh" ? "zh-CN" : "en-GB",
    { month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" });
}

async function copyText(input) {
  try {
    await navigator.clipboard.writeText(input.value);
    toast(t("share.copied"));
  } catch {
    input.select();
    try {
      if (document.execCommand("copy")) {
        toast(t("share.copied"));
        return;
      }
    } catch {
      // falls through to the hint
    }
    toast(t("share.copy_failed"), "error");
  }
}

function toggleShare(inc) {
  const id = String(inc.id);
  if (sharePanels.has(id)) {
    sharePanels.delete(id);
  } else {
    sharePanels.set(id, h("div", { class: "share-panel card", dataset: { incident: id } }));
    drawShare(inc.id);
  }
  scheduleList();
}

async function drawShare(incidentId, created = null) {
  const panel = sharePanels.get(String(incidentId));
  if (!panel) return;
  const validity = h("select", { name: "expires_in_s", class: "share-validity" },
    SHARE_VALIDITY_S.map((s) => h("option", { value: s, selected: s === 3600 }, validityLabel(s))));
  const create = async (ev) => {
    ev.preventDefault();
    try {
      const share = await post(PATHS.incidentAction(incidentId, "share"), { expires_in_s: Number(validity.value) });
      drawShare(incidentId, share);
    } catch (err) {
      panel.querySelector(".error")?.remove();
      panel.append(h("p", { class: "error" }, errorText(err)));
    }
  };
  const parts = [h("h4", {}, t("share.title")),
    h("form", { class: "share-form row", onsubmit: create },
      h("label", {}, t("share.validity"), validity),
      h("button", { type: "submit", class: "primary", dataset: { act: "share-create" } }, t("share.create")))];
  if (created?.url) {
    const link = h("input", { class: "share-url", readonly: true, value: fullUrl(created.url) });
    link.value = fullUrl(created.url);
    parts.push(h("div", { class: "share-made row" }, link,
      h("button", { type: "button", class: "share-copy", onclick: () => copyText(link) }, t("share.copy"))),
      h("div", { class: "muted small" }, t("share.expires_at", { time: shareTime(created.expires_at) })));
  }
  let active = [];
  try {
    active = asList(await get(PATHS.incidentAction(incidentId, "shares")));
  } catch (err) {
    parts.push(h("p", { class: "error" }, errorText(err)));
  }
  parts.push(h("h4", {}, t("share.active")));
  parts.push(active.length
    ? h("ul", { class: "share-list" }, active.map((s) => h("li", { dataset: { share: s.id } },
      h("span", {}, `#${s.id} · ${t("share.expires_at", { time: shareTime(s.expires_at) })} · ${t("share.made_by", { who: s.created_by })}`), " ",
      h("button", { type: "button", class: "link share-revoke", onclick: () => revokeShare(incidentId, s.id) }, t("share.revoke")))))
    : h("p", { class: "muted small" }, t("share.none")));
  parts.push(h("button", { type: "button", class: "link", onclick: () => { sharePanels.delete(String(incidentId)); scheduleList(); } }, t("common.close")));
  panel.replaceChildren(...parts);
}

async function revokeShare(incidentId, shareId) {
  if (!(await confirmAction(t("share.confirm_revoke", { id: incidentId })))) return;
  try {
    await del(`${PATHS.incidentAction(incidentId, "share")}/${encodeURIComponent(shareId)}`);
    toast(t("share.revoked"));
  } catch (err) {
    showCoded(err);
  }
  drawShare(incidentId);
}

function formBox(inc) {
  return document.querySelector(`.incident-row[data-incident="${CSS.escape(String(inc.id))}"] .case-form`);
}

/** A commander sends another drone: a named one (checked by the server) or the best one. */
function showAddSortie(inc) {
  const box = formBox(inc);
  if (!box) return;
  const drone = h("select", { name: "drone_id" },
    h("option", { value: "" }, t("incidents.any_drone")),
    [...state.vehicles.values()].map((v) => h("option", { value: v.droneId ?? v.id }, v.name || `#${v.id}`)));
  const playbook = h("select", { name: "playbook_id" },
    h("option", { value: "" }, t("incidents.playbook_same")),
    state.playbooks.map((pb) => h("option", { value: pb.id }, `${pb.id} ${localName(pb, pb.id)}`)));
  const send = async (ev) => {
    ev.preventDefault();
    const body = {};
    if (drone.value) body.drone_id = Number(drone.value);
    if (playbook.value) body.playbook_id = playbook.value;
    try {
      upsertIncident(await post(PATHS.incidentAction(inc.id, "sorties"), body));
      box.replaceChildren();
    } catch (err) {
      box.querySelector(".error")?.remove();
      box.append(h("p", { class: "error" }, errorText(err)));
    }
  };
  box.replaceChildren(h("form", { class: "add-sortie", onsubmit: send },
    h("label", {}, t("plan.vehicle"), drone),
    h("label", {}, t("incidents.type"), playbook),
    h("div", { class: "row" },
      h("button", { type: "submit", class: "primary" }, t("incidents.send")),
      h("button", { type: "button", class: "link", onclick: () => box.replaceChildren() }, t("common.cancel")))));
}

const OUTCOMES = ["resolved", "false_alarm", "referred", "no_action", "flown", "not_flown", "other"];

/** A commander closes the case with an outcome and a note (drones still out fly home). */
function showClose(inc) {
  const box = formBox(inc);
  if (!box) return;
  const outcome = h("select", { name: "outcome", required: true },
    OUTCOMES.map((o) => h("option", { value: o }, t(`outcome.${o}`))));
  const note = h("input", { name: "note", maxlength: 2000 });
  const send = async (ev) => {
    ev.preventDefault();
    try {
      upsertIncident(await post(PATHS.incidentAction(inc.id, "close"), { outcome: outcome.value, note: note.value }));
      toast(t("incidents.closed_as", { outcome: t(`outcome.${outcome.value}`) }));
    } catch (err) {
      box.querySelector(".error")?.remove();
      box.append(h("p", { class: "error" }, errorText(err)));
    }
  };
  box.replaceChildren(h("form", { class: "close-case", onsubmit: send },
    h("label", {}, t("incidents.outcome"), outcome),
    h("label", {}, t("incidents.outcome_note"), note),
    h("div", { class: "row" },
      h("button", { type: "submit", class: "primary" }, t("incidents.close_case")),
      h("button", { type: "button", class: "link", onclick: () => box.replaceChildren() }, t("common.cancel")))));
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

/** Actions that cannot be taken back ask first: what, on which case, with which drones. */
const CAREFUL = new Set(["recall", "cancel"]);

function flyingDrones(inc) {
  return (inc.sorties || []).filter((s) => FLYING_SORTIE_STATES.has(s.state) && s.drone_id != null)
    .map((s) => vehicleName(s.drone_id)).join(lang() === "zh" ? "、" : ", ");
}

async function act(inc, action) {
  if (CAREFUL.has(action)) {
    const text = t(`ops.confirm.case_${action}`, { id: inc.id, type: playbookLabel(inc.type), drones: flyingDrones(inc) || "–" });
    if (!(await confirmAction(text))) return;
  }
  try {
    const result = await post(PATHS.incidentAction(inc.id, action), {});
    if (result && typeof result === "object" && (result.id != null || result.incident_id != null)) upsertIncident(result);
    else await refreshIncident(inc.id);
    if (action === "recall") toast(t("ops.result.recall_sent", { id: inc.id }));
    else if (action === "cancel") toast(t("ops.result.case_cancelled", { id: inc.id }));
  } catch (err) {
    showCoded(err);
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
      showCoded(err);
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
    const sortie = inc?.sorties?.[inc.sorties.length - 1];
    if (sortie?.drone_id != null) toast(t("incidents.dispatched", { drone: vehicleName(sortie.drone_id) }));
    else if (inc?.unassigned?.length) toast(t("incidents.reported_unassigned"), "error");
    else toast(t("incidents.reported"));
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
    const vid = chosen.drone_id ?? chosen.vehicle_id;
    parts.push(h("div", { class: "chosen", dataset: { vehicle: vid } },
      h("b", {}, chosen.name || vehicleName(vid)), " ",
      h("span", { class: "eta" }, t("incidents.eta", { eta: formatDuration(chosen.eta_s) }))));
    if (chosen.eta_s != null && chosen.energy_needed_pct != null) {
      parts.push(h("div", { class: "muted small why" }, t("incidents.why", {
        name: chosen.name || vehicleName(vid), distance: formatDistance(chosen.distance_m ?? 0), eta: formatDuration(chosen.eta_s),
        needs: `${formatNumber(chosen.energy_needed_pct, 0)}%`, battery: `${formatNumber(chosen.battery_pct, 0)}%`,
        left: `${formatNumber((chosen.battery_pct ?? 0) - chosen.energy_needed_pct, 0)}%` })));
    } else if (chosen.why && lang() === "en") parts.push(h("div", { class: "muted small" }, chosen.why));
    for (const other of candidates.slice(1)) {
      parts.push(h("div", { class: "muted small" }, `${other.name || vehicleName(other.drone_id)}: ${t("incidents.eta", { eta: formatDuration(other.eta_s) })}`));
    }
  } else {
    parts.push(h("p", { class: "error" }, t("incidents.no_drone_stays_open")));
  }
  if (rejected.length) {
    parts.push(h("div", { class: "muted small" }, t("incidents.rejected")),
      h("ul", { class: "rejected" }, rejected.map((r) => h("li", { dataset: { vehicle: r.drone_id } },
        `${r.name || vehicleName(r.drone_id)}: ${codeText(r.message_code, r.params || {}, r.reason || r.code || "")}`))));
  }
  if (data?.no_fly_zone) parts.push(h("p", { class: "error" }, `${t("incidents.in_no_fly")}: ${data.no_fly_zone}`));
  const pb = playbookById(type);
  if (pb?.pilot_confirmation) parts.push(h("p", { class: "reason" }, t("incidents.confirm_needed")));
  box.replaceChildren(...parts);
}

export function initIncidents() {
  document.getElementById("report-start").addEventListener("click", startReport);
  initSearch();
  on("incident", (inc) => {
    drawIncident(inc);
    scheduleList();
  });
  on("user", scheduleList);
  // a sortie changed or a case's reasons did: read the case again (sorties, times, reasons)
  const pending = new Set();
  const refreshSoon = (id) => {
    if (id == null || pending.has(String(id))) return;
    pending.add(String(id));
    setTimeout(() => {
      pending.delete(String(id));
      refreshIncident(id);
    }, 150);
  };
  on("ws:sortie", (data) => refreshSoon(data.incident_id ?? data.case_id));
  on("ws:case", (data) => refreshSoon(data.case_id));
  on("ws:incident", (data) => {
    if (data.unassigned === true || data.from_state === "") refreshSoon(data.id);
  });
  onLangChange(() => {
    for (const inc of state.incidents.values()) drawIncident(inc);
    scheduleList();
  });
  renderList();
}
