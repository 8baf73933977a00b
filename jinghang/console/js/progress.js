// Distance and time to go of each flight: the mission's items are fetched once per mission
// (GET /api/missions/{id}); from the drone's position, the distance to go is the leg to the
// current item plus every remaining leg, the time is that over the drone's speed (or the
// plan's cruise speed), and the progress bar follows the distance flown, not only the item
// count, so that it moves smoothly along long legs.

import { PATHS, get } from "./api.js";
import { emit, on, state } from "./state.js";

const DEFAULT_SPEED_M_S = 10;
const missions = new Map(); // mission id -> {points: [[lat, lon, seq]], total_m, speed_m_s} | "loading"

function haversineM(a, b) {
  const R = 6371008.8;
  const rad = Math.PI / 180;
  const dLat = (b[0] - a[0]) * rad;
  const dLon = (b[1] - a[1]) * rad;
  const s = Math.sin(dLat / 2) ** 2 + Math.cos(a[0] * rad) * Math.cos(b[0] * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * R * Math.asin(Math.sqrt(s));
}

function pathLength(points) {
  let total = 0;
  for (let i = 1; i < points.length; i++) total += haversineM(points[i - 1], points[i]);
  return total;
}

async function loadMission(id) {
  missions.set(id, "loading");
  try {
    const mission = await get(`${PATHS.missions}/${encodeURIComponent(id)}`);
    const points = (mission.items || [])
      .map((item, seq) => [Number(item.latitude_deg ?? item.x ?? 0), Number(item.longitude_deg ?? item.y ?? 0), seq])
      .filter(([lat, lon]) => Number.isFinite(lat) && Number.isFinite(lon) && (lat !== 0 || lon !== 0));
    const speed = Number(mission.params?.speed_m_s) || DEFAULT_SPEED_M_S;
    missions.set(id, { points, total_m: pathLength(points), speed_m_s: speed });
  } catch {
    missions.delete(id);
  }
}

/** Fill v.progress's distance/time to go and a distance-based fraction, when it can. */
function update(v) {
  const p = v.progress;
  if (!p || p.missionId == null || v.lat == null) return;
  const mission = missions.get(p.missionId);
  if (mission === undefined) {
    loadMission(p.missionId).then(() => update(state.vehicles.get(v.id) || v));
    return;
  }
  if (mission === "loading" || !mission.points.length) return;
  if (String(p.phase).toUpperCase() === "LANDED") {
    p.distance_to_go_m = 0;
    p.time_to_go_s = 0;
    p.fraction = 1;
    return;
  }
  const current = p.current ?? 0;
  const ahead = mission.points.filter(([, , seq]) => seq >= current);
  const legs = ahead.length ? [[v.lat, v.lon], ...ahead.map(([lat, lon]) => [lat, lon])] : [];
  const toGo = pathLength(legs);
  const speed = v.speed_m_s && v.speed_m_s > 1 ? v.speed_m_s : mission.speed_m_s;
  p.distance_to_go_m = toGo;
  p.time_to_go_s = toGo / speed;
  if (mission.total_m > 0) {
    const byDistance = 1 - Math.min(1, toGo / mission.total_m);
    p.fraction = Math.max(p.fraction ?? 0, byDistance);
  }
}

export function initProgress() {
  on("vehicle", (v) => update(v));
}

export function forgetMission(id) {
  missions.delete(id);
  emit("missions");
}
