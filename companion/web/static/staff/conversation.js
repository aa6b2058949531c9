// A patient's conversation (GET /api/v1/patients/{id}/messages): what the patient texted and what
// was sent to them, in time order, each sent message with its delivery status and, for a message
// from staff, who wrote it; and a small form (clinicians and admins) that sends one through the
// outbox (POST). Every load is a read the API audits.

import { ApiError, api, can } from "./api.js";
import { announce, clear, h, notice } from "./dom.js";
import { dateTime, deliveryLabel, purposeLabel } from "./format.js";

const MAX_BODY = 1600; // the SMS policy's longest body (docs/sms.md)
const SHOWN = 50;

function threadItem(item) {
  const received = item.direction === "received";
  const who = received ? "Patient" : item.sent_by ? `${purposeLabel(item.purpose)}: ${item.sent_by}`
    : purposeLabel(item.purpose);
  const status = received ? null : h("span", { class: ["thread-status", `thread-status-${item.status}`] },
    deliveryLabel(item.status), item.error_code ? ` (error ${item.error_code})` : "");
  return h("li", { class: ["thread-item", received ? "thread-received" : "thread-sent"],
    dataset: { direction: item.direction, id: item.id, status: item.status || "" } },
  h("div", { class: "thread-meta muted small" }, h("strong", {}, who), " · ",
    h("time", { datetime: item.at }, dateTime(item.at)), status ? " · " : null, status),
  h("p", { class: "thread-body" }, item.body));
}

function sendForm(patientId, onSent) {
  const text = h("textarea", { id: "message-body", name: "body", rows: 3, maxlength: MAX_BODY, required: true,
    "aria-describedby": "message-body-hint" });
  const submit = h("button", { type: "submit", class: "button button-primary", id: "message-send" }, "Send");
  const message = h("div", { class: "form-message", id: "message-message" });
  const form = h("form", { class: "message-form", id: "message-form", novalidate: true,
    "aria-label": "Send a message to the patient" },
  h("div", { class: "field" }, h("label", { for: "message-body" }, "Message to the patient"), text,
    h("span", { class: "hint", id: "message-body-hint" },
      "Sent by SMS from the clinic's number at once; your name is not added, so sign it.")),
  h("div", { class: "form-actions" }, submit), message);

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clear(message);
    const body = text.value.trim();
    if (!body) {
      message.append(notice("error", "Write the message first."));
      text.focus();
      return;
    }
    submit.disabled = true;
    try {
      await api(`/patients/${patientId}/messages`, { method: "POST", body: { body } });
      form.reset();
      message.append(notice("success", "Message queued; its delivery shows in the conversation.",
        { id: "message-sent" }));
      announce("Message queued.");
      await onSent();
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return;
      message.append(notice("error", error instanceof ApiError ? error.message : String(error)));
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

/** The conversation panel of the patient page, built once; `refresh()` reloads the thread. */
export function conversationPanel(patientId, session) {
  const list = h("div", { class: "thread-body", id: "patient-thread" }, h("p", { class: "muted" }, "Loading…"));
  const panel = h("section", { class: "panel", "aria-labelledby": "conversation-heading" },
    h("h2", { id: "conversation-heading" }, "Conversation"), list);

  async function refresh() {
    try {
      const page = await api(`/patients/${patientId}/messages`, { query: { limit: SHOWN } });
      clear(list).append(page.items.length
        ? h("ol", { class: "thread", "aria-label": "Messages, oldest first" }, page.items.map(threadItem))
        : h("p", { class: "empty" }, "No messages yet."));
      if (page.total > page.items.length) {
        list.append(h("p", { class: "muted small" }, `The latest ${page.items.length} of ${page.total} messages.`));
      }
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return;
      clear(list).append(notice("error", error instanceof ApiError ? error.message : String(error)));
    }
  }

  if (can(session, "send-message")) panel.append(sendForm(patientId, refresh));
  else {
    panel.append(notice("info", "Sending a message needs the clinician or admin role.",
      { id: "message-not-allowed" }));
  }
  refresh();
  return { panel, refresh };
}
