// PHQ-9 and GAD-7 totals over time as SVG, with the severity bands shaded and named, the baseline
// dashed, treatment sessions marked, and (PHQ-9) the first score that is a response (down by half
// or more from the baseline) and the first that is a remission (below 5) marked and said in words.

import { h, svg, uniqueId } from "./dom.js";
import { dateOnly, dateTime, dayMonth, toDate } from "./format.js";

const DAY = 24 * 60 * 60 * 1000;
export const BANDS = {
  phq9: { max: 27, bands: [["minimal", 0, 4], ["mild", 5, 9], ["moderate", 10, 14], ["moderately severe", 15, 19],
    ["severe", 20, 27]] },
  gad7: { max: 21, bands: [["minimal", 0, 4], ["mild", 5, 9], ["moderate", 10, 14], ["severe", 15, 21]] },
};

function scale(d0, d1, r0, r1) {
  const span = d1 - d0 || 1;
  return (v) => r0 + ((v - d0) / span) * (r1 - r0);
}

/** The first point at which the course is a response, and the first at which it is a remission. */
export function milestones(points, baseline, since) {
  if (baseline === null || baseline === undefined) return { response: null, remission: null };
  const after = points.filter((p) => p.at > since);
  return {
    response: baseline > 0 ? after.find((p) => 2 * p.value <= baseline) || null : null,
    remission: after.find((p) => p.value < 5) || null,
  };
}

export function questionnaireChart({ instrument, title, checkins, baseline, sessions, judged }) {
  const { max, bands } = BANDS[instrument];
  const points = checkins.filter((c) => c.instrument === instrument && c.status === "complete" && c.total !== null)
    .map((c) => ({ at: toDate(c.completed_at || c.started_at).getTime(), value: c.total }));
  const figure = h("figure", { class: "chart-figure questionnaire-figure", dataset: { instrument } });
  if (!points.length) {
    figure.append(h("p", { class: "empty" }, `No ${title} results yet.`));
    return figure;
  }
  const width = 880;
  const height = 240;
  const margin = { top: 16, right: 150, bottom: 30, left: 40 };
  const marks = sessions.map((s) => toDate(s.started_at).getTime());
  const times = [...points.map((p) => p.at), ...marks];
  const start = Math.min(...times) - DAY / 2;
  const end = Math.max(...times) + DAY / 2;
  const x = scale(start, end, margin.left, width - margin.right);
  const y = scale(0, max, height - margin.bottom, margin.top);
  const since = marks.length ? Math.min(...marks) : -Infinity; // the course starts with the first session
  const found = judged ? milestones(points, baseline, since) : { response: null, remission: null };
  const latest = points[points.length - 1];
  const words = [`${points.length} ${title} results from ${dateOnly(points[0].at)} to ${dateOnly(latest.at)}`,
    `latest ${latest.value} of ${max}`,
    baseline === null || baseline === undefined ? "no baseline yet" : `baseline ${baseline}`];
  if (found.response) words.push(`a response from ${dateOnly(found.response.at)} (${found.response.value})`);
  if (found.remission) words.push(`a remission from ${dateOnly(found.remission.at)} (${found.remission.value})`);
  const titleId = uniqueId("q-title");
  const descId = uniqueId("q-desc");
  const root = svg("svg", { class: "timeline-chart questionnaire-chart", viewBox: `0 0 ${width} ${height}`,
    role: "img", "aria-labelledby": `${titleId} ${descId}`, dataset: { chart: instrument } },
  svg("title", { id: titleId }, `${title} over time`), svg("desc", { id: descId }, `${words.join("; ")}.`));
  bands.forEach(([name, from, to], i) => {
    const top = y(to + (i === bands.length - 1 ? 0 : 0.5));
    const bottom = y(Math.max(0, from - 0.5));
    root.append(svg("rect", { class: `band band-${i}`, x: margin.left, y: top, width: width - margin.left - margin.right,
      height: bottom - top }),
    svg("text", { class: "chart-axis-label band-label", x: width - margin.right + 8, y: (top + bottom) / 2 + 4 },
      `${name} (${from}–${to})`));
  });
  for (const at of marks) {
    root.append(svg("line", { class: "session-line", x1: x(at), x2: x(at), y1: margin.top, y2: height - margin.bottom },
      svg("title", {}, `Session, ${dateTime(at)}`)));
  }
  const stepDays = Math.max(1, Math.ceil((end - start) / DAY / 7));
  for (let t = end - DAY / 2; t >= start; t -= stepDays * DAY) {
    root.append(svg("text", { class: "chart-axis-label", x: x(t), y: height - 10, "text-anchor": "middle" }, dayMonth(t)));
  }
  for (const value of [0, 5, 10, 15, 20].filter((v) => v <= max)) {
    root.append(svg("text", { class: "chart-axis-label", x: margin.left - 8, y: y(value) + 4, "text-anchor": "end" },
      String(value)));
  }
  if (baseline !== null && baseline !== undefined) {
    root.append(svg("line", { class: "baseline-line", x1: margin.left, x2: width - margin.right, y1: y(baseline),
      y2: y(baseline) }, svg("title", {}, `Baseline ${baseline}`)));
  }
  const line = points.map((p, i) => `${i ? "L" : "M"} ${x(p.at).toFixed(1)} ${y(p.value).toFixed(1)}`).join(" ");
  root.append(svg("path", { class: "mood-line", d: line }));
  for (const p of points) {
    const marked = [p === found.response && "response", p === found.remission && "remission"].filter(Boolean);
    root.append(svg("circle", { class: ["mood-point", ...marked.map((m) => `point-${m}`)], cx: x(p.at), cy: y(p.value),
      r: marked.length ? 7 : 4.5, dataset: { value: p.value } },
    svg("title", {}, `${title} ${p.value}, ${dateTime(p.at)}${marked.length ? ` (${marked.join(" and ")})` : ""}`)));
    marked.forEach((m, i) => root.append(svg("text", { class: "chart-axis-label milestone-label", x: x(p.at) + 9,
      y: y(p.value) - 8 - i * 14 }, m)));
  }
  figure.append(root, h("figcaption", { class: "muted small" }, `${words.join("; ")}.`));
  return figure;
}

/** The panel with both questionnaires' charts, from the patient's timeline. */
export function questionnairePanel(timeline) {
  return h("section", { class: "panel chart-panel", "aria-labelledby": "questionnaires-heading" },
    h("h2", { id: "questionnaires-heading" }, "PHQ-9 and GAD-7"),
    questionnaireChart({ instrument: "phq9", title: "PHQ-9", checkins: timeline.checkins,
      baseline: timeline.phq9.baseline, sessions: timeline.sessions, judged: true }),
    questionnaireChart({ instrument: "gad7", title: "GAD-7", checkins: timeline.checkins,
      baseline: timeline.gad7.baseline, sessions: timeline.sessions, judged: false }));
}
