// Mood charts drawn as SVG: the patient timeline and the small trend in the patient list.

import { svg, uniqueId } from "./dom.js";
import { dateOnly, dateTime, dayMonth, modalityLabel, toDate } from "./format.js";

const DAY = 24 * 60 * 60 * 1000;

function scale(domainStart, domainEnd, rangeStart, rangeEnd) {
  const span = domainEnd - domainStart || 1;
  return (value) => rangeStart + ((value - domainStart) / span) * (rangeEnd - rangeStart);
}

function formatBaseline(value) {
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}

/** Evenly spaced date ticks counted back from the end, at most `count` of them. */
function dateTicks(start, end, count) {
  const days = Math.max(1, Math.round((end - start) / DAY));
  const step = Math.max(1, Math.ceil(days / count)) * DAY;
  const ticks = [];
  for (let t = end; t >= start - 1; t -= step) ticks.unshift(t);
  return ticks;
}

/**
 * The timeline chart: mood answers (0-10) over time, the patient's baseline as a dashed line and each
 * treatment session as a marked vertical line. Every mark carries a <title> with its value and time.
 */
export function timelineChart({ points, baseline, sessions, now = Date.now() }) {
  const width = 880;
  const height = 260;
  const margin = { top: 26, right: 16, bottom: 30, left: 40 };
  const moods = points.map(([at, value]) => ({ at: toDate(at).getTime(), value }));
  const marks = sessions.map((s) => ({ ...s, at: toDate(s.started_at).getTime() }));
  const times = [...moods.map((m) => m.at), ...marks.map((m) => m.at)];
  // The range is the data's (with a little room either side); with no data, the last two weeks.
  const start = (times.length ? Math.min(...times) : now - 14 * DAY) - DAY / 2;
  const end = (times.length ? Math.max(...times) : now) + DAY / 4;
  const x = scale(start, end, margin.left, width - margin.right);
  const y = scale(0, 10, height - margin.bottom, margin.top);
  const titleId = uniqueId("chart-title");
  const descId = uniqueId("chart-desc");
  const latest = moods.length ? moods[moods.length - 1].value : null;
  const description = moods.length
    ? `${moods.length} mood answers from ${dateOnly(moods[0].at)} to ${dateOnly(moods[moods.length - 1].at)}; ` +
      `latest ${latest} of 10` +
      (baseline === null || baseline === undefined ? "; no baseline yet" : `; baseline ${formatBaseline(baseline)}`) +
      `; ${marks.length} treatment session${marks.length === 1 ? "" : "s"} marked.`
    : `No mood answers yet; ${marks.length} treatment session${marks.length === 1 ? "" : "s"} marked.`;

  const root = svg("svg", {
    class: "timeline-chart",
    viewBox: `0 0 ${width} ${height}`,
    role: "img",
    "aria-labelledby": `${titleId} ${descId}`,
    preserveAspectRatio: "xMidYMid meet",
  });
  root.append(svg("title", { id: titleId }, "Mood over time"), svg("desc", { id: descId }, description));

  // The low-mood zone (2 or below) is shaded and labelled, so it does not rely on colour.
  root.append(
    svg("rect", {
      class: "chart-low-zone", x: margin.left, y: y(2), width: width - margin.left - margin.right,
      height: y(0) - y(2),
    }),
    svg("text", { class: "chart-zone-label", x: margin.left + 6, y: y(0) - 5 }, "low mood (2 or less)"),
  );
  const grid = svg("g", { class: "chart-grid" });
  for (const value of [0, 2, 4, 6, 8, 10]) {
    grid.append(
      svg("line", { x1: margin.left, x2: width - margin.right, y1: y(value), y2: y(value) }),
      svg("text", { class: "chart-axis-label", x: margin.left - 8, y: y(value) + 4, "text-anchor": "end" },
        String(value)),
    );
  }
  for (const tick of dateTicks(start + DAY / 2, end, 8)) {
    grid.append(
      svg("text", { class: "chart-axis-label", x: x(tick), y: height - 10, "text-anchor": "middle" }, dayMonth(tick)),
    );
  }
  root.append(grid);

  const sessionLayer = svg("g", { class: "chart-sessions" });
  for (const mark of marks) {
    const label = `${modalityLabel(mark.modality)} session, ${dateTime(mark.started_at)}`;
    const nearRightEdge = x(mark.at) > width - margin.right - 60;
    sessionLayer.append(
      svg("g", { class: "session-mark", dataset: { sessionId: mark.id } },
        svg("title", {}, label),
        svg("line", { x1: x(mark.at), x2: x(mark.at), y1: margin.top - 6, y2: height - margin.bottom }),
        svg("path", {
          d: `M ${x(mark.at) - 6} ${margin.top - 16} h 12 v 8 l -6 6 l -6 -6 z`,
        }),
        nearRightEdge
          ? svg("text", { class: "session-label", x: x(mark.at) - 9, y: margin.top - 8, "text-anchor": "end" }, "Session")
          : svg("text", { class: "session-label", x: x(mark.at) + 9, y: margin.top - 8 }, "Session"),
      ),
    );
  }
  root.append(sessionLayer);

  if (baseline !== null && baseline !== undefined) {
    root.append(
      svg("g", { class: "chart-baseline" },
        svg("title", {}, `Baseline ${formatBaseline(baseline)} (median of recent moods)`),
        svg("line", { x1: margin.left, x2: width - margin.right, y1: y(baseline), y2: y(baseline) }),
        svg("text", { class: "chart-baseline-label", x: margin.left + 6, y: y(baseline) - 5 },
          `baseline ${formatBaseline(baseline)}`),
      ),
    );
  }

  if (moods.length) {
    const line = moods.map((m, i) => `${i ? "L" : "M"} ${x(m.at).toFixed(1)} ${y(m.value).toFixed(1)}`).join(" ");
    const moodLayer = svg("g", { class: "chart-mood" }, svg("path", { class: "mood-line", d: line }));
    for (const m of moods) {
      moodLayer.append(
        svg("circle", {
          class: m.value <= 2 ? "mood-point mood-point-low" : "mood-point",
          cx: x(m.at), cy: y(m.value), r: 4.5, dataset: { value: m.value },
        }, svg("title", {}, `Mood ${m.value} of 10, ${dateTime(m.at)}`)),
      );
    }
    root.append(moodLayer);
  } else {
    root.append(svg("text", { class: "chart-empty", x: width / 2, y: height / 2, "text-anchor": "middle" },
      "No mood answers yet"));
  }
  return root;
}

