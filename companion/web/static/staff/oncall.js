// On call: who holds each position now and next, and each position's rotation, handoff and cover.
// Every staff member reads it; admins set a rotation and its handoff, and add or remove cover.

import { ApiError, api, can, clinicOf } from "./api.js";
import { clear, h, notice } from "./dom.js";
import { dateTime, handoffLabel, positionLabel } from "./format.js";
import { overrideForm, rotationForm } from "./oncall-edit.js";
import { shiftText } from "./oncallbar.js";

function errorText(error) {
  return error instanceof ApiError ? error.message : String(error);
}

function shiftCell(shift) {
  return h("td", {}, shiftText(shift),
    shift && shift.override ? h("span", { class: "status-chip status-chip-cover" }, "cover") : null);
}

/** Who holds each position now and next, with its warning (also on the team page). */
export function boardTable(board) {
  if (!board.length) return h("p", { class: "empty" }, "The protocol names no on-call positions.");
  return h("div", { class: "table-wrap" }, h("table", { class: "data-table oncall-board", id: "oncall-board" },
    h("thead", {}, h("tr", {}, ["Position", "On call now", "Next", "Warning"]
      .map((label) => h("th", { scope: "col" }, label)))),
    h("tbody", {}, board.map((entry) => h("tr", { id: `oncall-row-${entry.position}`,
      dataset: { position: entry.position } },
      h("th", { scope: "row" }, h("a", { href: `#/oncall`, dataset: { jump: entry.position } },
        positionLabel(entry.position))),
      shiftCell(entry.now), shiftCell(entry.next),
      h("td", { class: entry.warning ? "oncall-warning-cell" : "muted" }, entry.warning || "none"))))));
}

function isCurrent(override, now) {
  return Date.parse(override.starts_at) <= now && now < Date.parse(override.ends_at);
}

function overridesTable(row, { admin, onRemove }) {
  const name = row.name;
  if (!row.overrides.length) return h("p", { class: "empty", id: `overrides-${name}` }, "No cover set.");
  const now = Date.now();
  return h("div", { class: "table-wrap" }, h("table", { class: "data-table", id: `overrides-${name}` },
    h("caption", { class: "visually-hidden" }, `Cover for ${positionLabel(name)}`),
    h("thead", {}, h("tr", {}, ["Who", "From", "Until", "Note", admin ? "Action" : null].filter(Boolean)
      .map((label) => h("th", { scope: "col" }, label)))),
    h("tbody", {}, row.overrides.map((o) => h("tr", { id: `override-${o.id}`, dataset: { overrideId: o.id } },
      h("th", { scope: "row" }, o.staff.name || `staff #${o.staff.staff_id}`,
        isCurrent(o, now) ? h("span", { class: "status-chip status-chip-active" }, "now") : null),
      h("td", {}, dateTime(o.starts_at)), h("td", {}, dateTime(o.ends_at)),
      h("td", { class: "note-cell" }, o.note || "—"),
      admin ? h("td", {}, h("button", { type: "button", class: "button button-quiet", id: `remove-override-${o.id}`,
        "aria-label": `Remove cover by ${o.staff.name || "staff"} from ${dateTime(o.starts_at)}`,
        onclick: (event) => onRemove(o, event.currentTarget) }, "Remove")) : null)))));
}

function rotationList(row) {
  if (!row || !row.rotation.length) {
    return h("p", { class: "muted", id: `rotation-${row ? row.name : "none"}` },
      "This position follows the protocol's rota (staff named by email) until the clinic sets its own rotation.");
  }
  return h("ol", { class: "rotation-list", id: `rotation-${row.name}` },
    row.rotation.map((person) => h("li", {}, person.name || `staff #${person.staff_id}`)));
}

