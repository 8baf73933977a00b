// The picture's information on a video tile: the drone's name, the time (UTC and local), its
// position, altitude and heading, drawn in the browser from the fleet's telemetry (the same
// state the map shows). On passed-through video (H.264 as the camera sent it) nothing is
// burned into the picture, so the overlay shows every field; on transcoded video the gateway
// burns the same fields into the picture (its on-screen display), so the overlay shows only
// the name and says so. Each tile says which of the two it is (data-source on .tile-osd).

import { formatNumber, lang, t } from "./i18n.js";
import { h } from "./ui.js";

const STALE_AFTER_MS = 5000;

/** The overlay element of a tile (filled by updateOverlay). */
export function overlayElement() {
  return h("div", { class: "tile-osd", dataset: { source: "browser" } },
    h("div", { class: "osd-line osd-name" }),
    h("div", { class: "osd-line osd-time" }),
    h("div", { class: "osd-line osd-position" }),
    h("div", { class: "osd-line osd-flight" }),
    h("div", { class: "osd-source" }));
}

const pad = (n) => String(n).padStart(2, "0");

function utcClock(d) {
  return `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

function localClock(d) {
  return d.toLocaleTimeString(lang() === "en" ? "en-GB" : "zh-CN", { hour12: false });
}

/** A coordinate with a fixed number of decimals (a stable width on a moving picture). */
export function degrees(value, digits = 6) {
  return `${Number(value).toFixed(digits)}°`;
}

/** The overlay's text lines for a vehicle now: [name, time, position, altitude+heading]. */
export function overlayLines(v, now = new Date()) {
  const time = t("osd.time", { utc: utcClock(now), local: localClock(now) });
  const position = v.lat == null ? t("osd.no_position")
    : t("osd.position", { lat: degrees(v.lat), lon: degrees(v.lon) });
  const alt = v.altitude_m == null ? "–" : `${formatNumber(v.altitude_m, 1)} m`;
  const heading = v.heading_deg == null ? "–" : `${String(Math.round(((v.heading_deg % 360) + 360) % 360)).padStart(3, "0")}°`;
  return [v.name ?? `#${v.id}`, time, position, t("osd.flight", { alt, heading })];
}

/** Fill a tile's overlay; `mode` is the tile's video path ("passthrough" or "transcode"). */
export function updateOverlay(el, v, mode) {
  if (!el || !v) return;
  const burned = mode === "transcode";
  const [name, time, position, flight] = overlayLines(v);
  const stale = !v.updatedAt || Date.now() - v.updatedAt > STALE_AFTER_MS;
  el.dataset.source = burned ? "gateway" : "browser";
  el.classList.toggle("stale", stale);
  el.querySelector(".osd-name").textContent = name;
  el.querySelector(".osd-time").textContent = burned ? "" : time;
  el.querySelector(".osd-position").textContent = burned ? "" : position;
  el.querySelector(".osd-flight").textContent = burned ? "" : flight;
  el.querySelector(".osd-source").textContent = [burned ? t("osd.source_gateway") : t("osd.source_browser"),
    stale && !burned ? t("osd.stale") : ""].filter(Boolean).join(" · ");
}
