// A patient's check-ins as a table whose rows open to every question of the check-in, in its
// wording, with the answer (GET /api/v1/patients/{id}/checkins/{checkin_id}, a read the API
// audits): nothing is fetched until a row is opened, and an opened row stays open on redraw.

import { ApiError, api } from "./api.js";
import { clear, h, notice } from "./dom.js";
import { answersList } from "./evidence.js";
import { bandLabel, dateTime, instrumentLabel, sourceLabel, statusLabel } from "./format.js";

const COLUMNS = ["When", "Check-in", "Score", "Band", "Status", "Via", "Flags", "Note", "Answers"];
const opened = new Map(); // check-in id -> its answers, once read

function answersRow(patientId, checkin, button) {
  const cell = h("td", { colspan: String(COLUMNS.length) });
  const row = h("tr", { class: "checkin-answers", id: `checkin-${checkin.id}-answers` }, cell);
  const show = (items) => clear(cell).append(answersList(items));
  if (opened.get(checkin.id)) {
    show(opened.get(checkin.id));
  } else {
    cell.append(h("p", { class: "muted" }, "Loading the answers…"));
    api(`/patients/${patientId}/checkins/${checkin.id}`).then((read) => {
      opened.set(checkin.id, read.items);
      show(read.items);
    }).catch((error) => {
      opened.delete(checkin.id);
      button.setAttribute("aria-expanded", "false");
      clear(cell).append(notice("error", error instanceof ApiError ? error.message : String(error)));
    });
  }
  return row;
}

function checkinRow(patientId, c) {
  const button = h("button", { type: "button", class: "button button-quiet small", id: `checkin-${c.id}-toggle`,
    "aria-expanded": opened.has(c.id) ? "true" : "false", "aria-controls": `checkin-${c.id}-answers` },
  "Answers", h("span", { class: "visually-hidden" }, ` of the ${instrumentLabel(c.instrument)} check-in, ${dateTime(c.completed_at || c.started_at)}`));
  const row = h("tr", { dataset: { checkinId: c.id } },
    h("td", {}, dateTime(c.completed_at || c.started_at)),
    h("td", {}, instrumentLabel(c.instrument)),
    h("td", {}, c.total === null ? "—" : String(c.total)),
    h("td", {}, c.band ? bandLabel(c.band) : "—"),
    h("td", {}, statusLabel(c.status)),
    h("td", {}, sourceLabel(c.source)),
    h("td", {}, c.flags && c.flags.length ? c.flags.map(bandLabel).join(", ") : "—"),
    h("td", { class: "note-cell" }, typeof c.answers.note === "string" ? c.answers.note : ""),
    h("td", {}, button));
  const rows = [row];
  if (opened.has(c.id)) rows.push(answersRow(patientId, c, button));
  button.addEventListener("click", () => {
    const open = button.getAttribute("aria-expanded") === "true";
    button.setAttribute("aria-expanded", open ? "false" : "true");
    const next = row.nextElementSibling;
    if (open) {
      opened.delete(c.id);
      if (next && next.classList.contains("checkin-answers")) next.remove();
    } else {
      opened.set(c.id, null);
      row.after(answersRow(patientId, c, button));
    }
  });
  return rows;
}

/** The check-ins table, most recent first; `limit` rows unless `showAll`. */
export function checkinsTable(patientId, checkins, { showAll, limit }) {
  const rows = checkins.slice().reverse();
  const shown = showAll ? rows : rows.slice(0, limit);
  if (!rows.length) return h("p", { class: "empty" }, "No check-ins yet.");
  return h("div", { class: "table-wrap" }, h("table", { class: "data-table checkins-table" },
    h("caption", { class: "visually-hidden" }, "Check-ins, most recent first"),
    h("thead", {}, h("tr", {}, COLUMNS.map((label) => h("th", { scope: "col" }, label)))),
    h("tbody", {}, shown.flatMap((c) => checkinRow(patientId, c)))));
}
