// Small shared pieces of the page: the confirmation dialog, the toast line, and element helpers.

import { lang, t, tCode } from "./i18n.js";

/** Ask the operator; resolves true only when they press Confirm. */
export function confirmAction(text) {
  const dialog = document.getElementById("confirm-dialog");
  document.getElementById("confirm-text").textContent = text;
  return new Promise((resolve) => {
    const done = () => {
      dialog.removeEventListener("close", done);
      resolve(dialog.returnValue === "ok");
    };
    dialog.returnValue = "";
    dialog.addEventListener("close", done);
    dialog.showModal();
    document.getElementById("confirm-ok").focus();
  });
}

let toastTimer = 0;
/** A short message at the bottom; kind "error" stays longer and is red. */
export function toast(text, kind = "info") {
  const el = document.getElementById("toast");
  el.textContent = text;
  el.dataset.kind = kind;
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => {
    el.hidden = true;
  }, kind === "error" ? 9000 : 4000);
}

/** The operator's text of an error: an ApiError's coded reason, a coded console error
 * (``code``/``params``), else (a bug's own message) only in English, a generic text in zh. */
export function errorText(err) {
  if (err?.reason) return err.reason;
  if (err?.code) return tCode(err.code, err.params || {});
  if (lang() === "en") return err?.message || String(err);
  console.warn("uncoded error", err);
  return tCode("error");
}

export function showError(err) {
  toast(t("common.error", { reason: errorText(err) }), "error");
}

/** Text made safe to put inside HTML (names and labels that come from users or the server). */
export function escapeHtml(text) {
  return String(text ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

/** Create an element: h("button", {class: "x", onclick}, "text", child...). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else if (k === "dataset") Object.assign(el.dataset, v);
    else if (k === "html") el.innerHTML = v;
    else if (v === true) el.setAttribute(k, "");
    else el.setAttribute(k, String(v));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function formatTime(value) {
  if (value == null || value === "") return "–";
  const d = typeof value === "number" ? new Date(value < 1e12 ? value * 1000 : value) : new Date(value);
  if (Number.isNaN(d.getTime())) return String(value);
  return d.toLocaleString(document.documentElement.lang || undefined, { hour12: false });
}
