// The on-call line in the page header: who holds the main position now and until when (a link to
// every position), and a warning while any position has nobody who can be paged. The dashboard's
// 15-second tick refreshes it; the on-call page listens for the same board.

import { ApiError, api, clinicOf, getSession } from "./api.js";
import { clear, h } from "./dom.js";
import { positionLabel } from "./format.js";

export const MAIN_POSITION = "on_call_clinician";

const listeners = new Set();
let shownWarnings = "";

/** The position the header names: on_call_clinician when there is one, else the first. */
export function mainPosition(board) {
  return board.find((entry) => entry.position === MAIN_POSITION) || board[0] || null;
}

/** "Dr Morgan until Mon 09:00"; "nobody" for a shift without a person. */
export function shiftText(shift) {
  if (!shift) return "nobody";
  return `${shift.name || "nobody"} ${shift.until || ""}`.trim();
}

export function boardPath(session = getSession()) {
  return `/clinics/${clinicOf(session)}/oncall`;
}

function showLine(board) {
  const line = document.getElementById("oncall-now");
  const main = mainPosition(board);
  if (!main) {
    line.textContent = "On call: no positions";
  } else {
    const who = main.position === MAIN_POSITION ? "On call" : `On call (${positionLabel(main.position)})`;
    line.textContent = `${who}: ${shiftText(main.now)}`;
  }
  line.hidden = false;
}

function showWarnings(board) {
  const region = document.getElementById("oncall-warning");
  const warnings = board.map((entry) => entry.warning).filter(Boolean);
  const text = warnings.join("\n");
  if (text === shownWarnings) return; // unchanged: not announced again every tick
  shownWarnings = text;
  clear(region);
  if (warnings.length) {
    region.append(h("strong", {}, "On-call warning: "),
      warnings.length === 1 ? warnings[0] : h("ul", { class: "oncall-warning-list" },
        warnings.map((warning) => h("li", {}, warning))),
      " ", h("a", { href: "#/oncall" }, "See the on-call schedule"));
  }
  region.hidden = !warnings.length;
}

/** Fetch the board, show it in the header and hand it to the listeners; null when it failed. */
export async function refreshOncall() {
  const session = getSession();
  if (!session || clinicOf(session) === null) return null;
  let board;
  try {
    board = await api(boardPath(session));
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 401) {
      const line = document.getElementById("oncall-now");
      if (line.hidden) {
        line.textContent = "On call: not known";
        line.hidden = false;
      }
    }
    return null;
  }
  if (!getSession()) return null;
  showLine(board);
  showWarnings(board);
  for (const listener of [...listeners]) listener(board);
  return board;
}

/** Call `listener(board)` after every refresh; returns the function that stops it. */
export function watchOncall(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function hideOncall() {
  listeners.clear();
  shownWarnings = "";
  const line = document.getElementById("oncall-now");
  line.textContent = "";
  line.hidden = true;
  const region = document.getElementById("oncall-warning");
  clear(region);
  region.hidden = true;
}
