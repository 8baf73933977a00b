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

/** Keep the server's figures beside what state.js's setProgress already took from the event. */
function take(data) {
  const id = data?.system_id ?? data?.vehicle_id;
  if (id == null || !("time_to_go_s" in data)) return;
  const v = state.vehicles.get(String(id));
  if (!v || !v.progress) return;
  const p = v.progress;
  p.toGoTarget = data.to_go_target === "scene" ? "scene" : "home";
  p.distance_to_go_m = num(data.distance_to_go_m);
  p.time_to_go_s = num(data.time_to_go_s);
  p.distance_to_scene_m = num(data.distance_to_scene_m);
  p.time_to_scene_s = num(data.time_to_scene_s);
  p.distance_home_m = num(data.distance_home_m);
  p.time_home_s = num(data.time_home_s);
  p.leg = num(data.leg_index);
  const fraction = num(data.fraction);
  if (fraction != null) p.fraction = Math.max(0, Math.min(1, fraction));
  emit("vehicle", v);
}

export function initProgress() {
  on("ws:mission.progress", take);
}

/** Kept for callers that drop a mission's cached figures (nothing is cached any more). */
export function forgetMission() {
  emit("missions");
}
