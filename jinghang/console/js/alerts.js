// Alerts that cannot be missed: link lost, low battery, geofence, failure. Each shows as a
// flashing red bar at the top of every view, beeps, and stays until someone acknowledges it.
// Sources: the server's "alert" events, and the live vehicle state (link and battery) checked
// here so that an alert appears even when the server's alert event is lost.

import { t } from "./i18n.js";
import { on, state } from "./state.js";
import { h, toast } from "./ui.js";

const LOW_BATTERY_PCT = 25;
const active = new Map(); // key -> element
const acknowledged = new Set();

function droneName(id) {
  return state.vehicles.get(String(id))?.name || (id != null ? `#${id}` : "");
}

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
    // no audio device: the red bar is still there
  }
}

/** Raise an alert once per key until it is acknowledged (and the condition clears). */
export function raiseAlert(key, kind, text) {
  if (active.has(key) || acknowledged.has(key)) return;
  const bar = h("div", { class: `alert alert-${kind}`, role: "alert", dataset: { key, kind } },
    h("span", { class: "alert-icon" }, "⚠"),
    h("span", { class: "alert-text" }, text),
    h("button", { class: "alert-ack", onclick: () => ackAlert(key) }, t("alert.ack")));
  document.getElementById("alerts").prepend(bar);
  document.body.classList.add("has-alerts");
  active.set(key, bar);
  beep();
}

export function ackAlert(key) {
  active.get(key)?.remove();
  active.delete(key);
  acknowledged.add(key);
  if (!active.size) document.body.classList.remove("has-alerts");
}

/** Forget an acknowledged condition once it has cleared, so that it can alert again. */
function clearCondition(key) {
  acknowledged.delete(key);
}

export function handleAlertEvent(data) {
  const vid = data.vehicle_id ?? data.system_id ?? data.drone_id;
  const level = String(data.level || "warning").toLowerCase();
  if (level === "info" || level === "debug") {
    toast(data.message || JSON.stringify(data));
    return;
  }
  const kindRaw = String(data.kind || data.type || data.code || data.alert || data.message || "failure").toLowerCase();
  let kind = "failure";
  if (kindRaw.includes("link")) kind = "link_lost";
  else if (kindRaw.includes("batt")) kind = "low_battery";
  else if (kindRaw.includes("fence")) kind = "fence";
  const reason = data.message || data.detail || data.reason || data.text || kindRaw;
  const vars = { drone: droneName(vid), reason, pct: Math.round(data.battery_pct ?? state.vehicles.get(String(vid))?.battery_pct ?? 0) };
  let text;
  if (vid == null) text = reason; // about the whole fleet or an incident, not one drone
  else if (kind === "fence") text = t("alert.generic", vars);
  else text = t(`alert.${kind}`, vars);
  raiseAlert(`${kind}:${vid}:${data.id ?? data.incident_id ?? ""}:${kind === "failure" ? reason : ""}`, kind, text);
}

export function initAlerts() {
  on("vehicle", (v) => {
    const linkKey = `link_lost:${v.id}:`;
    if (v.linkLost) raiseAlert(linkKey, "link_lost", t("alert.link_lost", { drone: v.name }));
    else clearCondition(linkKey);
    const battKey = `low_battery:${v.id}:`;
    if (v.battery_pct != null && v.battery_pct < LOW_BATTERY_PCT && !v.linkLost) {
      raiseAlert(battKey, "low_battery", t("alert.low_battery", { drone: v.name, pct: Math.round(v.battery_pct) }));
    } else if (v.battery_pct != null && v.battery_pct >= LOW_BATTERY_PCT + 5) {
      clearCondition(battKey);
    }
  });
  on("incident", (inc) => {
    if (inc.status === "failed") {
      raiseAlert(`failure:${inc.vehicleId}:${inc.id}:`, "failure",
        t("alert.failure", { drone: droneName(inc.vehicleId), reason: inc.reason || `#${inc.id}` }));
    }
  });
}
