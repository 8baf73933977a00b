// The field view of one shared case (share.html), for officers holding a link a commander
// sent: no sign-in, read only. Polls /share/<token>/state (the case, its sorties, its drones'
// positions, altitude, heading and battery), draws the scene and the drones on the console's
// map, plays each flying drone's live video over WHEP through the link, and when the link
// stops (expired, revoked, case over, invalid) says why and closes the video. Chinese by
// default, English when the browser asks for it and no choice is stored; one click switches.

import { applyI18n, formatNumber, lang, localName, onLangChange, setLang, t, toggleLang } from "./i18n.js";
import { L, createMap, layers } from "./map.js";

const POLL_MS = 1500;
const RETRY_MS = 3000;
const FIRST_FRAME_MS = 6000;
const FLYING = new Set(["launching", "en_route", "on_scene", "returning"]);

const token = decodeURIComponent(location.pathname.replace(/^\/share\//, "").split("/")[0] || "");
const base = `/share/${encodeURIComponent(token)}`;
const tiles = new Map(); // drone id -> {el, video, status, pc, resource, retry}
const markers = new Map();
let sceneMarker = null;
let last = null;
let stopped = null;
let centred = false;
let map = null;

function byId(id) {
  return document.getElementById(id);
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v == null || v === false) continue;
    if (k === "class") node.className = v;
    else if (k === "dataset") Object.assign(node.dataset, v);
    else if (v === true) node.setAttribute(k, "");
    else node.setAttribute(k, String(v));
  }
  for (const child of children.flat()) {
    if (child != null && child !== false) node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

function label(prefix, value) {
  const key = `${prefix}.${value}`;
  const text = t(key);
  return text === key ? String(value) : text;
}

function codeText(problem, status) {
  const code = problem?.code || `http.${status}`;
  const text = t(`code.${code}`);
  return text === `code.${code}` ? t("code.share.invalid") : text;
}

function colon(text) {
  return lang() === "zh" ? `${text}：` : `${text}: `;
}

function timeText(value) {
  const d = value instanceof Date ? value : new Date(value);
  return Number.isNaN(d.getTime()) ? "" : d.toLocaleTimeString(lang() === "zh" ? "zh-CN" : "en-GB",
    { hour: "2-digit", minute: "2-digit", second: "2-digit" });
}

// ---- the case and the drones ---------------------------------------------------------------

function drawCase(body) {
  const c = body.case;
  const playbook = localName(c.playbook, c.playbook_id);
  document.title = `${t("share.case", { id: c.id })} · ${t("share.page_title")}`;
  byId("share-case-title").textContent = c.title ? `${t("share.case", { id: c.id })} · ${c.title}` : t("share.case", { id: c.id });
  byId("share-case-title").dataset.state = c.state;
  byId("share-case-facts").replaceChildren(
    el("span", { class: "share-fact" }, colon(t("share.case_state")), el("b", { class: "share-state" }, label("status", c.state))),
    el("span", { class: "share-fact" }, colon(t("share.playbook")), el("b", { class: "share-playbook" }, `${c.playbook_id} ${playbook}`)));
  byId("share-valid").textContent = t("share.valid_until", { time: timeText(body.share.expires_at) });
  byId("share-updated").textContent = t("share.updated", { time: timeText(new Date()) });
  const sortieOf = new Map(body.sorties.filter((s) => s.drone_id != null).map((s) => [s.drone_id, s]));
  const list = byId("share-drone-list");
  if (!body.drones.length) {
    list.replaceChildren(el("li", { class: "muted" }, t("share.no_drone")));
  } else {
    list.replaceChildren(...body.drones.map((d) => {
      const sortie = sortieOf.get(d.drone_id);
      const facts = [
        d.relative_altitude_m != null ? t("share.altitude", { value: formatNumber(d.relative_altitude_m, 0) }) : null,
        d.heading_deg != null ? t("share.heading", { value: formatNumber(d.heading_deg, 0) }) : null,
        d.ground_speed_m_s != null ? t("share.speed", { value: formatNumber(d.ground_speed_m_s, 1) }) : null,
        d.battery_pct != null ? t("share.battery", { value: formatNumber(d.battery_pct, 0) }) : null,
        d.link_lost ? t("share.link_lost") : null,
      ].filter(Boolean);
      return el("li", { class: "share-drone", dataset: { drone: d.drone_id } },
        el("b", { class: "share-drone-name" }, d.name), " ",
        sortie ? el("span", { class: "pill status" }, label("status", sortie.state)) : null,
        el("div", { class: "small share-drone-facts" }, facts.join(" · ")));
    }));
  }
}

function drawMap(body) {
  const c = body.case;
  const scene = [c.latitude_deg, c.longitude_deg];
  if (!sceneMarker) {
    sceneMarker = L.marker(scene, { icon: L.divIcon({ className: "share-scene", html: '<div class="share-scene-icon">!</div>', iconSize: [24, 24], iconAnchor: [12, 12] }) })
      .addTo(layers.incidents);
  }
  sceneMarker.setLatLng(scene);
  sceneMarker.bindTooltip(t("share.scene"));
  const seen = new Set();
  for (const d of body.drones) {
    if (d.latitude_deg == null || d.longitude_deg == null) continue;
    seen.add(d.drone_id);
    const html = `<div class="share-drone-icon" data-drone="${d.drone_id}" style="transform: rotate(${Number(d.heading_deg) || 0}deg)">▲</div>`;
    const icon = L.divIcon({ className: "share-drone-marker", html, iconSize: [22, 22], iconAnchor: [11, 11] });
    let m = markers.get(d.drone_id);
    if (!m) {
      m = L.marker([d.latitude_deg, d.longitude_deg], { icon, zIndexOffset: 800 }).addTo(layers.drones);
      markers.set(d.drone_id, m);
    } else {
      m.setLatLng([d.latitude_deg, d.longitude_deg]);
      m.setIcon(icon);
    }
    m.bindTooltip(d.name);
  }
  for (const [id, m] of markers) {
    if (!seen.has(id)) {
      m.remove();
      markers.delete(id);
    }
  }
  if (!centred) {
    centred = true;
    const points = [scene, ...body.drones.filter((d) => d.latitude_deg != null).map((d) => [d.latitude_deg, d.longitude_deg])];
    map.fitBounds(L.latLngBounds(points).pad(0.4), { maxZoom: 16, animate: false });
  }
}

// ---- video over WHEP -------------------------------------------------------------------------

function waitIce(pc) {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, 2000);
    pc.addEventListener("icegatheringstatechange", () => {
      if (pc.iceGatheringState === "complete") {
        clearTimeout(timer);
        resolve();
      }
    });
  });
}