/** The on-call page. Returns a cleanup function. */
export function oncallView(main, ctx) {
  const session = ctx.session();
  const admin = can(session, "manage-oncall");
  const base = `/clinics/${clinicOf(session)}/oncall`;
  let alive = true;
  let shown = ""; // the board the table shows, as JSON
  const message = h("div", { class: "form-message", id: "oncall-message", tabindex: "-1" });
  const boardBody = h("div", {}, h("p", { class: "muted" }, "Loading…"));
  const positionsBody = h("div", {});
  clear(main).append(h("div", { class: "page" },
    h("div", { class: "page-head" }, h("h1", { tabindex: "-1" }, "On call"),
      h("p", { class: "muted" }, admin ? "Times are the clinic's. Changes are recorded in the audit log."
        : "Times are the clinic's. An admin sets rotations and cover.")),
    message,
    h("section", { class: "panel", "aria-labelledby": "board-heading" },
      h("h2", { id: "board-heading" }, "Who is on call"), boardBody),
    positionsBody));

  function said(kind, text) {
    clear(message).append(notice(kind, text));
    message.focus();
  }

  async function removeOverride(override, button) {
    const feedback = document.getElementById(`override-message-${override.id}`)
      || h("div", { class: "form-message", id: `override-message-${override.id}` });
    button.disabled = true;
    try {
      await api(`${base}/overrides/${override.id}`, { method: "DELETE" });
      await reload(`Cover by ${override.staff.name || "staff"} removed.`);
    } catch (error) {
      if (!alive || (error instanceof ApiError && error.status === 401)) return;
      button.disabled = false;
      clear(feedback).append(notice("error", errorText(error)));
      button.closest("td").append(feedback);
    }
  }

  function positionPanel(name, row, staff) {
    const heading = `position-${name}-heading`;
    return h("section", { class: "panel oncall-position", id: `position-${name}`, "aria-labelledby": heading,
      dataset: { position: name } },
    h("h2", { id: heading, tabindex: "-1" }, positionLabel(name)),
    h("div", { class: "two-columns" },
      h("div", {},
        h("h3", {}, "Rotation, a week each"),
        rotationList(row || { name, rotation: [] }),
        h("p", { class: "hint", id: `handoff-${name}` }, row
          ? `Hands over ${handoffLabel(row.handoff)} clinic time.` : "Hands over as the protocol's rota says."),
        admin ? rotationForm({ base, name, row, staff, onSaved: reload }) : null),
      h("div", {},
        h("h3", {}, "Cover"),
        row ? overridesTable(row, { admin, onRemove: removeOverride })
          : h("p", { class: "empty", id: `overrides-${name}` }, "No cover set."),
        admin ? overrideForm({ base, name, row, staff, onSaved: reload }) : null)));
  }

  function render(board, positions, staff) {
    shown = JSON.stringify(board);
    clear(boardBody).append(boardTable(board));
    const rows = new Map(positions.map((row) => [row.name, row]));
    const names = [...new Set([...board.map((entry) => entry.position), ...rows.keys()])];
    clear(positionsBody).append(...names.map((name) => positionPanel(name, rows.get(name), staff)));
  }

  async function load() {
    const [board, positions, staff] = await Promise.all([
      api(base), api(`${base}/positions`), admin ? api("/staff") : Promise.resolve([]),
    ]);
    if (alive) render(board, positions, staff);
  }

  /** After a change: load again, refresh the header, and say what happened. */
  async function reload(text) {
    await load();
    ctx.refreshOncall();
    if (alive) said("success", text);
  }

  boardBody.addEventListener("click", (event) => {
    const link = event.target.closest("a[data-jump]");
    if (!link) return;
    event.preventDefault();
    const target = document.getElementById(`position-${link.dataset.jump}-heading`);
    if (target) target.focus();
  });

  load().catch((error) => {
    if (!alive || (error instanceof ApiError && error.status === 401)) return;
    clear(boardBody).append(notice("error", errorText(error), { id: "oncall-error" }));
  });
  // The tick's board replaces the table only when something changed (focus inside it stays put).
  const stop = ctx.watchOncall((board) => {
    const text = JSON.stringify(board);
    if (!alive || text === shown) return;
    shown = text;
    clear(boardBody).append(boardTable(board));
  });
  return () => {
    alive = false;
    stop();
  };
}
