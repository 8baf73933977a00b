// The pilot panel of one drone: take over (pause into loiter), go to a clicked map point,
// return, land, release back to the mission. Each asks for a confirmation; the panel exists
// only for pilots and commanders (the API refuses the others anyway).

import { PATHS, post } from "./api.js";
import { t } from "./i18n.js";
import { setPick } from "./map.js";
import { canFly, state } from "./state.js";
import { confirmAction, h, showError, toast } from "./ui.js";

/** action name in the console -> the API's path segment under /vehicles/{id}/ */
export const PILOT_ACTIONS = [
  { key: "take_over", label: "pilot.take_over", path: "pause" },
  { key: "goto", label: "pilot.goto", path: "goto" },
  { key: "rtl", label: "pilot.rtl", path: "rtl" },
  { key: "land", label: "pilot.land", path: "land" },
  { key: "release", label: "pilot.release", path: "release" },
];

async function send(vehicle, action, body = {}) {
  const name = vehicle.name;
  try {
    await post(PATHS.vehicleCommand(vehicle.id, action.path), body);
    toast(t("pilot.sent", { drone: name, action: t(action.label) }));
  } catch (err) {
    showError(err);
  }
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
  if (!(await confirmAction(t("pilot.confirm", { drone: vehicle.name, action: t(action.label) })))) return;
  await send(vehicle, action);
}

/** Build (once) or refresh the panel inside host for vehicle. */
export function renderPilotPanel(host, vehicle) {
  if (!canFly()) {
    host.replaceChildren();
    return;
  }
  let panel = host.querySelector(".pilot-panel");
  if (!panel || panel.dataset.lang !== document.documentElement.lang) {
    panel = h("details", { class: "pilot-panel", dataset: { drone: vehicle.id, lang: document.documentElement.lang } },
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
        }, t(action.label)))));
    const wasOpen = host.querySelector(".pilot-panel")?.open;
    if (wasOpen) panel.open = true;
    host.replaceChildren(panel);
  }
  panel.classList.toggle("disabled", vehicle.linkLost);
}
