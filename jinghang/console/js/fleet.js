// The fleet on the map and in the side panel: one marker per drone (heading arrow, colour by
// link and battery), its trail, and a card with battery, mode, link, mission progress with
// distance and time to go, and the pilot panel (pilot.js) for pilots and commanders. A drone
// that landed away from its base says so, with "mark recovered" for pilots and commanders.
// Each card says permanently who has control of the drone (a pilot, the dispatcher, no one)
// and the last command it was sent with its answer; each drone's base is drawn on the map. The
// register (bases, what the dispatcher has each drone doing) is read every few seconds.

import { formatDistance, formatDuration, formatNumber, modeName, onLangChange, t } from "./i18n.js";
import { L, extendArea, isPicking, layers } from "./map.js";
import { PATHS, asList, get, post } from "./api.js";
import { canFly, on, state, upsertVehicle } from "./state.js";
import { controlHolder, controlText, fetchControl, lastCommandText, renderPilotPanel } from "./pilot.js";
import { toggleVideo } from "./video.js";
import { escapeHtml, showError } from "./ui.js";
import { energyLine, initEnergy } from "./energy.js";

const markers = new Map(); // id -> {marker, trail}
const LOW_BATTERY_PCT = 25;

function droneColor(v) {
  if (v.linkLost) return "#8a8a8a";
  if (v.battery_pct != null && v.battery_pct < LOW_BATTERY_PCT) return "#d0312d";
  if (v.armed) return "#0b63ce";
  return "#2f8f46";
}

function droneIcon(v) {
  const color = droneColor(v);
  const heading = Math.round(v.heading_deg || 0);
  const html = `
    <div class="drone-icon" data-drone="${v.id}" style="--c:${color}">
      <svg viewBox="-20 -20 40 40" width="36" height="36" style="transform:rotate(${heading}deg)">
        <circle r="15" fill="white" fill-opacity="0.85" stroke="${color}" stroke-width="2"/>
        <path d="M0,-13 L8,9 L0,4 L-8,9 Z" fill="${color}"/>
      </svg>
      <span class="drone-tag">${escapeHtml(v.name)}${v.linkLost ? " ⚠" : ""}</span>
    </div>`;
  return L.divIcon({ className: "drone-marker", html, iconSize: [36, 36], iconAnchor: [18, 18] });
}


function tooltipText(v) {
  const parts = [
    `<b>${escapeHtml(v.name)}</b>`,
    `${t("drone.mode")}: ${escapeHtml(modeName(v.mode))} · ${v.armed ? t("drone.armed") : t("drone.disarmed")}`,
    `${t("drone.battery")}: ${v.battery_pct == null ? "–" : Math.round(v.battery_pct) + "%"}`,
    `${t("drone.alt")}: ${v.altitude_m == null ? "–" : formatNumber(v.altitude_m, 0) + " m"} · ${t("drone.speed")}: ${v.speed_m_s == null ? "–" : formatNumber(v.speed_m_s, 1) + " m/s"}`,
    v.linkLost ? `<b class="bad">${t("drone.link_lost")}</b>` : t("drone.link_ok"),
  ];
  return parts.join("<br>");
}

function drawDrone(v) {
  if (v.lat == null) return;
  let entry = markers.get(v.id);
  if (!entry) {
    const marker = L.marker([v.lat, v.lon], { icon: droneIcon(v), zIndexOffset: 1000 });
    marker.bindTooltip("", { direction: "top", offset: [0, -16] });
    marker.on("click", () => !isPicking() && document.querySelector(`.drone-card[data-drone="${CSS.escape(v.id)}"]`)?.scrollIntoView({ block: "nearest" }));
    const trail = L.polyline([], { color: "#0b63ce", weight: 2, opacity: 0.6 });
    marker.addTo(layers.drones);
    trail.addTo(layers.trails);
    entry = { marker, trail, iconKey: "" };
    markers.set(v.id, entry);
  }
  entry.marker.setLatLng([v.lat, v.lon]);
  const iconKey = `${droneColor(v)}|${Math.round(v.heading_deg || 0)}|${v.name}|${v.linkLost}`;
  if (iconKey !== entry.iconKey) {
    entry.marker.setIcon(droneIcon(v));
    entry.iconKey = iconKey;
  }
  entry.marker.setTooltipContent(tooltipText(v));
  entry.trail.setLatLngs(v.trail);
}