/** A small trend line of the latest moods, with the baseline dashed; described in words for assistive tech. */
export function sparkline(values, baseline) {
  const width = 120;
  const height = 32;
  const pad = 3;
  const label = values.length
    ? `Last ${values.length} moods: ${values.join(", ")}` +
      (baseline === null || baseline === undefined ? "" : `; baseline ${formatBaseline(baseline)}`)
    : "No moods yet";
  const root = svg("svg", { class: "sparkline", viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": label },
    svg("title", {}, label));
  if (!values.length) return root;
  const x = scale(0, Math.max(1, values.length - 1), pad, width - pad);
  const y = scale(0, 10, height - pad, pad);
  if (baseline !== null && baseline !== undefined) {
    root.append(svg("line", { class: "spark-baseline", x1: pad, x2: width - pad, y1: y(baseline), y2: y(baseline) }));
  }
  const d = values.map((v, i) => `${i ? "L" : "M"} ${x(i).toFixed(1)} ${y(v).toFixed(1)}`).join(" ");
  root.append(svg("path", { class: "spark-line", d }));
  const last = values[values.length - 1];
  root.append(svg("circle", { class: last <= 2 ? "spark-dot spark-dot-low" : "spark-dot", cx: x(values.length - 1),
    cy: y(last), r: 2.6 }));
  return root;
}
