// The audit trail: every recorded action with who took it, filterable by user, action, target,
// time and text; and a button that asks the server to verify the hash chain. Actions and the
// details' names and values are shown in the operator's language (the raw action stays in the
// row's data-action and filters match it).

import { PATHS, asList, describeProblem, get } from "./api.js";
import { actionName, detailText, onLangChange, t, targetName } from "./i18n.js";
import { on } from "./state.js";
import { h, formatTime, showError, toast } from "./ui.js";

const filters = { actor: "", action: "", target: "", since: "", until: "", text: "" };

function field(name, type = "text") {
  return h("label", {}, t(`audit.${name}`),
    h("input", { type, name, value: filters[name], id: `audit-${name}`, oninput: (ev) => { filters[name] = ev.target.value; } }));
}

function entryText(e) {
  return detailText(e.details ?? e.detail ?? e.data ?? e.payload);
}

/** The dispatcher acting on its own is named in the language; users by their name. */
function actorName(actor) {
  return actor === "dispatcher" ? t("pilot.dispatcher") : actor;
}

function row(e) {
  const target = [targetName(e.target_type), e.target_id ?? e.target].filter((x) => x != null && x !== "").join(" ");
  return h("tr", { dataset: { action: e.action ?? "", seq: e.seq ?? "" } },
    h("td", {}, formatTime(e.time ?? e.created_at ?? e.timestamp ?? e.at ?? e.time_s)),
    h("td", {}, actorName(e.actor ?? e.user ?? e.username ?? "")),
    h("td", { title: e.action ?? "" }, actionName(e.action)),
    h("td", {}, target),
    h("td", { class: "small" }, entryText(e)));
}

async function load() {
  const body = document.getElementById("audit-rows");
  if (!body) return;
  // the server matches the user exactly; action, target, time and text are matched here
  const query = { actor: filters.actor.trim(), limit: 1000, order: "desc" };
  try {
    let entries = asList(await get(PATHS.audit, query), "entries");
    // filter here too, so that a server that ignores a filter still shows what was asked for
    const has = (value, needle) => !needle || String(value ?? "").toLowerCase().includes(needle.toLowerCase());
    const since = filters.since ? new Date(filters.since).getTime() : -Infinity;
    const until = filters.until ? new Date(filters.until).getTime() : Infinity;
    entries = entries.filter((e) => {
      const at = new Date(e.created_at ?? e.time ?? 0).getTime();
      return has(e.action, filters.action)
        && has(`${e.target_type ?? ""} ${e.target_id ?? e.target ?? ""}`, filters.target)
        && has(JSON.stringify(e.details ?? e.detail ?? ""), filters.text)
        && (!Number.isFinite(at) || (at >= since && at <= until));
    });
    entries.sort((a, b) => (b.seq ?? 0) - (a.seq ?? 0));
    body.replaceChildren(...(entries.length ? entries.map(row) : [h("tr", {}, h("td", { colspan: 5, class: "muted" }, t("audit.empty")))]));
  } catch (err) {
    showError(err);
  }
}

async function verify() {
  try {
    const result = await get(PATHS.auditVerify);
    const ok = result?.ok ?? result?.valid ?? result?.intact;
    if (ok) toast(t("audit.verified_ok"));
    else toast(t("audit.verified_bad", { reason: describeProblem({ code: result?.code || "audit.chain", params: { seq: result?.first_bad_seq ?? "?" }, detail: result?.detail }) }), "error");
  } catch (err) {
    showError(err);
  }
}

function render() {
  const view = document.getElementById("audit-view");
  view.replaceChildren(
    h("div", { class: "panel-head" }, h("h2", {}, t("audit.title"))),
    h("form", { class: "filters", id: "audit-filters", onsubmit: (ev) => { ev.preventDefault(); load(); } },
      field("actor"), field("action"), field("target"), field("since", "datetime-local"), field("until", "datetime-local"), field("text"),
      h("button", { type: "submit", class: "primary", id: "audit-apply" }, t("audit.filter")),
      h("button", { type: "button", onclick: verify }, t("audit.verify"))),
    h("table", { class: "audit" },
      h("thead", {}, h("tr", {}, ["time", "actor", "action", "target", "detail"].map((k) => h("th", {}, t(`audit.${k}`))))),
      h("tbody", { id: "audit-rows" })));
}

export function showAudit() {
  render();
  load();
}

let reloadTimer = 0;

export function initAudit() {
  onLangChange(() => document.body.dataset.view === "audit" && showAudit());
  // new entries arrive on the live stream: refresh the open view (at most once a second)
  on("ws:audit", () => {
    if (document.body.dataset.view !== "audit" || reloadTimer) return;
    reloadTimer = setTimeout(() => {
      reloadTimer = 0;
      load();
    }, 1000);
  });
}