function closeTile(tile) {
  clearTimeout(tile.retry);
  if (tile.resource) {
    fetch(tile.resource, { method: "DELETE" }).catch(() => {});
    tile.resource = null;
  }
  tile.pc?.close();
  tile.pc = null;
}

async function connect(tile, droneId) {
  tile.el.dataset.state = "connecting";
  tile.status.textContent = t("share.video_connecting");
  const pc = new RTCPeerConnection({ iceServers: [] });
  tile.pc = pc;
  pc.addTransceiver("video", { direction: "recvonly" });
  pc.ontrack = (ev) => {
    tile.video.srcObject = ev.streams[0] || new MediaStream([ev.track]);
    tile.video.play().catch(() => {});
  };
  pc.onconnectionstatechange = () => {
    if (pc.connectionState === "failed" && tile.pc === pc) retry(tile, droneId, pc.connectionState);
  };
  try {
    await pc.setLocalDescription(await pc.createOffer());
    await waitIce(pc);
    const mode = tile.mode || "auto";
    const response = await fetch(`${base}/video/${encodeURIComponent(droneId)}/whep?mode=${mode}`, {
      method: "POST", headers: { "Content-Type": "application/sdp" }, body: pc.localDescription.sdp,
    });
    if (!response.ok) {
      let problem = {};
      try { problem = await response.json(); } catch { /* the status says it */ }
      throw Object.assign(new Error(problem.code || String(response.status)), { text: codeText(problem, response.status) });
    }
    const where = response.headers.get("Location");
    if (where) tile.resource = new URL(where, location.href).toString();
    tile.el.dataset.whep = "answered";
    tile.el.dataset.mode = response.headers.get("X-Video-Mode") || mode;
    await pc.setRemoteDescription({ type: "answer", sdp: await response.text() });
    // no picture from the passed-through stream: ask for the transcoded one (as the console does)
    setTimeout(() => {
      if (tile.pc === pc && tile.video.readyState < 2 && tile.el.dataset.mode !== "transcode") {
        tile.mode = "transcode";
        closeTile(tile);
        connect(tile, droneId);
      }
    }, FIRST_FRAME_MS);
  } catch (err) {
    if (tile.pc === pc) retry(tile, droneId, err.text || t("code.share.no_video"));
  }
}

function retry(tile, droneId, reason) {
  tile.el.dataset.state = "failed";
  tile.status.textContent = t("share.video_failed", { reason });
  closeTile(tile);
  tile.retry = setTimeout(() => {
    if (!stopped && tiles.get(droneId) === tile) connect(tile, droneId);
  }, RETRY_MS);
}

