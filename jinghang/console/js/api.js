// The console's only door to the server: REST calls with the bearer token, problem+json errors
// turned into ApiError (with the field at fault, rendered by their code in the operator's
// language: never the English detail in zh), the live WebSocket, and WHEP signaling paths.
// Every path the console uses is listed in PATHS, so wiring to the API is one place.

import { hasCode, lang, tCode } from "./i18n.js";

export const API = "/api";

export const PATHS = {
  token: `${API}/auth/token`,
  me: `${API}/auth/me`,
  settings: `${API}/settings/console`,
  vehicles: `${API}/fleet`,
  vehicleCommand: (id, action) => `${API}/fleet/${encodeURIComponent(id)}/${action}`,
  incidents: `${API}/incidents`,
  incident: (id) => `${API}/incidents/${encodeURIComponent(id)}`,
  incidentAction: (id, action) => `${API}/incidents/${encodeURIComponent(id)}/${action}`,
  incidentRecord: (id) => `${API}/incidents/${encodeURIComponent(id)}/record`,
  proposal: `${API}/incidents/proposal`, // POST {playbook_id, latitude_deg, longitude_deg}
  playbooks: `${API}/playbooks`,
  templates: `${API}/templates`,
  planPreview: (templateId) => `${API}/templates/${encodeURIComponent(templateId)}/plan`,
  missions: `${API}/missions`,
  patrols: `${API}/patrols`,
  alerts: `${API}/alerts`,
  health: `${API}/health`,
  noFlyZones: `${API}/no-fly-zones`,
  audit: `${API}/audit`,
  auditVerify: `${API}/audit/verify`,
  ws: "/ws",
  whep: (id, mode = "auto") => `${API}/video/${encodeURIComponent(id)}/whep${mode === "auto" ? "" : `?mode=${mode}`}`,
};

/** An HTTP error with the server's problem details (code, params, detail, field, limit, status). */
export class ApiError extends Error {
  constructor(status, problem) {
    const detail = problem?.detail;
    const text = typeof detail === "string" ? detail : detail ? JSON.stringify(detail) : `HTTP ${status}`;
    super(text);
    this.status = status;
    this.problem = problem || {};
    this.field = problem?.field;
    this.limit = problem?.limit;
    this.code = problem?.code || (status ? `http.${status}` : "network");
    this.params = { status, ...(problem?.params || {}) };
  }

  /** A one-line reason for the operator, from the code in the console's language. */
  get reason() {
    return describeProblem(this.problem, this.status);
  }

  get missing() {
    return this.status === 404 || this.status === 405;
  }
}

/**
 * The operator's text of a problem body (or of one coded item: a plan's violation, a refusal):
 * its code rendered from the catalogs. Only in English, and only for a code the catalogs do
 * not know, the server's own English detail is shown instead of the generic text.
 */
export function describeProblem(problem, status = 0) {
  const body = problem && typeof problem === "object" ? problem : {};
  const code = body.code || (status ? `http.${status}` : "network");
  const params = { status, ...(body.params || {}) };
  if (lang() === "en" && !hasCode(code) && typeof body.detail === "string" && body.detail) return body.detail;
  return tCode(code, params);
}

/**
 * The text of a coded reason inside a server object (a patrol run, a fleet check, a record):
 * ``reason_code``/``reason_params`` or ``code``/``params`` rendered from the catalogs; an object
 * still without a code shows its ``reason`` text as the server gave it.
 */
export function describeReason(obj) {
  if (!obj || typeof obj !== "object") return obj == null ? "" : String(obj);
  const code = obj.reason_code ?? obj.code;
  if (code) return describeProblem({ code, params: obj.reason_params ?? obj.params ?? {}, detail: obj.reason ?? obj.detail });
  return String(obj.reason ?? obj.detail ?? "");
}

let token = sessionStorage.getItem("jinghang.token") || "";
let onUnauthorized = () => {};

export function getToken() {
  return token;
}

export function setToken(value) {
  token = value || "";
  if (token) sessionStorage.setItem("jinghang.token", token);
  else sessionStorage.removeItem("jinghang.token");
}

export function whenUnauthorized(fn) {
  onUnauthorized = fn;
}

async function parseBody(response) {
  const type = response.headers.get("content-type") || "";
  if (response.status === 204) return null;
  if (type.includes("json")) return response.json();
  const text = await response.text();
  return text;
}

/** Call the API; returns the parsed body or throws ApiError. */
export async function request(method, path, { body, query, form, headers = {} } = {}) {
  let url = path;
  if (query) {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) {
      if (v !== undefined && v !== null && v !== "") params.set(k, String(v));
    }
    const qs = params.toString();
    if (qs) url += (url.includes("?") ? "&" : "?") + qs;
  }
  const init = { method, headers: { Accept: "application/json", ...headers } };
  if (token) init.headers.Authorization = `Bearer ${token}`;
  if (form) {
    init.body = new URLSearchParams(form);
  } else if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(url, init);
  } catch (err) {
    throw new ApiError(0, { detail: `network: ${err.message}`, code: "network", params: {} });
  }
  const data = await parseBody(response).catch(() => null);
  if (!response.ok) {
    const problem = data && typeof data === "object" ? data : { detail: data || response.statusText, code: `http.${response.status}` };
    if (response.status === 401 && path !== PATHS.token) onUnauthorized();
    throw new ApiError(response.status, problem);
  }
  return data;
}

export const get = (path, query) => request("GET", path, { query });
export const post = (path, body) => request("POST", path, { body });
export const patch = (path, body) => request("PATCH", path, { body });
export const del = (path) => request("DELETE", path);

/** Unwrap list responses that come either bare or as {items: [...]} / {data: [...]}. */
export function asList(data, ...keys) {
  if (Array.isArray(data)) return data;
  if (!data || typeof data !== "object") return [];
  for (const key of [...keys, "items", "data", "results"]) {
    if (Array.isArray(data[key])) return data[key];
  }
  return [];
}

export async function login(username, password) {
  const data = await request("POST", PATHS.token, { form: { username, password, grant_type: "password" } });
  setToken(data.access_token);
  return data;
}

/**
 * The live stream: reconnects with back-off while a token is held. handlers.onMessage gets
 * each parsed message; handlers.onState gets "online" | "offline".
 */
export function openLive(handlers) {
  let socket = null;
  let stopped = false;
  let delay_ms = 500;
  const connect = () => {
    if (stopped || !token) return;
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    // the token goes in the first message, never in the URL (URLs end up in logs)
    socket = new WebSocket(`${scheme}://${location.host}${PATHS.ws}`);
    socket.onopen = () => {
      socket.send(JSON.stringify({ token }));
      delay_ms = 500;
      handlers.onState?.("online");
    };
    socket.onmessage = (ev) => {
      let message;
      try {
        message = JSON.parse(ev.data);
      } catch {
        return;
      }
      handlers.onMessage?.(message);
    };
    socket.onclose = (ev) => {
      handlers.onState?.("offline");
      if (ev.code === 4401) {
        onUnauthorized();
        return;
      }
      if (!stopped) setTimeout(connect, delay_ms);
      delay_ms = Math.min(delay_ms * 2, 8000);
    };
  };
  connect();
  return {
    close() {
      stopped = true;
      socket?.close();
    },
  };
}
