// The console's entry point: login, then load the catalogs and the fleet, open the live
// stream, and switch between the views (command map, video wall, planning, audit, records).

import { ApiError, PATHS, asList, get, getToken, login, openLive, setToken, whenUnauthorized } from "./api.js";
import { applyI18n, onLangChange, t, tCode, toggleLang } from "./i18n.js";
import { createMap, drawNoFly, drawPatrols, getMap, showAboveVideo } from "./map.js";
import { emit, on, setProgress, state, upsertIncident, upsertVehicle } from "./state.js";
import { initFleet } from "./fleet.js";
import { initIncidents, loadIncidents } from "./incidents.js";
import { handleAlertEvent, initAlerts, loadAlerts, startHealth } from "./alerts.js";
import { closeAllVideo, initVideo } from "./video.js";
import { initPlanner, showPlanner } from "./planner.js";
import { initAudit, showAudit } from "./audit.js";
import { initRecords, showRecords } from "./records.js";
import { initProgress } from "./progress.js";
import { errorText, showError, toast } from "./ui.js";

let live = null;
let started = false;

function showLogin(message = "") {
  live?.close();
  live = null;
  closeAllVideo();
  document.getElementById("login").hidden = false;
  document.getElementById("login-error").textContent = message;
  document.getElementById("login-username").focus();
}

function setView(view) {
  document.body.dataset.view = view;
  for (const b of document.querySelectorAll("#tabs button")) b.classList.toggle("active", b.dataset.view === view);
  if (view === "plan") showPlanner();
  if (view === "audit") showAudit();
  if (view === "records") showRecords();
  if (location.hash !== `#${view}`) history.replaceState(null, "", `#${view}`);
  setTimeout(() => getMap()?.invalidateSize(), 50);
}

async function optional(path, what = path) {
  try {
    return await get(path);
  } catch (err) {
    if (err instanceof ApiError && err.missing) {
      console.warn(t("common.missing", { what }));
      return null;
    }
    throw err;
  }
}

function handleMessage(message) {
  if (message.type === "snapshot") {
    for (const [id, live] of Object.entries(message.vehicles || {})) upsertVehicle(live, id);
    return;
  }
  if (message.type !== "event") return;
  const { topic, data } = message;
  if (!data || typeof data !== "object") return;
  if (topic === "telemetry") {
    upsertVehicle(data.state || data, data.drone_id ?? data.vehicle_id);
  } else if (topic === "vehicle.status") {
    const id = data.drone_id ?? data.vehicle_id;
    if (data.event === "link_lost") upsertVehicle({ link_lost: true }, id);
    else if (data.event === "link_recovered") upsertVehicle({ link_lost: false }, id);
    else if (data.event === "statustext" && data.severity != null && data.severity <= 2) {
      const name = state.vehicles.get(String(id))?.name || `#${id}`;
      toast(`${name}: ${data.text}`, "error");
    }
  } else if (topic.startsWith("mission.progress")) {
    setProgress(data);
  } else if (topic.startsWith("incident")) {
    upsertIncident(data.incident || data);
  } else if (topic.startsWith("alert")) {
    handleAlertEvent(data);
  }
  emit(`ws:${topic}`, data);
}

async function loadVehicles() {
  const data = await optional(PATHS.vehicles);
  for (const raw of asList(data, "vehicles")) upsertVehicle(raw);
  // flights already under way when the page opens: their progress from the active missions
  const missions = asList(await optional(`${PATHS.missions}?active_only=true`), "missions");
  for (const m of missions) {
    if (m.drone_id == null) continue;
    setProgress({
      drone_id: m.drone_id, mission_id: m.id, incident_id: m.incident_id,
      current_seq: m.current_seq, item_count: m.item_count, phase: String(m.state || "").toUpperCase(),
    });
  }
}

async function afterLogin() {
  document.getElementById("login").hidden = true;
  const me = await get(PATHS.me);
  state.user = { username: me.username, role: String(me.role) };
  document.getElementById("user-badge").textContent = `${me.username} · ${t(`role.${state.user.role}`)}`;
  emit("user", state.user);
  const [playbooks, templates] = await Promise.all([optional(PATHS.playbooks), optional(PATHS.templates)]);
  state.playbooks = asList(playbooks, "playbooks");
  state.templates = asList(templates, "templates");
  emit("catalogs");
  await Promise.all([
    loadVehicles(),
    loadIncidents(),
    optional(PATHS.noFlyZones).then(drawNoFly),
    optional(PATHS.patrols).then((p) => drawPatrols(asList(p, "patrols"))),
    loadAlerts(),
  ]);
  startHealth();
  live?.close();
  live = openLive({
    onMessage: handleMessage,
    onState: (s) => {
      const el = document.getElementById("link-state");
      el.dataset.state = s;
      el.textContent = t(s === "online" ? "link.online" : "link.offline");
      if (s === "online") {
        loadIncidents();
        loadAlerts();
      }
    },
  });
}

/** The map library's own buttons (zoom) titled in the operator's language. */
function labelMapControls() {
  for (const [selector, key] of [[".leaflet-control-zoom-in", "map.zoom_in"], [".leaflet-control-zoom-out", "map.zoom_out"]]) {
    for (const el of document.querySelectorAll(selector)) {
      el.title = t(key);
      el.setAttribute("aria-label", t(key));
    }
  }
}

async function boot() {
  applyI18n();
  for (const b of document.querySelectorAll(".lang-toggle")) b.addEventListener("click", toggleLang);
  onLangChange(() => {
    const el = document.getElementById("link-state");
    el.textContent = t(el.dataset.state === "online" ? "link.online" : "link.offline");
    if (state.user) document.getElementById("user-badge").textContent = `${state.user.username} · ${t(`role.${state.user.role}`)}`;
  });
  document.getElementById("link-state").textContent = t("link.offline");
  const settings = (await optional(PATHS.settings).catch(() => null)) || {};
  state.settings = settings;
  createMap(settings);
  labelMapControls();
  onLangChange(labelMapControls);
  initProgress();
  initFleet();
  initIncidents();
  initAlerts();
  initVideo();
  initPlanner();
  initAudit();
  initRecords();
  for (const b of document.querySelectorAll("#tabs button")) b.addEventListener("click", () => setView(b.dataset.view));
  setView((location.hash || "#command").slice(1) || "command");
  whenUnauthorized(() => {
    setToken("");
    showLogin(t("login.failed", { reason: tCode("http.401") }));
  });
  document.getElementById("logout").addEventListener("click", () => {
    setToken("");
    location.hash = "";
    location.reload();
  });
  document.getElementById("login-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const form = ev.target;
    const button = document.getElementById("login-submit");
    button.disabled = true;
    document.getElementById("login-error").textContent = "";
    try {
      await login(form.username.value, form.password.value);
      await afterLogin();
    } catch (err) {
      document.getElementById("login-error").textContent = t("login.failed", { reason: errorText(err) });
    } finally {
      button.disabled = false;
    }
  });
  on("user", () => document.body.dataset.role = state.user?.role || "");
  on("focus-drone", (id) => {
    const v = state.vehicles.get(String(id));
    if (v?.lat != null && document.body.dataset.view === "command") setTimeout(() => showAboveVideo(v.lat, v.lon), 50);
  });
  started = true;
  if (getToken()) {
    try {
      await afterLogin();
      return;
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 401)) showError(err);
    }
  }
  showLogin();
}

boot().catch((err) => {
  console.error(err);
  if (!started) document.body.textContent = `${t("app.start_failed")} (${err.message})`;
});
