// The console's live picture: who is logged in, the fleet (position, heading, trail, battery,
// mode, link, mission progress), incidents and the catalogs. Views subscribe with on(topic, fn);
// the store normalises the server's shapes in one place (normalizeVehicle, normalizeIncident).

const TRAIL_POINTS = 300;

const listeners = new Map();

export const state = {
  user: null, // {username, role}
  vehicles: new Map(), // id (string) -> vehicle
  incidents: new Map(), // id (string) -> incident
  playbooks: [],
  templates: [],
  settings: {},
};

export function on(topic, fn) {
  if (!listeners.has(topic)) listeners.set(topic, new Set());
  listeners.get(topic).add(fn);
  return () => listeners.get(topic).delete(fn);
}

export function emit(topic, payload) {
  for (const fn of listeners.get(topic) || []) {
    try {
      fn(payload);
    } catch (err) {
      console.error(`listener of ${topic} failed`, err);
    }
  }
}

export function canFly() {
  return ["pilot", "commander"].includes(state.user?.role);
}

export function canDispatch() {
  return ["commander", "admin"].includes(state.user?.role);
}

const num = (v) => (v === null || v === undefined || v === "" || Number.isNaN(Number(v)) ? null : Number(v));
const first = (...values) => values.find((v) => v !== undefined && v !== null);

/** The vehicle id the API uses in paths (its drone id in the register). */
export function vehicleIdOf(obj) {
  const id = first(obj?.drone_id, obj?.vehicle_id, obj?.id);
  return id === undefined ? null : String(id);
}

/** Merge a vehicle record or live state (any of the API's shapes) into the store. */
export function upsertVehicle(raw, idHint) {
  const id = idHint != null ? String(idHint) : vehicleIdOf(raw);
  if (id == null) return null;
  const old = state.vehicles.get(id) || { id, trail: [], name: `#${id}` };
  const live = raw.live || raw.state || raw.telemetry || raw;
  const v = { ...old };
  v.name = first(raw.name, raw.callsign, old.name);
  v.droneId = first(raw.drone_id, old.droneId, Number(id));
  v.status = first(raw.status, old.status);
  v.payloads = first(raw.payloads, old.payloads, []);
  v.incidentId = first(raw.incident_id, raw.current_incident_id, old.incidentId);
  v.videoId = first(raw.video_id, raw.drone_id, old.videoId, id);
  v.hasVideo = first(raw.has_video, raw.video_source ? true : undefined, old.hasVideo, true);
  const lat = num(first(live.latitude_deg, live.lat));
  const lon = num(first(live.longitude_deg, live.lon, live.lng));
  if (lat !== null && lon !== null && !(lat === 0 && lon === 0)) {
    v.lat = lat;
    v.lon = lon;
    const last = v.trail[v.trail.length - 1];
    if (!last || Math.abs(last[0] - lat) > 1e-6 || Math.abs(last[1] - lon) > 1e-6) {
      v.trail = [...v.trail.slice(-(TRAIL_POINTS - 1)), [lat, lon]];
    }
  }
  if (raw.base && old.base === undefined) {
    const b = raw.base;
    const blat = num(first(b.latitude_deg, b.lat));
    const blon = num(first(b.longitude_deg, b.lon));
    if (blat !== null && blon !== null) v.base = [blat, blon];
  }
  v.altitude_m = first(num(live.relative_altitude_m), old.altitude_m);
  v.heading_deg = first(num(live.heading_deg), old.heading_deg, 0);
  v.speed_m_s = first(num(live.ground_speed_m_s), old.speed_m_s);
  v.battery_pct = first(num(live.battery_pct), old.battery_pct);
  v.mode = first(live.mode, old.mode, "");
  v.armed = first(live.armed, old.armed, false);
  v.linkLost = Boolean(first(live.link_lost, raw.link_lost, old.linkLost, false));
  v.updatedAt = Date.now();
  state.vehicles.set(id, v);
  emit("vehicle", v);
  return v;
}

/**
 * Mission progress from a mission.progress event: the dispatcher's {drone_id, mission_id,
 * incident_id, current_seq, item_count, phase} or the vehicle's {drone_id, event, seq}.
 * Fields an event lacks keep their last value.
 */
