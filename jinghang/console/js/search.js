// Search boxes over the case list and the fleet list: a client-side filter by name or title.
// Each box sits above its list; the rows it hides stay rendered (the lists redraw themselves
// as state changes, so the filter is applied again whenever a list's rows change).

import { onLangChange, t } from "./i18n.js";
import { h } from "./ui.js";

/** What a row is found by: its name/title text (lower case). */
function rowText(row, nameSelector) {
  const parts = [...row.querySelectorAll(nameSelector)].map((el) => el.textContent || "");
  return parts.join(" ").toLowerCase();
}

function attach(listId, rowSelector, nameSelector, labelKey, id) {
  const list = document.getElementById(listId);
  if (!list || document.getElementById(id)) return;
  const input = h("input", { type: "search", id, class: "list-search", autocomplete: "off" });
  const empty = h("p", { class: "muted small search-empty", id: `${id}-empty`, hidden: true });
  const label = () => {
    input.placeholder = t("search.placeholder");
    input.setAttribute("aria-label", t(labelKey));
    input.title = t(labelKey);
  };
  label();
  onLangChange(label);
  let applying = false;
  const apply = () => {
    if (applying) return;
    applying = true;
    const words = input.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
    let shown = 0;
    const rows = list.querySelectorAll(rowSelector);
    for (const row of rows) {
      const text = rowText(row, nameSelector);
      const match = words.every((w) => text.includes(w));
      row.hidden = !match;
      if (match) shown += 1;
    }
    empty.hidden = !words.length || shown > 0 || !rows.length;
    empty.textContent = t("search.no_match", { text: input.value.trim() });
    applying = false;
  };
  input.addEventListener("input", apply);
  new MutationObserver(apply).observe(list, { childList: true, subtree: true, characterData: true });
  list.before(input);
  list.after(empty);
}

export function initSearch() {
  attach("incident-list", ".incident-row", ".incident-head b, .case-title", "search.cases", "case-search");
  attach("fleet-list", ".drone-card", ".drone-name", "search.fleet", "fleet-search");
}
