// Alerts that cannot be missed: the server's alerts (stored, one per cause, counted). Each open
// alert shows as a flashing bar at the top of every view, translated from its code and
// parameters, with how often it happened; acknowledging it acknowledges it for everyone (the
// server announces it on the "alert" topic and every console removes the bar). At sign-in the
// open alerts are loaded from GET /api/alerts. Below the bars: the server's parts that are
// down, from /api/health.

import { PATHS, get, post } from "./api.js";
import { lang, onLangChange, t, tCode } from "./i18n.js";
import { state } from "./state.js";
import { h, showError, toast } from "./ui.js";

const HEALTH_POLL_MS = 10000;
const bars = new Map(); // alert id -> { alert, element }
let healthTimer = 0;

function beep() {
  try {
    const ctx = new AudioContext();
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.frequency.value = 880;
    gain.gain.value = 0.08;
    osc.connect(gain).connect(ctx.destination);
    osc.start();
    osc.stop(ctx.currentTime + 0.35);
    osc.onended = () => ctx.close();
  } catch {
    // no audio device: the bar is still there
  }
}

/** The alert in the operator's language: its code's text with its parameters filled in. */
export function alertText(alert) {
  const params = { ...(alert.params || {}) };
  if (alert.drone_id != null) {
    const name = state.vehicles.get(String(alert.drone_id))?.name;
    if (name) params.drone = name;
  }
  if (params.component) params.component = componentName(params.component);
  // a part's error is the server's own English text (no code): in zh, pointed to the log
  if (params.error && lang() !== "en") params.error = t("alert.error_in_log");
  // codes10: the reason said from its code where the event carried one (not its English)
  const sep = lang() === "zh" ? "；" : "; ";
  if (params.reason_code) params.reason = tCode(params.reason_code, params.reason_params || params);
  else if (Array.isArray(params.reasons) && params.reasons.length && params.reasons.every((r) => r?.code)) {
    params.reason = params.reasons.map((r) => (r.drone ? `${r.drone}${lang() === "zh" ? "：" : ": "}` : "") + tCode(r.code, r.params || {})).join(sep);
  }
  const key = `alert.code.${alert.code}`;
  const text = t(key, params);
  if (text !== key) return text;
  return lang() === "en" ? alert.message || alert.code : tCode(alert.code, params);
}

function render(alert) {
  const count = alert.count > 1 ? h("span", { class: "alert-count" }, t("alert.count", { n: alert.count })) : null;
  const seen = new Date(alert.last_seen_at).toLocaleTimeString();
  return h("div", {
    class: `alert alert-${alert.severity}`, role: "alert",
    dataset: { alertId: alert.id, code: alert.code, severity: alert.severity },
  },
  h("span", { class: "alert-icon" }, "⚠"),
  h("span", { class: "alert-text" }, alertText(alert)),
  count,
  h("span", { class: "alert-time small" }, seen),
  h("button", { class: "alert-ack", onclick: () => acknowledge(alert.id) }, t("alert.ack")));
}

function show(alert) {
  const known = bars.get(alert.id);
  const element = render(alert);
  if (known) known.element.replaceWith(element);
  else document.getElementById("alerts").prepend(element);
  bars.set(alert.id, { alert, element });
  document.body.classList.add("has-alerts");
}

function hide(id) {
  bars.get(id)?.element.remove();
  bars.delete(id);
  if (!bars.size) document.body.classList.remove("has-alerts");
}

async function acknowledge(id) {
  try {
    const alert = await post(`${PATHS.alerts}/${encodeURIComponent(id)}/acknowledge`);
    hide(alert.id);
  } catch (err) {
    showError(err);
  }
}

/** An "alert" event from the live stream: a raise (new or counted) or an acknowledgement. */
export function handleAlertEvent(data) {
  if (data?.id == null || !data.code) {
    // a note from the dispatcher (queued, relaunching...): a passing line, not an alert bar
    // (console10) by its code where it has one; in zh an uncoded English note is not shown raw
    const text = data?.code ? tCode(data.code, data.params || data) : lang() === "en" ? data?.message : data?.message && t("alert.uncoded_note");
    if (text) toast(text, data.level === "info" ? "info" : "error");
    return;
  }
  if (data.acknowledged_by) {
    hide(data.id);
    return;
  }
  show(data);
  if (data.new) beep();
}

/** The open alerts as the server holds them (at sign-in and after the stream reconnects). */
export async function loadAlerts() {
  let open = [];
  try {
    open = await get(PATHS.alerts, { state: "open" });
  } catch (err) {
    if (!err.missing) showError(err);
    return;
  }
  const ids = new Set(open.map((a) => a.id));
  for (const id of [...bars.keys()]) if (!ids.has(id)) hide(id);
  for (const alert of [...open].reverse()) show(alert);
}

function componentName(name) {
  const [kind, ...rest] = String(name).split(" ");
  const label = t(`health.part.${kind}`);
  return label === `health.part.${kind}` ? name : `${label} ${rest.join(" ")}`.trim();
}

/** A role's last reported drones, for the health tooltip ("" for other parts). */
function roleDrones(c) {
  return Array.isArray(c.drones) && c.drones.length ? ` — ${t("health.role.drones", { drones: c.drones.join(", ") })}` : "";
}

/** The server's parts that are down (a stopped recorder, a link, the dispatcher). */
async function checkHealth() {
  const box = document.getElementById("health-state");
  if (!box) return;
  let body;
  try {
    const response = await fetch(PATHS.health);
    body = await response.json();
  } catch {
    return; // the live-link pill already says the server is unreachable
  }
  // a role (link worker, API node) whose heartbeats stopped is "silent": down like a stopped part
  const down = (body.components || []).filter((c) => c.status === "stopped" || c.status === "restarting" || c.status === "silent");
  box.hidden = !down.length;
  box.dataset.state = body.ok ? "degraded" : "down";
  box.textContent = down.length ? t("health.down", { parts: down.map((c) => componentName(c.name)).join(", ") }) : "";
  // the part's last error is the server's own English text (no code yet): shown in en only
  box.title = down.map((c) => `${componentName(c.name)}: ${t(`health.status.${c.status}`)}${roleDrones(c)}${c.last_error && lang() === "en" ? ` (${c.last_error})` : ""}`).join("\n");
}

export function startHealth() {
  clearInterval(healthTimer);
  checkHealth();
  healthTimer = setInterval(checkHealth, HEALTH_POLL_MS);
}

export function initAlerts() {
  onLangChange(() => {
    for (const { alert } of bars.values()) show(alert);
    checkHealth();
  });
}