function cardHtml(v) {
  const pct = v.battery_pct == null ? null : Math.round(v.battery_pct);
  const p = v.progress;
  const progressPct = p?.fraction == null ? null : Math.round(p.fraction * 100);
  const showProgress = p && (v.armed || (progressPct != null && progressPct < 100));
  return `
    <div class="drone-head">
      <b class="drone-name">${escapeHtml(v.name)}</b>
      <span class="pill mode" data-mode="${escapeHtml(v.mode || "")}" title="${escapeHtml(modeName(v.mode))}">${escapeHtml(modeName(v.mode))}</span>
      <span class="pill link ${v.linkLost ? "bad" : "ok"}">${v.linkLost ? t("drone.link_lost") : t("drone.link_ok")}</span>
    </div>
    <div class="drone-stats">
      <span class="battery ${pct != null && pct < LOW_BATTERY_PCT ? "bad" : ""}" title="${t("drone.battery")}">
        <span class="battery-pct">${pct == null ? "–" : pct + "%"}</span>
        <span class="bar"><span style="width:${pct ?? 0}%"></span></span>
      </span>
      <span>${t("drone.alt")} ${v.altitude_m == null ? "–" : v.altitude_m.toFixed(0) + " m"}</span>
      <span>${v.speed_m_s == null ? "–" : v.speed_m_s.toFixed(1) + " m/s"}</span>
      <span>${Math.round(v.heading_deg || 0)}°</span>
      <button class="link video-toggle" data-drone="${v.id}">${t("video.open")}</button>
    </div>
    ${energyLine(v)}
    ${v.status === "landed_away" ? `<div class="reason small landed-away">${t("drone.landed_away")}
      ${canFly() ? `<button class="link mark-recovered" data-drone="${v.id}">${t("drone.mark_recovered")}</button>` : ""}</div>` : ""}
    ${showProgress && p.incidentId != null ? `<div class="small muted on-incident">${t("drone.on_incident", { id: escapeHtml(p.incidentId) })}</div>` : ""}
    ${showProgress ? `
    <div class="progress" title="${t("drone.progress")}">
      <div class="progress-bar" role="progressbar" aria-valuemin="0" aria-valuemax="100"
           aria-valuenow="${progressPct ?? 0}" data-drone="${v.id}">
        <span style="width:${progressPct ?? 0}%"></span>
      </div>
      <span class="progress-text">${progressPct == null ? "" : progressPct + "%"} ${p.current != null && p.total ? `(${p.current}/${p.total})` : ""}</span>
      ${p.time_to_go_s == null ? "" : `<div class="to-go" data-target="${p.toGoTarget || ""}">${t(p.toGoTarget === "scene" ? "drone.to_scene" : p.toGoTarget === "home" ? "drone.to_home" : "drone.to_go", { distance: formatDistance(p.distance_to_go_m), time: formatDuration(p.time_to_go_s) })}</div>`}
    </div>` : ""}
    <div class="drone-control small" data-holder="${escapeHtml(controlHolder(v))}">${escapeHtml(controlText(v))}</div>
    ${lastCommandText(v) ? `<div class="drone-last-command small muted">${escapeHtml(lastCommandText(v))}</div>` : ""}
    <div class="pilot-slot"></div>`;
}

