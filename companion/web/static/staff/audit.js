// The clinic's audit log for admins (GET /api/v1/audit): who did what to which record, newest
// first, filtered by person, action, subject and dates.

import { api } from "./api.js";
import { announce, clear, h, notice, pager } from "./dom.js";
import { dateTime } from "./format.js";

const PAGE_SIZE = 50;
const FIELDS = [
  ["actor", "Who", "staff:12, patient:3 or system:safety"],
  ["action", "Action", "alert.ack, or alert. for every alert action"],
  ["subject", "Subject", "patient:3, alert:7"],
  ["since", "From", "a date, e.g. 2026-11-27"],
  ["until", "To", "a date, included"],
];
const remembered = { filters: {}, offset: 0 };

function detailText(detail) {
  const entries = Object.entries(detail || {});
  return entries.length ? entries.map(([k, v]) => `${k}: ${typeof v === "object" ? JSON.stringify(v) : v}`)
    .join("; ") : "";
}

function table(page) {
  return h("table", { class: "data-table audit-table" },
    h("caption", { class: "visually-hidden" }, "Audit events, newest first"),
    h("thead", {}, h("tr", {}, ...["When", "Who", "Action", "Subject", "Detail"]
      .map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, ...page.items.map((e) => h("tr", {},
      h("td", {}, h("time", { datetime: e.at }, dateTime(e.at))),
      h("td", {}, e.actor_name ? `${e.actor_name} (${e.actor})` : e.actor),
      h("td", {}, e.action), h("td", {}, e.subject), h("td", { class: "small" }, detailText(e.detail))))));
}

/** The audit-log page. Returns a cleanup function. */
export function auditView(main) {
  let alive = true;
  const results = h("div", { "aria-live": "polite" });
  const inputs = {};
  const form = h("form", { class: "filters audit-filters", id: "audit-filters" },
    ...FIELDS.map(([name, label, hint]) => {
      inputs[name] = h("input", { id: `audit-${name}`, name, type: "text", maxlength: 64,
        value: remembered.filters[name] || "", "aria-describedby": `audit-${name}-hint` });
      return h("div", { class: "field" }, h("label", { for: `audit-${name}` }, label), inputs[name],
        h("span", { class: "muted small", id: `audit-${name}-hint` }, hint));
    }),
    h("button", { type: "submit", class: "button" }, "Show"));

  function load(offset) {
    remembered.offset = offset;
    const query = { ...remembered.filters, limit: PAGE_SIZE, offset };
    api("/audit", { query }).then((page) => {
      if (!alive) return;
      clear(results).append(
        page.items.length ? table(page) : h("p", { class: "muted" }, "No audit events match."),
        pager(page, { size: PAGE_SIZE, goTo: load, id: "audit-range", empty: "No events" }));
      announce(`${page.total} audit events`);
    }).catch((error) => {
      if (alive) clear(results).append(notice("error", error.message));
    });
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    remembered.filters = Object.fromEntries(Object.entries(inputs).map(([k, el]) => [k, el.value.trim()]));
    load(0);
  });
  clear(main).append(h("div", { class: "page" },
    h("div", { class: "page-head" }, h("h1", { tabindex: "-1" }, "Audit log")),
    h("p", { class: "muted" }, "Every read and change of a patient's record, every alert action and every sign-in, ",
      "as the companion recorded it."),
    form, results));
  load(remembered.offset);
  return () => { alive = false; };
}