function watchFrames(tile) {
  // LIVE only while the decoder shows new frames
  let lastFrames = 0;
  let lastAt = 0;
  tile.frameTimer = setInterval(() => {
    const q = tile.video.getVideoPlaybackQuality?.();
    const frames = q ? q.totalVideoFrames : (tile.video.readyState >= 2 ? lastFrames + 1 : 0);
    const now = Date.now();
    if (frames > lastFrames) {
      lastFrames = frames;
      lastAt = now;
    }
    const playing = tile.pc && now - lastAt < 1500 && tile.video.readyState >= 2;
    if (playing) {
      tile.el.dataset.state = "playing";
      tile.status.textContent = t("share.video_live");
    } else if (tile.el.dataset.state === "playing") {
      tile.el.dataset.state = "connecting";
      tile.status.textContent = t("share.video_connecting");
    }
  }, 250);
}

function drawVideo(body) {
  const sortieOf = new Map(body.sorties.filter((s) => s.drone_id != null).map((s) => [s.drone_id, s]));
  const wanted = body.drones.filter((d) => d.video && FLYING.has(sortieOf.get(d.drone_id)?.state));
  const box = byId("share-video-tiles");
  const ids = new Set(wanted.map((d) => String(d.drone_id)));
  for (const [id, tile] of tiles) {
    if (!ids.has(id)) {
      closeTile(tile);
      clearInterval(tile.frameTimer);
      tile.el.remove();
      tiles.delete(id);
    }
  }
  for (const d of wanted) {
    const id = String(d.drone_id);
    let tile = tiles.get(id);
    if (!tile) {
      const video = el("video", { autoplay: true, muted: true, playsinline: true, dataset: { drone: id } });
      video.muted = true;
      const status = el("span", { class: "share-tile-status" }, t("share.video_connecting"));
      const name = el("div", { class: "small share-tile-name" }, d.name);
      tile = { el: el("div", { class: "share-tile", dataset: { drone: id, state: "connecting" } }, video, status, name), video, status };
      tiles.set(id, tile);
      box.append(tile.el);
      watchFrames(tile);
      connect(tile, id);
    }
  }
  if (!wanted.length) box.replaceChildren(el("p", { class: "muted small share-video-none" }, t(body.drones.length ? "share.video_none" : "share.no_drone")));
  else box.querySelector(".share-video-none")?.remove();
}

// ---- the link stops ----------------------------------------------------------------------------

function stop(problem, status) {
  stopped = { problem, status };
  for (const tile of tiles.values()) {
    closeTile(tile);
    clearInterval(tile.frameTimer);
  }
  tiles.clear();
  byId("share-video-tiles").replaceChildren();
  byId("share-stopped").hidden = false;
  byId("share-stopped").dataset.code = problem?.code || `http.${status}`;
  byId("share-stopped-reason").textContent = codeText(problem, status);
  for (const id of ["share-case", "share-map-wrap", "share-video", "share-drones"]) byId(id).hidden = true;
  byId("share-valid").textContent = "";
}

async function poll() {
  if (stopped) return;
  try {
    const response = await fetch(`${base}/state`, { headers: { Accept: "application/json" }, cache: "no-store" });
    let body = null;
    try { body = await response.json(); } catch { body = null; }
    if (!response.ok) {
      if (response.status === 403 || response.status === 404 || response.status === 422) {
        stop(body, response.status);
        return;
      }
      throw new Error(String(response.status));
    }
    last = body;
    drawCase(body);
    drawMap(body);
    drawVideo(body);
  } catch {
    byId("share-updated").textContent = t("share.offline");
  }
  setTimeout(poll, POLL_MS);
}

/** The map library's zoom buttons titled in the reader's language (as the console does). */
function labelMapControls() {
  for (const [selector, key] of [[".leaflet-control-zoom-in", "map.zoom_in"], [".leaflet-control-zoom-out", "map.zoom_out"]]) {
    for (const button of document.querySelectorAll(selector)) {
      button.title = t(key);
      button.setAttribute("aria-label", t(key));
    }
  }
}

function start() {
  if (!localStorage.getItem("jinghang.lang") && /^en\b/i.test(navigator.language || "")) setLang("en");
  applyI18n();
  for (const button of document.querySelectorAll(".lang-toggle")) button.addEventListener("click", toggleLang);
  map = createMap();
  labelMapControls();
  onLangChange(() => {
    labelMapControls();
    if (stopped) stop(stopped.problem, stopped.status);
    else if (last) {
      drawCase(last);
      drawVideo(last);
      for (const tile of tiles.values()) if (tile.el.dataset.state !== "playing") tile.status.textContent = t("share.video_connecting");
    }
  });
  addEventListener("pagehide", () => {
    for (const tile of tiles.values()) closeTile(tile);
  });
  poll();
}

start();
