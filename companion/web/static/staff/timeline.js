// An alert's timeline (GET /api/v1/alerts/{id}/events), read when the clinician opens it: raised,
// each finding with its evidence, safety replies, each page with the person, its channel (SMS or
// voice) and its delivery or call status, acknowledgement, resolution, re-escalations. Every opening is a read the API audits. A
// finding shows what raised it: the patient's message quoted, or the check-in's questions and answers.

import { ApiError, api } from "./api.js";
import { clear, h, notice } from "./dom.js";
import { answersList, evidenceBlock, patientWords } from "./evidence.js";
import { dateTime } from "./format.js";

const STATUS_WORDS = {
  delivered: "delivered", sent: "sent", queued: "queued", pending: "waiting to send", sending: "sending",
  undelivered: "not delivered", failed: "failed", gave_up: "given up",
  // a voice page's call
  initiated: "dialling", ringing: "ringing", "in-progress": "answered", completed: "answered",
  busy: "busy", "no-answer": "no answer", canceled: "cancelled",
};

// The status is shown in words beside the text, so the text's own ": <status>" ending goes.
function withoutStatus(event) {
  const ending = event.status ? `: ${event.status}` : null;
  return ending && event.text.endsWith(ending) ? event.text.slice(0, -ending.length) : event.text;
}

function channelTag(event) {
  if (event.kind !== "page") return null;
  const channel = (event.detail && event.detail.channel) || "sms";
  return h("span", { class: ["timeline-channel", `timeline-channel-${channel}`] },
    channel === "voice" ? " · voice" : " · SMS");
}

function eventItem(event) {
  const status = event.status ? h("span", { class: ["timeline-status", `timeline-status-${event.status}`] },
    ` · ${STATUS_WORDS[event.status] || event.status}`) : null;
  return h("li", { class: ["timeline-event", `timeline-${event.kind}`], dataset: { kind: event.kind } },
    h("time", { datetime: event.at, class: "muted" }, dateTime(event.at)), " ",
    h("span", { class: "timeline-text" }, withoutStatus(event)),
    channelTag(event),
    status,
    event.kind === "finding" ? raisedBy(event) : null);
}

function raisedBy(event) {
  if (event.words) return patientWords(event.words);
  if (event.answers) return answersList(event.answers);
  return event.evidence ? evidenceBlock(event.evidence) : null;
}

export function timelineSection(alertId) {
  const list = h("div", { class: "timeline-body", id: `alert-${alertId}-timeline` });
  const details = h("details", { class: "alert-timeline" }, h("summary", {}, "Timeline"), list);
  details.addEventListener("toggle", async () => {
    if (!details.open) return;
    clear(list).append(h("p", { class: "muted" }, "Loading…"));
    try {
      const events = await api(`/alerts/${alertId}/events`);
      clear(list).append(events.length
        ? h("ol", { class: "timeline", "aria-label": "Alert timeline" }, events.map(eventItem))
        : h("p", { class: "muted" }, "Nothing recorded yet."));
    } catch (error) {
      clear(list).append(notice("error", error instanceof ApiError ? error.message : String(error)));
    }
  });
  return details;
}
