// Small DOM helpers. Text always goes in as text nodes, never as HTML.

const SVG_NS = "http://www.w3.org/2000/svg";

function apply(el, props) {
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") el.setAttribute("class", Array.isArray(value) ? value.filter(Boolean).join(" ") : value);
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (key === "text") el.textContent = value;
    else if (value === true) el.setAttribute(key, "");
    else el.setAttribute(key, String(value));
  }
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** h("p", {class: "x"}, "text", child, ...) */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  apply(el, props);
  append(el, children);
  return el;
}

export function svg(tag, props, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  apply(el, props);
  append(el, children);
  return el;
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

let uid = 0;
export function uniqueId(prefix) {
  uid += 1;
  return `${prefix}-${uid}`;
}

/** Say something to screen-reader users without moving focus. */
export function announce(message) {
  const region = document.getElementById("announcer");
  if (!region) return;
  region.textContent = "";
  window.setTimeout(() => {
    region.textContent = message;
  }, 50);
}

/** Show or hide the page-wide error banner. */
export function banner(message) {
  const el = document.getElementById("banner");
  if (!el) return;
  el.textContent = message || "";
  el.hidden = !message;
}

/** An inline message box: kind is "error", "success" or "info". */
export function notice(kind, message, props = {}) {
  return h(
    "div",
    { class: `notice notice-${kind}`, role: kind === "error" ? "alert" : "status", ...props },
    message,
  );
}

// The pager under a list read page by page ({ items, total, offset }): "1–25 of 80" and two
// buttons that ask for the page before or after (goTo(offset)).
export function pager(page, { size, goTo, id, empty, before = "← Previous", after = "Next →" }) {
  const first = page.total ? page.offset + 1 : 0;
  const last = page.offset + page.items.length;
  const prev = h("button", { type: "button", class: "button button-quiet", disabled: page.offset === 0 }, before);
  const next = h("button", { type: "button", class: "button button-quiet", disabled: last >= page.total }, after);
  prev.addEventListener("click", () => goTo(Math.max(0, page.offset - size)));
  next.addEventListener("click", () => goTo(page.offset + size));
  return h("div", { class: "pager" }, h("span", { class: "muted", id },
    page.total ? `${first}–${last} of ${page.total}` : empty), prev, next);
}
