// A drone's energy in its card: the endurance the energy check uses (corrected from its own
// flights, GET /api/fleet/{id}/energy), against the profile's, and the last flight's energy
// planned against used. Fetched once per drone and again when the server records a flight
// (the "energy" topic).

import { formatDuration, formatNumber, t } from "./i18n.js";
import { PATHS, get } from "./api.js";
import { on } from "./state.js";
import { escapeHtml } from "./ui.js";

const energies = new Map(); // drone id (string) -> the server's energy view, or null (loading)
let changed = () => {};

function load(id) {
  energies.set(id, energies.get(id) ?? null);
  get(`${PATHS.vehicles}/${encodeURIComponent(id)}/energy`, { limit: 5 })
    .then((view) => {
      energies.set(id, view);
      changed();
    })
    .catch(() => energies.delete(id)); // tried again when the card is drawn next
}

/** The card's energy line for vehicle `v` (empty until the server answered). */
export function energyLine(v) {
  const id = String(v.id);
  if (!energies.has(id)) load(id);
  const view = energies.get(id);
  if (!view?.endurance) return "";
  const e = view.endurance;
  const corrected = e.basis !== "nominal";
  const text = corrected
    ? t("energy.corrected", {
        corrected: formatDuration(e.corrected_endurance_s),
        nominal: formatDuration(e.nominal_endurance_s),
        flights: e.flights_counted,
      })
    : t("energy.nominal", {
        nominal: formatDuration(e.nominal_endurance_s),
        flights: e.flights_counted,
        needed: e.min_flights,
      });
  const last = view.flights?.[view.flights.length - 1];
  const lastText =
    last && last.used_pct != null
      ? t("energy.last_flight", {
          planned: formatNumber(last.planned_pct, 0),
          used: formatNumber(last.used_pct, 0),
        })
      : "";
  const low = corrected && e.ratio < 0.9;
  return `<div class="small energy-line ${low ? "bad" : "muted"}" data-basis="${escapeHtml(e.basis)}"
    title="${escapeHtml(t(`energy.basis.${e.basis}`))}">${escapeHtml(text)}${lastText ? ` · ${escapeHtml(lastText)}` : ""}</div>`;
}

/** Refresh a drone's energy when the server records one of its flights; `onChange` redraws. */
export function initEnergy(onChange) {
  changed = onChange;
  on("ws:energy", (data) => {
    if (data?.event === "recorded" && data.drone_id != null) load(String(data.drone_id));
  });
}
