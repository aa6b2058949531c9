// Patients: each with the latest scores, the mood trend, missed check-ins and open alerts.

import { ApiError, api, can, getSession } from "./api.js";
import { severityBadge } from "./alerts.js";
import { sparkline } from "./chart.js";
import { announce, clear, h, notice, pager } from "./dom.js";
import { bandLabel, dateOnly, plural, setClinicZone, statusLabel } from "./format.js";

const PAGE_SIZE = 25;

// The list remembers its search and page while the tab is open (never in the URL).
const remembered = { search: "", status: "", consent: "", alert: "", missed: "", sort: "reference", offset: 0 };

// Each select of the filter bar: [query key, label, options as [value, text]].
const SELECTS = [
  ["status", "Status", [["", "Any status"], ["active", "Active"], ["paused", "Paused"], ["discharged", "Discharged"]]],
  ["alert", "Open alerts", [["", "Any or none"], ["any", "Any open alert"], ["high", "High or urgent"],
    ["urgent", "Urgent"], ["none", "No open alert"]]],
  ["missed", "Missed check-ins", [["", "Any"], ["true", "Missed in 14 days"], ["false", "None missed"]]],
  ["consent", "SMS consent", [["", "Any"], ["opted_in", "Opted in"], ["pending", "Waiting for YES"],
    ["opted_out", "Opted out"]]],
  ["sort", "Sort by", [["reference", "Reference"], ["name", "Name"], ["alert", "Most severe alert"],
    ["missed", "Most missed"], ["newest", "Newest"]]],
];
const FILTERS = ["search", "status", "alert", "missed", "consent"];

function trendWords(item) {
  const latest = item.latest_mood ? item.latest_mood.value : null;
  if (latest === null || item.mood_baseline === null || item.mood_baseline === undefined) return null;
  const diff = Math.round((latest - item.mood_baseline) * 10) / 10;
  if (diff === 0) return h("span", { class: "trend trend-flat" }, "at baseline");
  const below = diff < 0;
  return h("span", { class: ["trend", below ? "trend-down" : "trend-up", below && diff <= -4 && "trend-alarm"] },
    h("span", { "aria-hidden": "true" }, below ? "▼ " : "▲ "),
    `${Math.abs(diff)} ${below ? "below" : "above"} baseline`);
}

function score(summary) {
  if (!summary) return h("span", { class: "muted" }, "—");
  return h("span", {}, h("strong", {}, String(summary.total)), " ",
    h("span", { class: "band" }, bandLabel(summary.band)),
    h("span", { class: "muted small block" }, dateOnly(summary.at)));
}

function row(item) {
  const mood = item.latest_mood;
  const missed = item.missed_checkins;
  return h("tr", { dataset: { patientId: item.id } },
    h("th", { scope: "row" },
      h("a", { href: `#/patients/${item.id}`, class: "patient-ref" }, item.reference),
      h("span", { class: "patient-name" }, item.display_name)),
    h("td", {}, h("span", { class: ["status-chip", `status-chip-${item.status}`] }, statusLabel(item.status)),
      item.sms_consent === "pending" && item.channel !== "app"
        ? h("span", { class: "status-chip status-chip-consent-pending block-chip" }, "SMS consent pending") : null),
    h("td", { class: "cell-alerts" },
      item.open_alerts
        ? h("span", {}, severityBadge(item.highest_open_severity, { small: true }),
          h("span", { class: "small" }, ` ${plural(item.open_alerts, "open alert")}`))
        : h("span", { class: "muted" }, "None")),
    h("td", { class: "cell-mood" },
      mood
        ? h("span", {}, h("strong", { class: mood.value <= 2 ? "mood-low" : null }, `${mood.value}`),
          h("span", { class: "muted" }, " /10"), h("span", { class: "muted small block" }, dateOnly(mood.at)))
        : h("span", { class: "muted" }, "—")),
    h("td", { class: "cell-trend" }, sparkline(item.mood_trend.map((p) => p.value), item.mood_baseline),
      trendWords(item)),
    h("td", {}, score(item.phq9)),
    h("td", {}, score(item.gad7)),
    h("td", { class: "cell-missed" },
      h("span", { class: missed ? "missed" : "muted" }, missed ? `${missed} in 14 days` : "None"),
      item.missed_in_a_row
        ? h("span", { class: ["small", "block", item.missed_in_a_row >= 3 && "missed-streak"] },
          `${item.missed_in_a_row} in a row`)
        : null,
      // No text (no consent) and no notifications: nothing reaches the patient outside the app.
      item.reached_outside_app === false
        ? h("span", { class: ["small", "block", "missed-streak", "unreached"] }, "Not reached outside the app")
        : null),
  );
}

