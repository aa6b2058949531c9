// The clinic's outcomes (GET /api/v1/outcomes): PHQ-9 change from baseline, response and
// remission rates and check-in adherence, overall, by modality and month by month, as charts with
// the same figures in tables; and the CSV export (one row per patient, audited).

import { api } from "./api.js";
import { clear, h, notice, svg, uniqueId } from "./dom.js";
import { downloadButton } from "./download.js";
import { modalityLabel } from "./format.js";

function percent(rate) {
  return rate === null || rate === undefined ? "–" : `${Math.round(rate * 100)}%`;
}

function number(value, digits = 1) {
  if (value === null || value === undefined) return "–";
  return Number.isInteger(value) ? String(value) : value.toFixed(digits);
}

function summary(overall) {
  const facts = [
    ["Patients", String(overall.patients)],
    ["Followed up (baseline and a later PHQ-9)", String(overall.followed_up)],
    ["PHQ-9, baseline to latest", overall.followed_up
      ? `${number(overall.mean_baseline)} → ${number(overall.mean_latest)} (${number(overall.mean_change)})` : "–"],
    ["Response (PHQ-9 down by half or more)", percent(overall.response_rate)],
    ["Remission (PHQ-9 below 5)", percent(overall.remission_rate)],
    ["Check-ins answered", overall.answered + overall.expired
      ? `${percent(overall.adherence)} (${overall.answered} of ${overall.answered + overall.expired})` : "–"],
  ];
  return h("dl", { class: "patient-facts outcomes-facts" },
    ...facts.map(([term, value]) => h("div", {}, h("dt", {}, term), h("dd", {}, value))));
}

/**
 * Horizontal bars, one group per row; each bar is `{ share, text }` (share 0 to 1 of the width,
 * null for none) and carries its value as text beside it, never colour alone.
 */
function barChart({ title, rows, series }) {
  const rowHeight = 22 * series.length + 14;
  const width = 640;
  const left = 150;
  const room = width - left - 170;
  const height = rows.length * rowHeight + 10;
  const titleId = uniqueId("bars-title");
  const root = svg("svg", { class: "outcomes-chart", viewBox: `0 0 ${width} ${height}`, role: "img",
    "aria-labelledby": titleId });
  root.append(svg("title", { id: titleId }, title));
  rows.forEach((row, i) => {
    const top = 10 + i * rowHeight;
    root.append(svg("text", { x: 0, y: top + 13, "font-size": 13, class: "chart-label" }, row.label));
    series.forEach((name, j) => {
      const { share, text } = row.values[j];
      const y = top + j * 22;
      const w = share === null || share === undefined ? 0 : Math.max(2, Math.min(1, share) * room);
      root.append(svg("rect", { x: left, y, width: w, height: 16, class: `bar bar-${j}` },
        svg("title", {}, `${row.label}, ${name}: ${text}`)));
      root.append(svg("text", { x: left + w + 6, y: y + 13, "font-size": 12, class: "chart-label" }, `${name} ${text}`));
    });
  });
  return root;
}

const rate = (value) => ({ share: value, text: percent(value) });

function modalityTable(byModality) {
  const rows = Object.entries(byModality);
  return h("table", { class: "data-table" },
    h("caption", { class: "visually-hidden" }, "Outcomes by modality"),
    h("thead", {}, h("tr", {}, ...["Modality", "Patients", "Followed up", "PHQ-9 change", "Response", "Remission",
      "Answered"].map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, ...rows.map(([code, f]) => h("tr", {},
      h("th", { scope: "row" }, modalityLabel(code)), h("td", {}, String(f.patients)),
      h("td", {}, String(f.followed_up)), h("td", {}, number(f.mean_change)), h("td", {}, percent(f.response_rate)),
      h("td", {}, percent(f.remission_rate)), h("td", {}, percent(f.adherence))))));
}

function monthTable(months) {
  return h("table", { class: "data-table" },
    h("caption", { class: "visually-hidden" }, "Outcomes month by month"),
    h("thead", {}, h("tr", {}, ...["Month", "PHQ-9s", "Mean PHQ-9", "Check-ins answered"]
      .map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, ...months.map((m) => h("tr", {},
      h("th", { scope: "row" }, m.month), h("td", {}, String(m.phq9_count)), h("td", {}, number(m.mean_phq9)),
      h("td", {}, m.answered + m.expired ? `${percent(m.adherence)} (${m.answered} of ${m.answered + m.expired})`
        : "–")))));
}

/** The outcomes page. Returns a cleanup function. */
export function outcomesView(main) {
  let alive = true;
  const body = h("div", {}, h("p", { class: "muted" }, "Loading…"));
  clear(main).append(h("div", { class: "page" },
    h("div", { class: "page-head" }, h("h1", { tabindex: "-1" }, "Outcomes"),
      downloadButton({ label: "Download outcomes (CSV)", path: "/outcomes/export", filename: "outcomes.csv",
        id: "outcomes-export" })),
    h("p", { class: "muted" }, "Each patient's first PHQ-9 is the baseline and the latest one is compared with it. ",
      "A patient's modality is that of their first session."),
    body));

  api("/outcomes").then((outcomes) => {
    if (!alive) return;
    const modalities = Object.entries(outcomes.by_modality);
    clear(body).append(
      h("section", { class: "panel", "aria-labelledby": "overall-heading" },
        h("h2", { id: "overall-heading" }, "The clinic"), summary(outcomes.overall)),
      h("section", { class: "panel", "aria-labelledby": "modality-heading" },
        h("h2", { id: "modality-heading" }, "By modality"),
        modalities.length
          ? [barChart({ title: "Response and remission by modality", series: ["Response", "Remission", "Answered"],
            rows: modalities.map(([code, f]) => ({ label: modalityLabel(code),
              values: [rate(f.response_rate), rate(f.remission_rate), rate(f.adherence)] })) }),
          modalityTable(outcomes.by_modality)]
          : h("p", { class: "muted" }, "No sessions recorded yet.")),
      h("section", { class: "panel", "aria-labelledby": "month-heading" },
        h("h2", { id: "month-heading" }, "Month by month"),
        outcomes.by_month.length
          ? [barChart({ title: "Mean PHQ-9 (of 27) and check-ins answered, month by month",
            series: ["Mean PHQ-9", "Answered"],
            rows: outcomes.by_month.map((m) => ({ label: m.month, values: [
              { share: m.mean_phq9 === null ? null : m.mean_phq9 / 27, text: number(m.mean_phq9) },
              rate(m.adherence)] })) }),
          monthTable(outcomes.by_month)]
          : h("p", { class: "muted" }, "No check-ins yet.")),
    );
  }).catch((error) => {
    if (alive) clear(body).append(notice("error", error.message));
  });
  return () => { alive = false; };
}
