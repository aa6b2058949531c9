// The clinic's inbox (GET /api/v1/messages): patients' texts, newest first, with what the companion
// answered and whether that answer arrived; "Needs review" narrows it to what a person should read,
// and "Mark reviewed" (clinicians and admins) records who read it. Every load is a read the API audits.

import { ApiError, api, can } from "./api.js";
import { announce, clear, h, notice, pager } from "./dom.js";
import { dateTime, deliveryLabel } from "./format.js";

const PAGE_SIZE = 25;

// The inbox remembers its filter and page while the tab is open (never in the URL).
const remembered = { needsReview: true, offset: 0 };

function reviewState(message) {
  if (message.reviewed_at) {
    return h("span", { class: "message-reviewed muted small" },
      `Reviewed by ${message.reviewed_by || "a former staff member"}, ${dateTime(message.reviewed_at)}`);
  }
  return message.needs_review ? h("span", { class: "status-chip status-chip-open" }, "Needs review") : null;
}

function messageItem(message, { session, onReview }) {
  const patient = message.patient;
  const actions = h("div", { class: "message-actions" }, reviewState(message));
  if (!message.reviewed_at && can(session, "review-message")) {
    const button = h("button", { type: "button", class: "button button-secondary", id: `review-${message.id}` },
      "Mark reviewed");
    button.addEventListener("click", () => onReview(message, button));
    actions.append(button);
  }
  return h("li", { class: "message-item", dataset: { messageId: message.id } },
    h("div", { class: "message-head" },
      h("a", { href: `#/patients/${patient.id}`, class: "patient-ref" }, patient.reference), " ",
      h("span", { class: "patient-name" }, patient.display_name), " ",
      h("time", { datetime: message.received_at, class: "muted small" }, dateTime(message.received_at)),
      message.keyword ? h("span", { class: "status-chip" }, message.keyword) : null),
    h("p", { class: "message-body" }, message.body),
    message.reply
      ? h("p", { class: "message-reply muted small" }, "Answered: ", message.reply,
        message.reply_status ? h("span", { class: "message-status" }, ` (${deliveryLabel(message.reply_status)})`) : null)
      : null,
    actions);
}

/** The Messages page. Returns a cleanup function. */
export function messagesView(main, ctx) {
  const heading = h("h1", { tabindex: "-1" }, "Messages");
  const filter = h("select", { id: "messages-filter", name: "needs_review" },
    h("option", { value: "review", selected: remembered.needsReview }, "Needs review"),
    h("option", { value: "all", selected: !remembered.needsReview }, "All messages"));
  const form = h("form", { class: "filters", "aria-label": "Filter messages" },
    h("div", { class: "field" }, h("label", { for: "messages-filter" }, "Show"), filter));
  const flash = h("div", { class: "flash", id: "messages-flash" });
  const body = h("div", { class: "messages-body" });
  clear(main).append(h("div", { class: "page" }, h("div", { class: "page-head" }, heading, form), flash, body));
  let alive = true;

  async function load() {
    body.setAttribute("aria-busy", "true");
    try {
      const page = await api("/messages", {
        query: { needs_review: remembered.needsReview ? "true" : null, limit: PAGE_SIZE, offset: remembered.offset },
      });
      if (alive) draw(page);
    } catch (error) {
      if (!alive || (error instanceof ApiError && error.status === 401)) return;
      clear(body).append(notice("error", error instanceof ApiError ? error.message : String(error)));
    } finally {
      body.setAttribute("aria-busy", "false");
    }
  }

  async function review(message, button) {
    button.disabled = true;
    clear(flash);
    try {
      await api(`/messages/${message.id}/review`, { method: "POST" });
      await load();
      const text = `Message from ${message.patient.reference} marked reviewed.`;
      flash.append(notice("success", text, { tabindex: "-1", id: "message-reviewed" }));
      document.getElementById("message-reviewed").focus();
      announce(text);
    } catch (error) {
      button.disabled = false;
      if (error instanceof ApiError && error.status === 401) return;
      flash.append(notice("error", error instanceof ApiError ? error.message : String(error)));
    }
  }

  function pages(page) {
    const goTo = (offset) => {
      remembered.offset = offset;
      load();
    };
    return pager(page, { size: PAGE_SIZE, id: "messages-range", empty: "No messages", before: "← Newer", after: "Older →", goTo });
  }

  function draw(page) {
    clear(body);
    if (!page.items.length) {
      body.append(h("p", { class: "empty" }, remembered.needsReview
        ? "No message needs review." : "No messages from patients yet."), pages(page));
      return;
    }
    const session = ctx.session();
    body.append(h("ol", { class: "message-list", "aria-label": "Messages, newest first" },
      page.items.map((message) => messageItem(message, { session, onReview: review }))), pages(page));
  }

  filter.addEventListener("change", () => {
    remembered.needsReview = filter.value === "review";
    remembered.offset = 0;
    load().then(() => announce("Messages updated."));
  });
  form.addEventListener("submit", (event) => event.preventDefault());

  load();
  return () => {
    alive = false;
  };
}
