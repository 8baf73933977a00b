// The live video wall: one tile per flying drone, each a WebRTC receiver signalled over WHEP
// (POST the SDP offer with the bearer token, set the answer; DELETE the session at the end).
// No ICE servers are configured: media stays on the host's own addresses. Click a tile to
// enlarge it; click again to restore. Each tile carries the picture's information (overlay.js)
// and a snapshot button: the server saves a still of its newest picture with the drone's
// position, the time and who took it, filed with the drone's case.

import { API, PATHS, describeProblem, getToken, post } from "./api.js";
import { formatNumber, lang, modeName, t } from "./i18n.js";
import { overlayElement, updateOverlay } from "./overlay.js";
import { canFly, emit, on, state } from "./state.js";
import { errorText, h, showError, toast } from "./ui.js";

const tiles = new Map(); // vehicle id -> {el, pc, resource, video, stopTimer}
const STOP_AFTER_LANDED_MS = 8000;
const RETRY_MS = 3000;
// With no picture this long after connecting, ask again for the transcoded (VP8) stream:
// some browsers take H.264 in the offer but decode no frame of the passed-through stream.
const FIRST_FRAME_MS = 6000;
// How often the tile reads its decoder's frame counter, and after how long without a new frame
// it stops saying LIVE.
const FRAME_CHECK_MS = 250;
const NO_SIGNAL_AFTER_MS = 1500;

/** "auto" lets the server pick (H.264 passed through when the browser takes it); a deployment
 * or a test may force "transcode" (VP8 with the on-screen display) with ?video=transcode. */
function videoMode() {
  const mode = new URLSearchParams(location.search).get("video") || state.settings.video_mode
    || sessionStorage.getItem("jinghang.video_mode") || "auto";
  return ["auto", "passthrough", "transcode"].includes(mode) ? mode : "auto";
}

function isFlying(v) {
  return Boolean(v.armed) && !v.linkLost;
}

function waitIceGathering(pc, timeout_ms = 2000) {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, timeout_ms);
    pc.addEventListener("icegatheringstatechange", () => {
      if (pc.iceGatheringState === "complete") {
        clearTimeout(timer);
        resolve();
      }
    });
  });
}

async function connect(tile, v) {
  const pc = new RTCPeerConnection({ iceServers: [] });
  tile.frames = 0; // a new decoder counts from zero
  tile.lastFrameAt = tile.lastFrameAt || 0;
  tile.pc = pc;
  pc.addTransceiver("video", { direction: "recvonly" });
  pc.ontrack = (ev) => {
    const stream = ev.streams[0] || new MediaStream([ev.track]);
    tile.video.srcObject = stream;
    tile.video.play().catch(() => {});
  };
  pc.onconnectionstatechange = () => {
    if (pc.connectionState !== "connected") tile.el.dataset.state = pc.connectionState;
    if (pc.connectionState === "failed") scheduleRetry(tile, v, t("video.ice_failed"));
  };
  await pc.setLocalDescription(await pc.createOffer());
  await waitIceGathering(pc);
  const mode = tile.mode || videoMode();
  const response = await fetch(PATHS.whep(v.videoId ?? v.id, mode), {
    method: "POST",
    headers: { "Content-Type": "application/sdp", Authorization: `Bearer ${getToken()}` },
    body: pc.localDescription.sdp,
  });
  if (!response.ok) {
    let problem = {};
    try {
      problem = await response.json();
    } catch {
      // not JSON: the status says it
    }
    const reason = describeProblem(problem, response.status);
    throw Object.assign(new Error(reason), { reason });
  }
  const location = response.headers.get("Location");
  if (location) tile.resource = new URL(location, window.location.href).toString();
  const answer = await response.text();
  await pc.setRemoteDescription({ type: "answer", sdp: answer });
  tile.el.dataset.mode = response.headers.get("X-Video-Mode") || mode;
  updateOverlay(tile.osd, state.vehicles.get(v.id) || v, tile.el.dataset.mode);
  clearTimeout(tile.frameTimer);
  tile.frameTimer = setTimeout(() => {
    if (tile.pc === pc && tile.video.readyState < 2 && tile.el.dataset.mode !== "transcode") {
      tile.mode = "transcode";
      // this browser shows no passed-through picture: later tiles ask for the transcoded one
      sessionStorage.setItem("jinghang.video_mode", "transcode");
      closePeer(tile);
      start(tile, state.vehicles.get(v.id) || v);
    }
  }, FIRST_FRAME_MS);
}

function scheduleRetry(tile, v, reason) {
  tile.status.textContent = t("video.failed", { reason });
  tile.el.dataset.state = "failed";
  closePeer(tile);
  clearTimeout(tile.retryTimer);
  tile.retryTimer = setTimeout(() => {
    if (tiles.get(v.id) === tile) start(tile, state.vehicles.get(v.id) || v);
  }, RETRY_MS);
}

async function start(tile, v) {
  tile.status.textContent = t("video.connecting");
  try {
    await connect(tile, v);
  } catch (err) {
    scheduleRetry(tile, v, errorText(err));
  }
}

function closePeer(tile) {
  if (tile.resource) {
    fetch(tile.resource, { method: "DELETE", headers: { Authorization: `Bearer ${getToken()}` } }).catch(() => {});
    tile.resource = null;
  }
  tile.pc?.close();
  tile.pc = null;
}

