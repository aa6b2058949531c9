// The clinic's safety protocol (admins only; the API refuses everyone else): the version in use,
// storing a new one from a .toml file or pasted text (refusals listed place by place), and the
// history with its differences and roll-back (protocol-history.js).

import { ApiError, api, clinicOf } from "./api.js";
import { clear, h, notice } from "./dom.js";
import { dateTime } from "./format.js";
import { historyPanel, refusal } from "./protocol-history.js";

function errorText(error) {
  return error instanceof ApiError ? error.message : String(error);
}

function byWhom(person) {
  return person ? ` by ${person.name}` : "";
}

function fact(label, value) {
  return h("div", {}, h("dt", {}, label), h("dd", {}, value));
}

function activePanel(active) {
  return h("section", { class: "panel", id: "protocol-active", "aria-labelledby": "active-heading" },
    h("h2", { id: "active-heading" }, "The protocol in use"),
    active.stored ? null : notice("info", "No version is stored for this clinic yet: it uses the seed file."),
    h("dl", { class: "patient-facts protocol-facts" },
      fact("Version", active.number ? `${active.number} · ${active.label}` : active.label),
      active.stored ? fact("Stored", `${dateTime(active.created_at)}${byWhom(active.created_by)}`) : null,
      active.stored ? fact("Active since", `${dateTime(active.activated_at)}${byWhom(active.activated_by)}`) : null,
      fact("From", active.origin)),
    h("h3", { class: "section-title" }, "What it does"),
    h("pre", { class: "protocol-summary", id: "protocol-summary", tabindex: "0",
      "aria-label": "Summary of the protocol in use" }, active.summary),
    h("details", { class: "protocol-text" }, h("summary", {}, "The file as stored (TOML)"),
      h("pre", { class: "protocol-file", tabindex: "0", "aria-label": "The protocol file in use" }, active.text)));
}

function uploadForm({ base, known, onStored }) {
  const file = h("input", { type: "file", id: "protocol-file", accept: ".toml,application/toml,text/plain",
    "aria-describedby": "protocol-file-hint" });
  const text = h("textarea", { id: "protocol-text", rows: 12, spellcheck: "false", class: "mono",
    "aria-describedby": "protocol-text-hint" });
  const activate = h("input", { type: "checkbox", id: "protocol-activate", checked: true });
  const feedback = h("div", { class: "form-message", id: "protocol-upload-message" });
  const submit = h("button", { type: "submit", class: "button button-primary", id: "protocol-submit" },
    "Store the new version");

  file.addEventListener("change", async () => {
    const chosen = file.files && file.files[0];
    if (!chosen) return;
    text.value = await chosen.text();
    clear(feedback).append(notice("info", `${chosen.name} loaded below: check it, then store it.`));
  });

  const form = h("form", { class: "protocol-upload", id: "protocol-upload", novalidate: true,
    "aria-labelledby": "upload-heading" },
  h("h2", { id: "upload-heading" }, "Store a new version"),
  h("p", { class: "hint" }, "Start from the file in use, change its version label and what you need, and store it. "
    + "It is checked against this clinic's staff before it is kept."),
  h("div", { class: "field" }, h("label", { for: "protocol-file" }, "A protocol file (.toml)"), file,
    h("p", { class: "hint", id: "protocol-file-hint" }, "Choosing a file puts its text in the box below.")),
  h("div", { class: "field" }, h("label", { for: "protocol-text" }, "The protocol (TOML)"), text,
    h("p", { class: "hint", id: "protocol-text-hint" }, "Or paste or edit the text here.")),
  h("div", { class: "field field-check" }, activate,
    h("label", { for: "protocol-activate" }, "Use it at once (otherwise it is stored for later)")),
  feedback,
  h("div", { class: "form-actions" }, submit));

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clear(feedback);
    if (!text.value.trim()) {
      feedback.append(notice("error", "Choose a file or paste the protocol first."));
      text.focus();
      return;
    }
    submit.disabled = true;
    try {
      const stored = await api(base, { method: "PUT", text: text.value, contentType: "application/toml",
        query: { activate: activate.checked ? "true" : "false" } });
      submit.disabled = false;
      if (known().has(stored.number)) {
        feedback.append(notice("info", `This is the text of version ${stored.number} already: nothing was stored.`));
        return;
      }
      text.value = "";
      file.value = "";
      await onStored(`Version ${stored.number} (${stored.label}) stored${stored.active ? " and in use" : ""}.`);
    } catch (error) {
      submit.disabled = false;
      if (error instanceof ApiError && error.status === 401) return;
      feedback.append(refusal(error, "protocol-refused"));
    }
  });
  return h("section", { class: "panel" }, form);
}

/** The protocol page. Returns a cleanup function. */
export function protocolView(main, ctx) {
  let alive = true;
  const base = `/clinics/${clinicOf(ctx.session())}/protocol`;
  let numbers = new Set();
  const message = h("div", { class: "form-message", id: "protocol-message", tabindex: "-1" });
  const activeBody = h("div", {}, h("p", { class: "muted" }, "Loading…"));
  const historyBody = h("div", {});
  const page = h("div", { class: "page" },
    h("div", { class: "page-head" }, h("h1", { tabindex: "-1" }, "Safety protocol")),
    message, activeBody);
  clear(main).append(page);

  async function load() {
    const [active, versions] = await Promise.all([api(base), api(`${base}/versions`)]);
    if (!alive) return;
    numbers = new Set(versions.map((v) => v.number));
    clear(activeBody).append(activePanel(active));
    clear(historyBody).append(historyPanel({ base, versions, onActivated: changed }));
  }

  async function changed(text) {
    await load();
    ctx.refreshOncall();
    if (!alive) return;
    clear(message).append(notice("success", text, { id: "protocol-changed" }));
    message.focus();
  }

  load().then(() => {
    if (alive) page.append(uploadForm({ base, known: () => numbers, onStored: changed }), historyBody);
  }).catch((error) => {
    if (!alive || (error instanceof ApiError && error.status === 401)) return;
    const text = error instanceof ApiError && error.forbidden
      ? `${error.message} The protocol page is for admins.` : errorText(error);
    clear(activeBody).append(notice("error", text, { id: "protocol-error" }),
      h("p", {}, h("a", { href: "#/alerts" }, "Back to alerts")));
  });
  return () => {
    alive = false;
  };
}
