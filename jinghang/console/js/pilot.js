// The pilot panel of one drone: take over (pause into loiter), go to a clicked map point,
// return, land, release back to the mission. Each asks for a confirmation; the panel exists
// only for pilots and commanders (the API refuses the others anyway).
// Below them, the payload and flight controls (loudspeaker, spotlight, drop, gimbal, zoom,
// camera source: only those the register says the drone carries; altitude, speed, orbit),
// who has control of the drone, and the last command's result (accepted, refused and why,
// no answer).
// Who has control is also kept per drone (``controlText``) for the card's permanent line, read
// from the server (GET control) every few seconds and after each command; a command's result
// says what is known: "sent" for a position target (the drone sends no acknowledgement) or a
// command whose answer is not recorded yet, "done" only for one the vehicle accepted.

import { PATHS, get, post } from "./api.js";
import { commandName, resultName, t } from "./i18n.js";
import { setPick } from "./map.js";
import { canFly, emit, state } from "./state.js";
import { confirmAction, errorText, h, toast } from "./ui.js";

/** action name in the console -> the API's path segment under /vehicles/{id}/ */
export const PILOT_ACTIONS = [
  { key: "take_over", label: "pilot.take_over", path: "pause" },
  { key: "goto", label: "pilot.goto", path: "goto" },
  { key: "rtl", label: "pilot.rtl", path: "rtl" },
  { key: "land", label: "pilot.land", path: "land" },
  { key: "release", label: "pilot.release", path: "release" },
];

// ---- who has control, per drone -------------------------------------------------------

/** id -> the server's Control answer ({dispatched, controlled_by, last_command}) */
const controls = new Map();

/** Read who has the drone now (pilots and commanders may ask); re-renders its card. */
export async function fetchControl(id) {
  if (!canFly()) return null;
  try {
    const c = await get(PATHS.vehicleCommand(id, "control"));
    controls.set(String(id), c);
    const v = state.vehicles.get(String(id));
    if (v) emit("vehicle", v);
    return c;
  } catch {
    return null;
  }
}

/** The card's line: who has control of the drone (a pilot, the dispatcher, or no one). */
export function controlText(vehicle) {
  const c = controls.get(String(vehicle.id));
  if (!c) {
    if (vehicle.busyWith === undefined) return t("pilot.control_unknown"); // the register not read yet
    return vehicle.busyWith ? t("pilot.controlled_by", { who: t("pilot.dispatcher") }) : t("pilot.controlled_free");
  }
  if (c.controlled_by) return t("ops.control.pilot", { who: c.controlled_by });
  if (c.dispatched) return t("pilot.controlled_by", { who: t("pilot.dispatcher") });
  return t("pilot.controlled_free");
}

/** The card's second line: the last command the drone was sent, by whom, and its answer. */
export function lastCommandText(vehicle) {
  const last = controls.get(String(vehicle.id))?.last_command;
  if (!last) return "";
  const actor = t(`ops.actor.${last.actor}`);
  return t("ops.control.last", { command: commandName(last.command), result: resultName(last.result), who: actor.startsWith("ops.") ? last.actor : actor });
}

