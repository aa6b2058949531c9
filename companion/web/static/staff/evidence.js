// What raised an alert, under its findings (GET /api/v1/alerts/{id}: a read the API audits): the
// patient's message quoted in their words, or the check-in's questions and answers. The patient's
// text only ever goes in as text nodes (dom.js h), never as HTML.
//
// Each alert is read once, and again only when it gains a finding or after a few minutes (answers
// of a check-in still going on arrive), so the list refreshing every 15 s does not read it each time.

import { ApiError, api } from "./api.js";
import { clear, h, notice } from "./dom.js";
import { dateTime } from "./format.js";

const FRESH_MS = 5 * 60 * 1000;
const read = new Map(); // alert id -> { findings, at, evidence }
const reading = new Map(); // alert id -> the read under way

const STATES = { skipped: "skipped", unanswered: "no answer yet", not_asked: "not asked" };

/** The patient's words, quoted. */
export function patientWords(text, { at = null } = {}) {
  return h("figure", { class: "patient-words" },
    h("blockquote", {}, "“", text, "”"),
    at ? h("figcaption", { class: "muted" }, `Received ${dateTime(at)}`) : null);
}

/** A check-in's questions and answers as "question: answer", in order. */
export function answersList(items) {
  return h("ul", { class: "patient-answers", "aria-label": "Questions and answers" },
    items.map((item) => h("li", { class: ["patient-answer", `answer-${item.state}`], dataset: { key: item.key } },
      h("span", { class: "answer-question" }, `${item.question}: `),
      item.state === "answered"
        ? h("strong", { class: "answer-label" }, item.label)
        : h("span", { class: "muted" }, STATES[item.state] || item.state))));
}

function checkinBlock(checkin) {
  const score = checkin.total === null || checkin.total === undefined ? "" : ` · score ${checkin.total}`;
  const band = checkin.band ? ` (${checkin.band})` : "";
  return h("div", { class: "evidence-checkin" },
    h("p", { class: "evidence-title" }, `${checkin.title}, ${dateTime(checkin.started_at)}${score}${band}`),
    answersList(checkin.items));
}

/** One finding's evidence: the message, the check-in, or why there is nothing to show. */
export function evidenceBlock(evidence) {
  if (evidence.kind === "checkin" && evidence.checkin) return checkinBlock(evidence.checkin);
  if (evidence.kind === "message" && evidence.message) {
    return patientWords(evidence.message.text, { at: evidence.message.received_at });
  }
  return h("p", { class: "muted evidence-none" }, evidence.note || "Nothing to show.");
}

// Findings raised by the same message or check-in show it once.
function distinct(evidence) {
  const seen = new Set();
  return evidence.filter((item) => {
    const key = item.checkin ? `checkin:${item.checkin.id}` : item.message ? `sms:${item.message.id}` : `none:${item.note}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function show(box, evidence) {
  clear(box).append(h("h3", { class: "evidence-heading" }, "What the patient said"),
    ...distinct(evidence).map(evidenceBlock));
}

async function load(alert) {
  if (!reading.has(alert.id)) {
    reading.set(alert.id, api(`/alerts/${alert.id}`).finally(() => reading.delete(alert.id)));
  }
  const body = await reading.get(alert.id);
  const entry = { findings: alert.findings.length, at: Date.now(), evidence: body.evidence || [] };
  read.set(alert.id, entry);
  return entry.evidence;
}

function fill(box, alert, known) {
  if (known && known.findings === alert.findings.length && Date.now() - known.at <= FRESH_MS) return;
  load(alert).then((evidence) => show(box, evidence)).catch((error) => {
    if (error instanceof ApiError && error.status === 401) return;
    if (!known) clear(box).append(notice("error", error instanceof ApiError ? error.message : String(error)));
  });
}

/** The section under an alert card's findings, filled from the alert's read. A resolved alert (the
 * resolved list is long) is read only when the clinician opens the section. */
export function evidenceSection(alert) {
  if (!alert.findings || !alert.findings.length) return null;
  const box = h("section", { class: "alert-evidence", id: `alert-${alert.id}-evidence`, "aria-live": "polite" });
  const known = read.get(alert.id);
  if (known) show(box, known.evidence);
  else box.append(h("p", { class: "muted" }, "Loading what the patient said…"));
  if (alert.status !== "resolved" || known) {
    fill(box, alert, known);
    return box;
  }
  const details = h("details", { class: "alert-evidence-closed" }, h("summary", {}, "What the patient said"), box);
  details.addEventListener("toggle", () => {
    if (details.open) fill(box, alert, read.get(alert.id));
  }, { once: true });
  return details;
}
