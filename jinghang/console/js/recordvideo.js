// A flight record's video and stills: the recorded segments played as one video (the server
// verifies each segment's SHA-256 first and refuses a recording that fails, naming the
// segment), each segment's verification state, a marker on the map that follows the video's
// time along the flown track (seek the video and the marker moves with it), and the snapshots
// taken during the case with their time, drone, position and who took them, downloadable.
// A click on the flown track seeks the video to when the drone was there (seekToPlace).

import { API, asList, get, getToken, post } from "./api.js";
import { formatNumber, t } from "./i18n.js";
import { L, layers } from "./map.js";
import { degrees } from "./overlay.js";
import { errorText, formatTime, h } from "./ui.js";

const SEGMENT_STATES = ["ok", "missing", "sha256_differs", "chain_broken"];

/** Track points with their time in ms, in time order (those without a time are left out);
 * of one drone's missions when `droneId` is given and the missions say their drone. */
function timedTrack(record, droneId) {
  const missions = asList(record.missions ?? []);
  const mine = new Set(missions.filter((m) => String(m.drone_id) === String(droneId)).map((m) => m.id));
  const points = asList(record.track ?? [], "points").filter((p) => !mine.size || p.mission_id == null || mine.has(p.mission_id));
  return points
    .map((p) => ({ at: Date.parse(p.time ?? p.at ?? ""), lat: p.latitude_deg ?? p.lat, lon: p.longitude_deg ?? p.lon }))
    .filter((p) => Number.isFinite(p.at) && Number.isFinite(p.lat) && Number.isFinite(p.lon))
    .sort((a, b) => a.at - b.at);
}

/** Where the drone was at `at` ms (linear between the two nearest points). */
function positionAt(track, at) {
  if (!track.length) return null;
  if (at <= track[0].at) return [track[0].lat, track[0].lon];
  for (let i = 1; i < track.length; i++) {
    if (track[i].at >= at) {
      const a = track[i - 1];
      const b = track[i];
      const f = b.at === a.at ? 0 : (at - a.at) / (b.at - a.at);
      return [a.lat + (b.lat - a.lat) * f, a.lon + (b.lon - a.lon) * f];
    }
  }
  const last = track.at(-1);
  return [last.lat, last.lon];
}

function segmentList(segments) {
  return h("ul", { class: "segment-list" }, segments.map((s) => {
    const state = SEGMENT_STATES.includes(s.state) ? s.state : "missing";
    return h("li", { class: `segment seg-${state}`, dataset: { state, file: s.file } },
      h("span", {}, s.file), " ", h("b", {}, t(`playback.segment_${state}`)), " ",
      h("span", { class: "muted small mono", title: s.sha256 }, `SHA-256 ${String(s.sha256).slice(0, 12)}…`));
  }));
}

let players = []; // [{video, track, startedAt}] of the record on screen, one per drone

/** Seek the record's video to when its drone was nearest `latlng` (a click on the track). */
export function seekToPlace(latlng) {
  let best = null;
  let bestM = Infinity;
  for (const player of players.filter((p) => p.video.isConnected)) {
    for (const point of player.track) {
      const m = L.latLng(point.lat, point.lon).distanceTo(latlng);
      if (m < bestM) [best, bestM] = [{ player, point }, m];
    }
  }
  if (!best) return;
  const { player, point } = best;
  const duration = Number.isFinite(player.video.duration) ? player.video.duration : Infinity;
  player.video.currentTime = Math.max(0, Math.min(duration, (point.at - player.startedAt) / 1000));
}