export function controlHolder(vehicle) {
  const c = controls.get(String(vehicle.id));
  return c ? c.controlled_by || (c.dispatched ? "dispatcher" : "") : "";
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** What the vehicle answered to the command just sent by this user: "done" when the record
 * says ACCEPTED, "sent" when it says SENT or has no answer yet, "refused" otherwise. */
async function answerOf(id, sentAtMs) {
  const me = state.user?.username;
  for (let attempt = 0; attempt < 4; attempt += 1) {
    const c = await fetchControl(id);
    const last = c?.last_command;
    if (last && last.actor === me && Date.parse(last.at) >= sentAtMs - 2000) {
      const result = String(last.result || "").toUpperCase();
      if (result === "ACCEPTED") return { kind: "done" };
      if (result === "SENT") return { kind: "sent" };
      if (result && result !== "PENDING") return { kind: "refused", result };
    }
    await sleep(250);
  }
  return { kind: "sent" };
}

function showResult(vehicle, kind, text, code = "") {
  const out = document.querySelector(`.pilot-panel[data-drone="${CSS.escape(String(vehicle.id))}"] .pilot-result`);
  if (out) {
    out.textContent = text;
    out.dataset.result = kind;
    out.dataset.code = code;
  }
  toast(text, kind === "refused" ? "error" : "info");
}

async function send(vehicle, action, body = {}) {
  const name = vehicle.name;
  const what = t(action.label);
  const sentAt = Date.now();
  try {
    await post(PATHS.vehicleCommand(vehicle.id, action.path), body);
  } catch (err) {
    showResult(vehicle, "refused", t("ops.result.refused", { drone: name, action: what, reason: errorText(err) }), err?.code || "");
    fetchControl(vehicle.id);
    return;
  }
  // a position target has no acknowledgement: it is only ever known to be sent
  const answer = action.key === "goto" ? { kind: "sent" } : await answerOf(vehicle.id, sentAt);
  if (action.key === "goto") fetchControl(vehicle.id);
  if (answer.kind === "done") showResult(vehicle, "done", t("ops.result.done", { drone: name, action: what }), "command.accepted");
  else if (answer.kind === "sent") showResult(vehicle, "sent", t("ops.result.sent", { drone: name, action: what }), "command.sent");
  else showResult(vehicle, "refused", t("ops.result.refused", { drone: name, action: what, reason: resultName(answer.result) }), "command.refused");
}

async function run(vehicle, action) {
  if (action.key === "goto") {
    setPick(async (latlng) => {
      const text = `${t("pilot.confirm", { drone: vehicle.name, action: t(action.label) })} (${latlng.lat.toFixed(5)}, ${latlng.lng.toFixed(5)})`;
      if (!(await confirmAction(text))) return;
      const altitude = state.vehicles.get(vehicle.id)?.altitude_m;
      await send(vehicle, action, {
        latitude_deg: latlng.lat,
        longitude_deg: latlng.lng,
        relative_altitude_m: altitude && altitude > 5 ? Math.round(altitude) : 40,
      });
    }, t("pilot.pick_point", { drone: vehicle.name }));
    return;
  }
  const ask = t(`ops.confirm.${action.key}`, { drone: vehicle.name });
  if (!(await confirmAction(ask.startsWith("ops.") ? t("pilot.confirm", { drone: vehicle.name, action: t(action.label) }) : ask))) return;
  await send(vehicle, action);
}

/** Build (once) or refresh the panel inside host for vehicle. */
export function renderPilotPanel(host, vehicle) {
  if (!canFly()) {
    host.replaceChildren();
    return;
  }
  let panel = host.querySelector(".pilot-panel");
  const payloadKey = (vehicle.payloads || []).join(",");
  if (!panel || panel.dataset.lang !== document.documentElement.lang || panel.dataset.payloads !== payloadKey) {
    panel = h("details", { class: "pilot-panel", dataset: { drone: vehicle.id, lang: document.documentElement.lang, payloads: payloadKey },
      ontoggle: () => { if (panel.open) refreshControl(panel, vehicle.id); } },
      h("summary", {}, t("drone.pilot")),
      h("div", { class: "pilot-buttons" },
        PILOT_ACTIONS.map((action) => h("button", {
          class: action.key === "land" || action.key === "take_over" ? "warn" : "",
          dataset: { action: action.key },
          onclick: (ev) => {
            ev.stopPropagation();
            const v = state.vehicles.get(vehicle.id) || vehicle;
            run(v, action);
          },
        }, t(action.label)))),
      payloadControls(vehicle),
      h("div", { class: "pilot-control" }, t("pilot.control_unknown")),
      h("div", { class: "pilot-result" }, ""));
    const wasOpen = host.querySelector(".pilot-panel")?.open;
    if (wasOpen) panel.open = true;
    host.replaceChildren(panel);
  }
  panel.classList.toggle("disabled", vehicle.linkLost);
}


// ------------------------------------------------------------------ payload and flight controls

/** register payload name(s) -> the controls it brings */
export function carried(vehicle, ...names) {
  const payloads = vehicle.payloads || [];
  return names.some((n) => payloads.includes(n));
}

function resultText(err) {
  const problem = err?.problem || {};
  switch (problem.code) {
    case "payload.missing": return t("pilot.result.payload_missing", { payload: t(`payload.${problem.payload}`) });
    case "command.refused": return t("pilot.result.refused", { reason: problem.result_name ? t(`mav_result.${problem.result_name}`) : "" });
    case "command.no_answer": return t("pilot.result.no_answer");
    case "pilot.not_in_control": return t("pilot.result.not_in_control", { who: problem.controlled_by || t("pilot.dispatcher") });
    default: return t("pilot.result.refused", { reason: err?.reason || err?.message || String(err) });
  }
}

async function refreshControl(panel, id) {
  const line = panel.querySelector(".pilot-control");
  try {
    const c = await get(PATHS.vehicleCommand(id, "control"));
    controls.set(String(id), c);
    const who = c.controlled_by ? t("pilot.controlled_by", { who: c.controlled_by })
      : c.dispatched ? t("pilot.controlled_by", { who: t("pilot.dispatcher") }) : t("pilot.controlled_free");
    line.textContent = who;
    line.dataset.controlledBy = c.controlled_by || "";
    const v = state.vehicles.get(String(id));
    if (v) emit("vehicle", v);
  } catch (err) {
    line.textContent = resultText(err);
  }
}

/** Send one control and show its result on the card. */
async function control(vehicle, path, label, body) {
  const panel = document.querySelector(`.pilot-panel[data-drone="${CSS.escape(String(vehicle.id))}"]`);
  const out = panel?.querySelector(".pilot-result");
  if (out) { out.textContent = t("pilot.result.sending", { action: t(label) }); out.dataset.result = "sending"; }
  try {
    await post(PATHS.vehicleCommand(vehicle.id, path), body);
    if (out) { out.textContent = t("pilot.result.accepted", { action: t(label) }); out.dataset.result = "accepted"; }
  } catch (err) {
    const text = `${t(label)}: ${resultText(err)}`;
    if (out) { out.textContent = text; out.dataset.result = err?.problem?.code === "command.no_answer" ? "no_answer" : "refused"; }
    else toast(text, "error");
  }
  if (panel) refreshControl(panel, vehicle.id);
}

function numberInput(cls, value, min, max, step = 1) {
  return h("input", { type: "number", class: cls, value: String(value), min: String(min), max: String(max), step: String(step) });
}

function row(cls, label, ...children) {
  return h("div", { class: `payload-row ${cls}` }, h("span", { class: "payload-label" }, t(label)), ...children);
}

function button(key, label, onclick, cls = "") {
  return h("button", { class: cls, dataset: { action: key }, onclick: (ev) => { ev.stopPropagation(); onclick(); } }, t(label));
}

function payloadControls(vehicle) {
  const id = vehicle.id;
  const current = () => state.vehicles.get(id) || vehicle;
  const rows = [];
  if (carried(vehicle, "loudspeaker")) {
    const clip = numberInput("clip-id", 1, 1, 65535);
    const text = h("input", { type: "text", class: "tts-text", maxlength: "40", placeholder: t("pilot.tts_placeholder") });
    rows.push(row("loudspeaker", "payload.loudspeaker",
      clip, button("play_clip", "pilot.play_clip", () => control(current(), "loudspeaker", "pilot.play_clip", { clip_id: Number(clip.value) })),
      text, button("speak", "pilot.speak", () => {
        if (text.value.trim()) control(current(), "loudspeaker", "pilot.speak", { text: text.value.trim() });
      })));
  }
  if (carried(vehicle, "spotlight")) {
    rows.push(row("spotlight", "payload.spotlight",
      button("spotlight_on", "pilot.spotlight_on", () => control(current(), "spotlight", "pilot.spotlight_on", { on: true })),
      button("spotlight_off", "pilot.spotlight_off", () => control(current(), "spotlight", "pilot.spotlight_off", { on: false }))));
  }
  if (carried(vehicle, "release")) {
    rows.push(row("release", "payload.release",
      button("drop", "pilot.drop", async () => {
        if (await confirmAction(t("pilot.confirm", { drone: current().name, action: t("pilot.drop") }))) {
          await control(current(), "drop", "pilot.drop");
        }
      }, "warn")));
  }
  if (carried(vehicle, "gimbal", "camera")) {
    const pitch = numberInput("gimbal-pitch", -45, -90, 30);
    const yaw = numberInput("gimbal-yaw", 0, -180, 180);
    rows.push(row("gimbal", "payload.gimbal", pitch, yaw,
      button("gimbal", "pilot.aim", () => control(current(), "gimbal", "pilot.aim", { pitch_deg: Number(pitch.value), yaw_deg: Number(yaw.value) }))));
  }
  if (carried(vehicle, "zoom")) {
    const level = h("input", { type: "range", class: "zoom-level", min: "0", max: "100", value: "0" });
    rows.push(row("zoom", "payload.zoom", level,
      button("zoom", "pilot.zoom", () => control(current(), "zoom", "pilot.zoom", { zoom_percent: Number(level.value) }))));
  }
  if (carried(vehicle, "thermal")) {
    rows.push(row("camera", "payload.thermal",
      button("camera_rgb", "pilot.camera_rgb", () => control(current(), "camera", "pilot.camera_rgb", { source: "rgb" })),
      button("camera_ir", "pilot.camera_ir", () => control(current(), "camera", "pilot.camera_ir", { source: "ir" }))));
  }
  const altitude = numberInput("altitude-m", 40, 1, 500);
  rows.push(row("altitude", "pilot.altitude_m", altitude,
    button("altitude", "pilot.set", () => control(current(), "altitude", "pilot.altitude_m", { relative_altitude_m: Number(altitude.value) }))));
  const speed = numberInput("speed-m-s", 8, 0.5, 30, 0.5);
  rows.push(row("speed", "pilot.speed_m_s", speed,
    button("speed", "pilot.set", () => control(current(), "speed", "pilot.speed_m_s", { speed_m_s: Number(speed.value) }))));
  const radius = numberInput("orbit-radius-m", 50, 5, 1000);
  rows.push(row("orbit", "pilot.orbit_radius_m", radius,
    button("orbit", "pilot.orbit", () => {
      setPick(async (latlng) => {
        const text = `${t("pilot.confirm", { drone: current().name, action: t("pilot.orbit") })} (${latlng.lat.toFixed(5)}, ${latlng.lng.toFixed(5)})`;
        if (!(await confirmAction(text))) return;
        await control(current(), "orbit", "pilot.orbit", { latitude_deg: latlng.lat, longitude_deg: latlng.lng, radius_m: Number(radius.value) });
      }, t("pilot.pick_orbit", { drone: current().name }));
    })));
  return h("div", { class: "payload-controls" }, ...rows);
}