/** The patients page. Returns a cleanup function. */
export function patientsView(main) {
  const heading = h("h1", { tabindex: "-1" }, "Patients");
  const search = h("input", {
    type: "search", id: "patient-search", name: "search", maxlength: 32, autocomplete: "off",
    spellcheck: "false", placeholder: "e.g. P-10 or Rivera",
  });
  search.value = remembered.search;
  const selects = Object.fromEntries(SELECTS.map(([key, , options]) => [key,
    h("select", { id: `patient-${key}`, name: key },
      options.map(([value, label]) => h("option", { value, selected: value === remembered[key] }, label)))]));
  const form = h("form", { class: "filters", role: "search", "aria-label": "Find patients" },
    h("div", { class: "field" }, h("label", { for: "patient-search" }, "Reference or name"), search),
    ...SELECTS.map(([key, label]) => h("div", { class: "field" }, h("label", { for: `patient-${key}` }, label),
      selects[key])),
    h("button", { type: "submit", class: "button button-secondary" }, "Search"),
  );
  const body = h("div", { class: "patients-body" });
  const enrol = can(getSession(), "enrol-patient")
    ? h("a", { href: "#/patients/new", class: "button button-primary", id: "enrol-link" }, "Enrol a patient") : null;
  clear(main).append(h("div", { class: "page" }, h("div", { class: "page-head" }, heading, enrol, form), body));

  let alive = true;
  let timer = null;

  async function load() {
    body.setAttribute("aria-busy", "true");
    try {
      const page = await api("/patients/overview", {
        query: { search: remembered.search, status: remembered.status, alert: remembered.alert,
          missed: remembered.missed, consent: remembered.consent, sort: remembered.sort, limit: PAGE_SIZE,
          offset: remembered.offset },
      });
      if (!alive) return;
      setClinicZone(page.clinic_timezone);
      draw(page);
    } catch (error) {
      if (!alive || (error instanceof ApiError && error.status === 401)) return;
      clear(body).append(notice("error", error instanceof ApiError ? error.message : String(error)));
    } finally {
      body.setAttribute("aria-busy", "false");
    }
  }

  function pages(page) {
    const goTo = (offset) => {
      remembered.offset = offset;
      load();
    };
    return pager(page, { size: PAGE_SIZE, id: "patients-range", empty: "No patients", goTo });
  }

  function draw(page) {
    clear(body);
    if (!page.items.length) {
      body.append(h("p", { class: "empty" }, FILTERS.some((key) => remembered[key])
        ? "No patients match this search." : "No patients yet."), pages(page));
      return;
    }
    const table = h("table", { class: "data-table patients-table" },
      h("caption", { class: "visually-hidden" }, "Patients with latest scores, mood trend and missed check-ins"),
      h("thead", {}, h("tr", {},
        ["Patient", "Status", "Open alerts", "Latest mood", "Mood trend (last 7)", "PHQ-9", "GAD-7", "Missed check-ins"]
          .map((label) => h("th", { scope: "col" }, label)))),
      h("tbody", {}, page.items.map(row)),
    );
    body.append(h("div", { class: "table-wrap" }, table), pages(page));
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    remembered.search = search.value.trim();
    for (const [key, select] of Object.entries(selects)) remembered[key] = select.value;
    remembered.offset = 0;
    load().then(() => announce("Patient list updated."));
  });
  for (const select of Object.values(selects)) select.addEventListener("change", () => form.requestSubmit());
  search.addEventListener("input", () => {
    window.clearTimeout(timer);
    timer = window.setTimeout(() => form.requestSubmit(), 400);
  });

  load();
  return () => {
    alive = false;
    window.clearTimeout(timer);
  };
}