/** One drone's player: the server verifies and joins its segments, or says why not. */
function dronePlayer(record, incidentId, droneId, titled) {
  const box = h("div", { class: "record-drone-video", dataset: { drone: droneId } },
    titled ? h("h4", {}, `#${droneId}`) : null, h("p", { class: "muted" }, "…"));
  const heading = () => (titled ? [h("h4", {}, `#${droneId}`)] : []);
  const track = timedTrack(record, droneId);
  post(`${API}/recordings/playback`, { incident_id: Number(incidentId), drone_id: Number(droneId) }).then((play) => {
    const video = h("video", { controls: true, muted: true, preload: "metadata", playsinline: true, class: "record-player",
      src: play.url, dataset: { drone: droneId } });
    const startedAt = Date.parse(play.started_at);
    const clock = h("span", { class: "muted small record-video-time" }, formatTime(play.started_at));
    let marker = null;
    const follow = () => {
      const at = startedAt + video.currentTime * 1000;
      clock.textContent = formatTime(new Date(at).toISOString());
      const where = positionAt(track, at);
      if (!where || !layers.record) return;
      if (!marker) marker = L.circleMarker(where, { radius: 7, color: "#1d4ed8", fillOpacity: 0.9, className: "playback-marker" }).addTo(layers.record);
      else marker.setLatLng(where);
    };
    players.push({ video, track, startedAt });
    video.addEventListener("timeupdate", follow);
    video.addEventListener("seeked", follow);
    box.replaceChildren(...heading(), video,
      h("p", { class: "small" }, t("playback.verified", { count: play.segments.length }), " · ", clock),
      segmentList(play.segments));
  }).catch((err) => {
    const body = heading();
    if (err.code === "recording.none") body.push(h("p", { class: "muted record-video-none" }, t("playback.none")));
    else body.push(h("p", { class: "error record-video-refused", dataset: { code: err.code ?? "" } }, errorText(err)));
    const segments = err.params?.segments;
    if (Array.isArray(segments)) body.push(segmentList(segments));
    box.replaceChildren(...body);
  });
  return box;
}

/** The record's video section: one player per drone that recorded video for the case. */
export function recordVideo(record, incidentId) {
  players = [];
  const box = h("section", { class: "record-video", id: "record-video" }, h("h3", {}, t("playback.title")),
    h("p", { class: "muted" }, "…"));
  get(`${API}/recordings`, { incident_id: incidentId }).then((rows) => {
    const drones = [...new Set(asList(rows).map((r) => String(r.drone_id)))];
    box.replaceChildren(h("h3", {}, t("playback.title")), ...(drones.length
      ? drones.map((id) => dronePlayer(record, incidentId, id, drones.length > 1))
      : [h("p", { class: "muted record-video-none" }, t("playback.none"))]));
  }).catch((err) => box.replaceChildren(h("h3", {}, t("playback.title")), h("p", { class: "error" }, errorText(err))));
  return box;
}

/** Fetch a snapshot's JPEG with the token, as a blob URL. */
async function blobUrl(path) {
  const response = await fetch(path, { headers: { Authorization: `Bearer ${getToken()}` } });
  if (!response.ok) throw Object.assign(new Error(`HTTP ${response.status}`), { code: `http.${response.status}`, params: { status: response.status } });
  return URL.createObjectURL(await response.blob());
}

function snapshotItem(s) {
  const img = h("img", { class: "snapshot-thumb", alt: t("snapshot.alt", { drone: s.drone_id }) });
  blobUrl(s.url).then((url) => {
    img.src = url;
    link.href = url;
  }).catch(() => {});
  const link = h("a", { class: "link snapshot-download", download: `${s.id}.jpg`, href: "#" }, t("snapshot.download"));
  const where = s.latitude_deg == null ? t("osd.no_position")
    : t("osd.position", { lat: degrees(s.latitude_deg), lon: degrees(s.longitude_deg) });
  const alt = s.relative_altitude_m == null ? "" : ` · ${t("drone.alt")} ${formatNumber(s.relative_altitude_m, 1)} m`;
  return h("li", { class: "snapshot", dataset: { snapshot: s.id, drone: s.drone_id } }, img,
    h("div", { class: "small" }, formatTime(s.taken_at), " · ", t("snapshot.by", { user: s.taken_by }), " · #", s.drone_id),
    h("div", { class: "small muted" }, where, alt), link);
}

/** The snapshots of a case. */
export function recordSnapshots(incidentId) {
  const box = h("section", { class: "record-snapshots", id: "record-snapshots" }, h("h3", {}, t("snapshot.title")));
  get(`${API}/video/snapshots`, { incident_id: incidentId }).then((list) => {
    const shots = asList(list);
    box.append(shots.length ? h("ul", { class: "snapshot-list" }, shots.map(snapshotItem))
      : h("p", { class: "muted" }, t("snapshot.none")));
  }).catch((err) => box.append(h("p", { class: "error" }, errorText(err))));
  return box;
}