function openTile(v) {
  const video = h("video", { autoplay: true, muted: true, playsinline: true, dataset: { drone: v.id } });
  video.muted = true;
  const status = h("span", { class: "tile-status" }, t("video.connecting"));
  const label = h("span", { class: "tile-label" }, v.name);
  const osd = overlayElement();
  // (pilots and commanders take snapshots; the server refuses other roles too)
  const shot = canFly() ? h("button", { class: "tile-snapshot", type: "button", title: t("video.snapshot_title"),
    dataset: { drone: v.id } }, t("video.snapshot")) : null;
  shot?.addEventListener("click", (ev) => {
    ev.stopPropagation(); // not a click to enlarge
    takeSnapshot(v.id, shot);
  });
  const el = h("figure", { class: "video-tile", dataset: { drone: v.id }, title: t("video.enlarge") },
    video, osd, h("figcaption", {}, label, status, shot));
  el.addEventListener("click", () => {
    const enlarged = el.classList.toggle("enlarged");
    for (const other of document.querySelectorAll(".video-tile.enlarged")) if (other !== el) other.classList.remove("enlarged");
    document.getElementById("videowall").classList.toggle("has-enlarged", enlarged);
    if (enlarged) emit("focus-drone", v.id);
  });
  const tile = { el, video, status, label, osd, pc: null, osdAt: 0, resource: null, stopTimer: 0, retryTimer: 0, frameTimer: 0, mode: "",
    frames: 0, lastFrameAt: 0, watchTimer: 0 };
  tile.watchTimer = setInterval(() => watchFrames(tile), FRAME_CHECK_MS);
  tiles.set(v.id, tile);
  updateOverlay(osd, v, "");
  document.getElementById("video-tiles").appendChild(el);
  updateEmpty();
  start(tile, v);
}

/** Frames the tile's decoder has produced so far (the browser's own counter). */
function decodedFrames(video) {
  if (typeof video.getVideoPlaybackQuality === "function") return video.getVideoPlaybackQuality().totalVideoFrames;
  return video.webkitDecodedFrameCount ?? 0;
}

function clock(ms) {
  return new Date(ms).toLocaleTimeString(lang() === "en" ? "en-GB" : "zh-CN", { hour12: false });
}

/** LIVE only while the decoder's frame counter moves: a tile whose frames stopped says since
 * when, whatever the peer connection's state claims. */
function watchFrames(tile) {
  const frames = decodedFrames(tile.video);
  const now = Date.now();
  if (now - tile.osdAt >= 1000) { // the clock on the overlay ticks even without telemetry
    tile.osdAt = now;
    updateOverlay(tile.osd, state.vehicles.get(tile.el.dataset.drone), tile.el.dataset.mode);
  }
  if (frames > tile.frames) {
    tile.frames = frames;
    tile.lastFrameAt = now;
    if (tile.el.dataset.state !== "playing") {
      tile.status.textContent = t("video.live");
      tile.el.dataset.state = "playing";
    }
  } else if (tile.lastFrameAt && now - tile.lastFrameAt > NO_SIGNAL_AFTER_MS
    && ["playing", "disconnected"].includes(tile.el.dataset.state)) {
    // (a peer connection that went "disconnected" left the status saying LIVE)
    tile.status.textContent = t("video.no_signal", { since: clock(tile.lastFrameAt) });
    tile.el.dataset.state = "no-signal";
  }
}

function closeTile(id) {
  const tile = tiles.get(id);
  if (!tile) return;
  clearInterval(tile.watchTimer);
  clearTimeout(tile.retryTimer);
  clearTimeout(tile.frameTimer);
  closePeer(tile);
  tile.el.remove();
  tiles.delete(id);
  updateEmpty();
}

function updateEmpty() {
  document.getElementById("video-empty").hidden = tiles.size > 0;
  document.body.classList.toggle("has-video", tiles.size > 0);
}

const pinned = new Set(); // drones whose video an operator opened by hand

/** Open (or close) a drone's tile by hand, flying or not. */
export function toggleVideo(id) {
  const v = state.vehicles.get(String(id));
  if (!v) return;
  if (pinned.has(v.id)) {
    pinned.delete(v.id);
    if (!isFlying(v)) closeTile(v.id);
  } else {
    pinned.add(v.id);
    onVehicle(v);
  }
}

export function isVideoOpen(id) {
  return tiles.has(String(id));
}

function onVehicle(v) {
  const tile = tiles.get(v.id);
  if ((isFlying(v) || pinned.has(v.id)) && v.hasVideo !== false) {
    if (!tile) openTile(v);
    else {
      clearTimeout(tile.stopTimer);
      tile.stopTimer = 0;
      tile.label.textContent = `${v.name} · ${v.mode ? modeName(v.mode) : ""} · ${v.altitude_m == null ? "" : formatNumber(v.altitude_m, 0) + " m"}`;
      updateOverlay(tile.osd, v, tile.el.dataset.mode);
    }
  } else if (tile && !tile.stopTimer) {
    tile.stopTimer = setTimeout(() => closeTile(v.id), STOP_AFTER_LANDED_MS);
  }
}

/** Ask the server for a still of the drone's newest picture (filed with its current case). */
async function takeSnapshot(id, button) {
  const v = state.vehicles.get(String(id));
  button.disabled = true;
  try {
    const shot = await post(`${API}/video/${encodeURIComponent(v?.videoId ?? id)}/snapshot`, {});
    toast(t("video.snapshot_saved", { drone: v?.name ?? `#${id}`, time: clock(Date.parse(shot.taken_at)) }));
    emit("snapshot", shot);
  } catch (err) {
    showError(err);
  } finally {
    button.disabled = false;
  }
}

export function closeAllVideo() {
  for (const id of [...tiles.keys()]) closeTile(id);
}

export function initVideo() {
  on("vehicle", onVehicle);
  updateEmpty();
}
