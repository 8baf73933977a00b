// Distance and time to go of each flight, as the server measures them: every
// mission.progress event of the dispatcher carries the run's figures (distance and time to
// the scene and home along the plan's remaining legs, from the drone's real position, at the
// planned speed), the share of the path flown and what "to go" counts to (scene or home).
// The console shows those figures and computes none of its own, so the card's time to go is
// the proposal's ETA at launch and only falls while the drone makes progress.

import { emit, on, state } from "./state.js";

function num(x) {
  const n = Number(x);
  return x == null || x === "" || !Number.isFinite(n) ? null : n;
}

const figures = new Map(); // vehicle id -> the server's last figures

/**
 * Keep the server's figures beside what state.js's setProgress took from the event. The
 * vehicle's own item events carry none (and would put an item count in place of the share
 * flown): the server's last figures stay shown until its next ones.
 */
function take(data) {
  const id = data?.drone_id ?? data?.vehicle_id;
  if (id == null) return;
  const v = state.vehicles.get(String(id));
  if (!v || !v.progress) return;
  if (!("time_to_go_s" in data)) {
    const last = figures.get(v.id);
    if (last && !("mission_id" in data)) {
      Object.assign(v.progress, last);
      emit("vehicle", v);
    }
    return;
  }
  const fraction = num(data.fraction);
  const f = {
    toGoTarget: data.to_go_target === "scene" ? "scene" : "home",
    distance_to_go_m: num(data.distance_to_go_m),
    time_to_go_s: num(data.time_to_go_s),
    distance_to_scene_m: num(data.distance_to_scene_m),
    time_to_scene_s: num(data.time_to_scene_s),
    distance_home_m: num(data.distance_home_m),
    time_home_s: num(data.time_home_s),
    leg: num(data.leg_index),
    fraction: fraction == null ? v.progress.fraction : Math.max(0, Math.min(1, fraction)),
  };
  if (String(data.phase).toUpperCase() === "LANDED") figures.delete(v.id);
  else figures.set(v.id, f);
  Object.assign(v.progress, f);
  emit("vehicle", v);
}

export function initProgress() {
  on("ws:mission.progress", take);
}

/** Kept for callers that drop a mission's cached figures (nothing is cached any more). */
export function forgetMission() {
  emit("missions");
}