function renderCards() {
  const list = document.getElementById("fleet-list");
  if (!list) return;
  if (!state.vehicles.size) {
    list.innerHTML = `<p class="muted fleet-empty">${t("fleet.empty")}</p>`;
    return;
  }
  const seen = new Set();
  for (const v of [...state.vehicles.values()].sort((a, b) => String(a.id).localeCompare(String(b.id), undefined, { numeric: true }))) {
    seen.add(v.id);
    let card = list.querySelector(`.drone-card[data-drone="${CSS.escape(v.id)}"]`);
    if (!card) {
      card = document.createElement("div");
      card.className = "drone-card card";
      card.dataset.drone = v.id;
      card.innerHTML = `<div class="drone-body"></div><div class="pilot-host"></div>`;
      list.appendChild(card);
      card.querySelector(".drone-body").addEventListener("click", (ev) => {
        if (ev.target.closest(".video-toggle")) {
          toggleVideo(v.id);
          return;
        }
        if (ev.target.closest(".mark-recovered")) {
          post(PATHS.vehicleCommand(v.id, "recovered"), {}).then((view) => upsertVehicle(view, v.id)).catch(showError);
          return;
        }
        const now = state.vehicles.get(v.id);
        if (now?.lat != null) markers.get(v.id)?.marker.openTooltip();
      });
    }
    card.classList.toggle("link-lost", v.linkLost);
    card.classList.toggle("flying", Boolean(v.armed));
    card.querySelector(".drone-body").innerHTML = cardHtml(v);
    renderPilotPanel(card.querySelector(".pilot-host"), v);
  }
  for (const card of list.querySelectorAll(".drone-card")) {
    if (!seen.has(card.dataset.drone)) card.remove();
  }
  list.querySelector(".fleet-empty")?.remove();
}

let scheduled = false;
function scheduleCards() {
  if (scheduled) return;
  scheduled = true;
  requestAnimationFrame(() => {
    scheduled = false;
    renderCards();
  });
}

// ---- the register: bases on the map, what each drone is doing ---------------------------

const bases = new Map(); // id -> marker

function baseIcon(name) {
  return L.divIcon({ className: "base-marker", html: `<div class="base-icon" title="${escapeHtml(t("ops.legend.base"))}: ${escapeHtml(name)}">H</div>`, iconSize: [20, 20], iconAnchor: [10, 10] });
}

function drawBase(row) {
  const id = String(row.drone_id);
  const lat = row.base_latitude_deg;
  const lon = row.base_longitude_deg;
  if (lat == null || lon == null) return;
  let m = bases.get(id);
  if (!m) {
    m = L.marker([lat, lon], { icon: baseIcon(row.name), zIndexOffset: -100, keyboard: false }).addTo(layers.bases);
    bases.set(id, m);
    extendArea([[lat, lon], [lat, lon]]);
  } else {
    m.setLatLng([lat, lon]);
  }
}

let registerTimer = 0;
let registerBusy = false;
async function refreshRegister() {
  if (registerBusy || !state.user) return;
  registerBusy = true;
  clearTimeout(registerTimer);
  try {
    for (const row of asList(await get(PATHS.vehicles), "vehicles")) {
      drawBase(row);
      const v = state.vehicles.get(String(row.drone_id));
      if (v) v.busyWith = row.busy_with || null;
    }
    if (canFly()) await Promise.all([...state.vehicles.keys()].map((id) => fetchControl(id)));
    else scheduleCards();
  } catch {
    // the next round tries again
  } finally {
    registerBusy = false;
    if (state.user) registerTimer = setTimeout(refreshRegister, 4000);
  }
}

export function initFleet() {
  initEnergy(scheduleCards);
  on("user", () => refreshRegister());
  on("vehicle", (v) => {
    drawDrone(v);
    scheduleCards();
  });
  on("user", scheduleCards);
  // the register's status (landed_away, available, ...) as the dispatcher writes it
  on("ws:vehicle.status", (data) => {
    if (data.status && data.drone_id != null) upsertVehicle({ status: data.status }, data.drone_id);
  });
  onLangChange(() => {
    for (const v of state.vehicles.values()) drawDrone(v);
    scheduleCards();
  });
  renderCards();
}