export function setProgress(raw) {
  const id = vehicleIdOf(raw);
  if (id == null) return;
  const v = state.vehicles.get(id) || upsertVehicle({}, id);
  const old = v.progress || {};
  const total = first(num(first(raw.item_count, raw.total_items, raw.total)), old.total);
  // the vehicle's "item_reached" names an item behind it, not the one it flies to
  const seq = raw.event === "item_reached" ? undefined : raw.seq;
  const current = first(num(first(raw.current_seq, raw.current_item, seq)), old.current);
  const phase = first(raw.phase, old.phase);
  let fraction = num(first(raw.fraction, raw.progress_fraction));
  if (fraction === null && total) fraction = Math.min(1, (current || 0) / Math.max(1, total - 1));
  if (String(phase).toUpperCase() === "LANDED") fraction = 1;
  const missionId = first(raw.mission_id, old.missionId);
  v.progress = {
    fraction: fraction === null ? old.fraction ?? null : Math.max(0, Math.min(1, fraction)),
    current,
    total,
    phase,
    missionId,
    incidentId: first(raw.incident_id, old.incidentId),
    distance_to_go_m: num(first(raw.distance_to_go_m, old.distance_to_go_m)),
    time_to_go_s: num(first(raw.time_to_go_s, old.time_to_go_s)),
  };
  if (raw.incident_id != null) v.incidentId = raw.incident_id;
  emit("progress", v);
  emit("vehicle", v);
}

export function normalizeIncident(raw) {
  const loc = raw.location || raw.position || raw.point || {};
  const coords = loc.coordinates; // GeoJSON point [lon, lat]
  const lat = num(first(raw.latitude_deg, raw.lat, loc.latitude_deg, loc.lat, coords?.[1]));
  const lon = num(first(raw.longitude_deg, raw.lon, loc.longitude_deg, loc.lon, coords?.[0]));
  return {
    id: String(first(raw.id, raw.incident_id)),
    type: first(raw.playbook_id, raw.type, raw.incident_type, ""),
    status: String(first(raw.status, raw.state, "reported")).toLowerCase(),
    priority: first(raw.priority, null),
    lat,
    lon,
    note: first(raw.title || undefined, raw.note, raw.description, ""),
    vehicleId: first(raw.drone_id, raw.vehicle_id, raw.assigned_vehicle_id, null),
    missionId: first(raw.mission_id, null),
    reason: first(raw.reason, raw.queue_reason, raw.failure_reason, null),
    proposal: first(raw.proposal, raw.choice, null),
    needsConfirmation: first(raw.needs_confirmation, raw.awaiting_confirmation, null),
    confirmedBy: raw.confirmed_by || null,
    createdAt: first(raw.created_at, raw.reported_at, null),
    closedAt: first(raw.closed_at, null),
    // a case: its outcome, its sorties (one drone each) and, while no drone can take it,
    // every drone's reason ({drone_id, drone, code, params, reason}); a partial event
    // (unassigned: true) leaves the list to the next full read
    outcome: raw.outcome || null,
    outcomeNote: raw.outcome_note || null,
    closedBy: raw.closed_by || null,
    sorties: Array.isArray(raw.sorties) ? raw.sorties : undefined,
    unassigned: Array.isArray(raw.unassigned) ? raw.unassigned : raw.unassigned === null ? [] : undefined,
    raw,
  };
}

export const OPEN_STATES = new Set(["open", "reported", "queued", "assigned", "launching", "en_route", "on_scene", "returning"]);
/** Sortie states with a drone in the air (or about to be). */
export const FLYING_SORTIE_STATES = new Set(["launching", "en_route", "on_scene", "returning"]);
const ENDED_SORTIE_STATES = new Set(["landed", "aborted", "failed"]);

/**
 * What a case is doing now, for its row and marker: "unassigned" while no drone can take it,
 * else the state of its most recent sortie not yet ended, else of its last sortie; a closed
 * or cancelled case shows that.
 */
export function casePhase(inc) {
  if (inc.status === "closed" || inc.status === "cancelled") return inc.status;
  const sorties = inc.sorties || [];
  if (inc.unassigned && inc.unassigned.length) return "unassigned";
  const live = [...sorties].reverse().find((s) => !ENDED_SORTIE_STATES.has(s.state));
  if (live) return live.state;
  return sorties.length ? sorties[sorties.length - 1].state : inc.status;
}

export function upsertIncident(raw) {
  const inc = normalizeIncident(raw);
  if (!inc.id || inc.id === "undefined") return null;
  const old = state.incidents.get(inc.id);
  const merged = old ? { ...old, ...Object.fromEntries(Object.entries(inc).filter(([, v]) => v !== undefined && v !== null && v !== "")) } : inc;
  if (Array.isArray(inc.unassigned)) merged.unassigned = inc.unassigned; // [] clears the reasons
  state.incidents.set(inc.id, merged);
  emit("incident", merged);
  return merged;
}

export function playbookById(id) {
  return state.playbooks.find((p) => String(p.id) === String(id));
}
