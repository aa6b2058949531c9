// History charts drawn as inline SVG: values over time, with treatment sessions as vertical lines
// and, for questionnaires, the severity bands shaded and named. Each chart carries a text title
// and description, and a table of the same numbers sits beside it for screen readers.

const SVG = "http://www.w3.org/2000/svg";
const WIDTH = 340;
const HEIGHT = 220;
const MARGIN = { top: 14, right: 12, bottom: 28, left: 34 };
const DAY = 24 * 60 * 60 * 1000;

export const PHQ9_BANDS = [
  { from: 0, to: 4, key: "minimal", label: "Minimal", fill: "#e3f1ec" },
  { from: 5, to: 9, key: "mild", label: "Mild", fill: "#edf2dc" },
  { from: 10, to: 14, key: "moderate", label: "Moderate", fill: "#fbf0d6" },
  { from: 15, to: 19, key: "moderately_severe", label: "Moderately severe", fill: "#f9e3d2" },
  { from: 20, to: 27, key: "severe", label: "Severe", fill: "#f5d9d5" },
];

export const GAD7_BANDS = [
  { from: 0, to: 4, key: "minimal", label: "Minimal", fill: "#e3f1ec" },
  { from: 5, to: 9, key: "mild", label: "Mild", fill: "#edf2dc" },
  { from: 10, to: 14, key: "moderate", label: "Moderate", fill: "#fbf0d6" },
  { from: 15, to: 21, key: "severe", label: "Severe", fill: "#f5d9d5" },
];

const shortDate = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric" });

export function formatDay(date) {
  return shortDate.format(date);
}

function el(name, attributes = {}, text) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

function bandOf(bands, value) {
  return bands.find((band) => value >= band.from && value <= band.to) || null;
}

let chartCount = 0;

/**
 * points: [{at: Date, value: number}] in time order; sessions: [Date]; bands: optional list as above.
 * Returns an <svg> element.
 */
export function timeChart({ name, title, description, points, sessions = [], min, max, ticks, bands = null }) {
  chartCount += 1;
  const id = `chart-${name}-${chartCount}`;
  const svg = el("svg", {
    class: "chart",
    viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
    role: "img",
    "aria-labelledby": `${id}-title ${id}-desc`,
    "data-chart": name,
  });
  svg.append(el("title", { id: `${id}-title` }, title), el("desc", { id: `${id}-desc` }, description));

  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const times = [...points.map((p) => p.at.getTime()), ...sessions.map((s) => s.getTime())];
  let start = Math.min(...times);
  let end = Math.max(...times);
  if (!Number.isFinite(start)) {
    start = Date.now() - 7 * DAY;
    end = Date.now();
  }
  if (end - start < 6 * DAY) {
    const middle = (start + end) / 2;
    start = middle - 3 * DAY;
    end = middle + 3 * DAY;
  }
  const pad = (end - start) * 0.06;
  start -= pad;
  end += pad;
  const x = (time) => MARGIN.left + ((time - start) / (end - start)) * plotWidth;
  const y = (value) => MARGIN.top + (1 - (value - min) / (max - min)) * plotHeight;

  if (bands) {
    const group = el("g", { class: "bands" });
    for (const band of bands) {
      // A band covers its whole scores: from half a point below its lowest to half above its highest.
      const top = y(Math.min(max, band.to + 0.5));
      const bottom = y(Math.max(min, band.from - 0.5));
      group.append(
        el("rect", {
          class: "band",
          "data-band": band.key,
          x: MARGIN.left,
          y: top,
          width: plotWidth,
          height: bottom - top,
          fill: band.fill,
        }),
      );
      group.append(
        el(
          "text",
          { class: "band-label", x: MARGIN.left + 6, y: top + 13, "data-band": band.key },
          `${band.label} ${band.from}–${band.to}`,
        ),
      );
    }
    svg.append(group);
  }

  const axes = el("g", { class: "axes" });
  for (const tick of ticks) {
    axes.append(el("line", { class: "grid", x1: MARGIN.left, x2: WIDTH - MARGIN.right, y1: y(tick), y2: y(tick) }));
    axes.append(el("text", { x: MARGIN.left - 6, y: y(tick) + 4, "text-anchor": "end" }, String(tick)));
  }
  axes.append(
    el("line", { class: "axis", x1: MARGIN.left, x2: WIDTH - MARGIN.right, y1: y(min), y2: y(min) }),
    el("line", { class: "axis", x1: MARGIN.left, x2: MARGIN.left, y1: MARGIN.top, y2: y(min) }),
  );
  const labelCount = 3;
  for (let i = 0; i < labelCount; i += 1) {
    const time = start + pad + ((end - start - 2 * pad) * i) / (labelCount - 1);
    const anchor = i === 0 ? "start" : i === labelCount - 1 ? "end" : "middle";
    axes.append(el("text", { x: x(time), y: HEIGHT - 8, "text-anchor": anchor }, formatDay(new Date(time))));
  }
  svg.append(axes);

  const marks = el("g", { class: "sessions" });
  for (const session of sessions) {
    const line = el("line", {
      class: "session",
      x1: x(session.getTime()),
      x2: x(session.getTime()),
      y1: MARGIN.top,
      y2: y(min),
    });
    line.append(el("title", {}, `Treatment session, ${formatDay(session)}`));
    marks.append(line);
  }
  svg.append(marks);

  if (points.length > 1) {
    const path = points.map((p, i) => `${i ? "L" : "M"}${x(p.at.getTime()).toFixed(1)},${y(p.value).toFixed(1)}`);
    svg.append(el("path", { class: "trend", d: path.join(" ") }));
  }
  const dots = el("g", { class: "points" });
  for (const point of points) {
    const band = bands ? bandOf(bands, point.value) : null;
    const dot = el("circle", {
      class: "point",
      cx: x(point.at.getTime()),
      cy: y(point.value),
      r: 5.5,
      "data-value": point.value,
    });
    dot.append(el("title", {}, `${formatDay(point.at)}: ${point.value}${band ? ` (${band.label.toLowerCase()})` : ""}`));
    dots.append(dot);
  }
  svg.append(dots);
  return svg;
}

export function bandLabel(bands, value) {
  const band = bandOf(bands, value);
  return band ? band.label : "";
}
