// Alerts: the open list (by severity, then age), acknowledging, and resolving with a note.

import { ApiError, api } from "./api.js";
import { evidenceSection } from "./evidence.js";
import { timelineSection } from "./timeline.js";
import { announce, clear, h, notice } from "./dom.js";
import {
  SEVERITY,
  ago,
  dateTime,
  endReasonLabel,
  findingLabel,
  kindLabel,
  plural,
  sourceLabel,
  statusLabel,
  timeOnly,
  until,
} from "./format.js";

export const NOTE_MIN = 3;
export const NOTE_MAX = 4000;

// Notes being written survive the list refreshing underneath them.
const drafts = new Map();

export function severityBadge(severity, { small = false } = {}) {
  const info = SEVERITY[severity] || { label: statusLabel(severity), symbol: "•" };
  return h("span", { class: ["sev-badge", `sev-${severity}`, small && "sev-badge-small"] },
    h("span", { "aria-hidden": "true", class: "sev-symbol" }, info.symbol), ` ${info.label}`);
}

function byWhom(staffId, name, session) {
  if (staffId === null || staffId === undefined) return "";
  return session && session.staffId === staffId ? "by you" : `by ${name || "a staff member"}`;
}

function capitalised(text) {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function escalationText(alert, now) {
  return capitalised(escalationWords(alert, now));
}

function escalationWords(alert, now) {
  const step = alert.step ? capitalised(alert.step) : null;
  if (alert.status === "open" && step) {
    if (alert.next_step_at) return `${step} · next page ${timeOnly(alert.next_step_at)} (${until(alert.next_step_at, now)})`;
    return step;
  }
  if (alert.escalation_end_reason) return `${step ? `${step} · ` : ""}${endReasonLabel(alert.escalation_end_reason)}`;
  if (alert.next_step_at) return `First page ${until(alert.next_step_at, now)}`;
  return "No pages (dashboard queue only)";
}

function findingItem(finding, alertSeverity) {
  const bits = [];
  if (finding.source) bits.push(sourceLabel(finding.source));
  if (finding.at) bits.push(dateTime(finding.at));
  return h("li", { class: "finding" },
    h("span", { class: "finding-rule" }, findingLabel(finding.kind, finding.rule_id)),
    finding.severity && finding.severity !== alertSeverity
      ? h("span", { class: "finding-severity" }, ` (${finding.severity})`) : null,
    finding.evidence ? h("span", { class: "finding-evidence" }, ` — ${finding.evidence}`) : null,
    bits.length ? h("span", { class: "finding-meta" }, ` · ${bits.join(" · ")}`) : null,
    finding.rule_id ? h("span", { class: "finding-id mono" }, ` · rule ${finding.rule_id}`) : null,
  );
}

function fact(label, ...value) {
  return h("div", { class: "fact" }, h("dt", {}, label), h("dd", {}, ...value));
}

/**
 * One alert as a card. `session` decides "by you"; `onChanged({focusId, message})` is called after
 * an acknowledgement or resolution so the owner can reload and put focus somewhere sensible.
 */
export function alertCard(alert, { session, fetchedAt, onChanged, headingLevel = "h2", showPatient = true }) {
  const id = alert.id;
  const now = Date.now();
  const ageMinutes = alert.age_minutes + Math.max(0, (now - fetchedAt) / 60000);
  const titleId = `alert-${id}-title`;
  const errorBox = h("div", { class: "action-error", id: `alert-${id}-error` });

  function showError(error) {
    clear(errorBox).append(notice("error", error instanceof ApiError ? error.message : String(error)));
  }

  const facts = h("dl", { class: "alert-facts" },
    fact("Opened",
      h("span", { class: "alert-age", dataset: { minutes: Math.floor(ageMinutes) } }, ago(ageMinutes)),
      h("span", { class: "muted" }, ` · ${dateTime(alert.opened_at)}`)),
    fact("Escalation", h("span", { class: "alert-step" }, escalationText(alert, now))),
    fact("Ack code", h("span", { class: "mono" }, alert.ack_code)),
  );
  if (alert.acknowledged_at) {
    facts.append(fact("Acknowledged", `${dateTime(alert.acknowledged_at)} ${byWhom(alert.acknowledged_by, alert.acknowledged_by_name, session)}`));
  }
  if (alert.resolved_at) {
    facts.append(fact("Resolved", `${dateTime(alert.resolved_at)} ${byWhom(alert.resolved_by, alert.resolved_by_name, session)}`));
  }

  const heading = h(headingLevel, { class: "alert-title", id: titleId },
    showPatient ? h("a", { href: `#/patients/${alert.patient_id}`, class: "patient-ref" }, alert.patient_reference) : null,
    showPatient ? " · " : null,
    `${kindLabel(alert.kind)} alert`,
  );

  const actions = h("div", { class: "alert-actions" });
  // The protocol says who may acknowledge and resolve; the API refuses anyone else, and the
  // buttons are not offered to them.
  const mayAcknowledge = alert.may_acknowledge !== false;
  const mayResolve = alert.may_resolve !== false;
  if (alert.permission_note && alert.status !== "resolved") {
    actions.append(h("p", { class: "hint permission-note", id: `alert-${id}-permission` }, alert.permission_note));
  }
  if (alert.status === "open" && mayAcknowledge) {
    const ack = h("button", { type: "button", class: "button button-primary", id: `ack-${id}` }, "Acknowledge");
    ack.addEventListener("click", async () => {
      ack.disabled = true;
      ack.textContent = "Acknowledging…";
      try {
        await api(`/alerts/${id}/ack`, { method: "POST" });
        const paging = alert.next_step_at ? " Paging stopped." : "";
        await onChanged({ focusId: `note-${id}`, message: `Alert for ${alert.patient_reference} acknowledged.${paging}` });
      } catch (error) {
        ack.disabled = false;
        ack.textContent = "Acknowledge";
        showError(error);
      }
    });
    actions.append(h("div", { class: "ack-row" }, ack,
      h("span", { class: "hint" }, alert.next_step_at ? "Stops further pages." : "Marks it as being handled.")));
  }
  if (alert.status !== "resolved" && mayResolve) {
    const noteId = `note-${id}`;
    const hintId = `note-${id}-hint`;
    const textarea = h("textarea", {
      id: noteId, name: "note", rows: 1, maxlength: NOTE_MAX, required: true, "aria-describedby": hintId,
      class: "note-input",
    });
    textarea.value = drafts.get(id) || "";
    textarea.classList.toggle("has-text", Boolean(textarea.value));
    const resolve = h("button", { type: "submit", class: "button button-secondary", id: `resolve-${id}` }, "Resolve");
    const ready = () => textarea.value.trim().length >= NOTE_MIN;
    resolve.disabled = !ready();
    textarea.addEventListener("input", () => {
      drafts.set(id, textarea.value);
      textarea.classList.toggle("has-text", Boolean(textarea.value));
      resolve.disabled = !ready();
    });
    const form = h("form", { class: "resolve-form", novalidate: true },
      h("label", { for: noteId }, "Resolution note ", h("span", { class: "required" }, "(required)")),
      textarea,
      h("p", { class: "hint", id: hintId }, `What was done, who was contacted (at least ${NOTE_MIN} characters).`),
      resolve,
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const note = textarea.value.trim();
      if (note.length < NOTE_MIN) {
        showError(`A resolution note of at least ${NOTE_MIN} characters is required.`);
        textarea.focus();
        return;
      }
      resolve.disabled = true;
      resolve.textContent = "Resolving…";
      try {
        await api(`/alerts/${id}/resolve`, { method: "POST", body: { note } });
        drafts.delete(id);
        await onChanged({ focusId: null, message: `Alert for ${alert.patient_reference} resolved.` });
      } catch (error) {
        resolve.disabled = !ready();
        resolve.textContent = "Resolve";
        showError(error);
      }
    });
    actions.append(form);
  } else if (alert.status === "resolved" && alert.resolution_note) {
    actions.append(h("div", { class: "resolution" }, h("h3", {}, "Resolution note"),
      h("p", { class: "resolution-note" }, alert.resolution_note)));
  }
  actions.append(errorBox);

  return h("article", {
    class: ["alert-card", `sev-${alert.severity}`, `status-${alert.status}`],
    id: `alert-${id}`,
    "aria-labelledby": titleId,
    dataset: { alertId: id, severity: alert.severity, status: alert.status },
  },
  h("div", { class: "alert-main" },
    h("div", { class: "alert-head" }, severityBadge(alert.severity), heading,
      h("span", { class: ["status-chip", `status-chip-${alert.status}`] }, statusLabel(alert.status))),
    facts,
    alert.findings && alert.findings.length
      ? h("ul", { class: "findings", "aria-label": "Findings" }, alert.findings.map((f) => findingItem(f, alert.severity)))
      : null,
    evidenceSection(alert),
    timelineSection(alert.id),
  ),
  actions);
}

/** Put focus back where it was after a redraw (same element id), keeping the caret in text fields. */
export function keepFocus(redraw) {
  const active = document.activeElement;
  const id = active && active.id && active !== document.body ? active.id : null;
  const selection = active && "selectionStart" in active ? [active.selectionStart, active.selectionEnd] : null;
  redraw();
  if (!id) return;
  const again = document.getElementById(id);
  if (again && again !== document.activeElement) {
    again.focus({ preventScroll: true });
    if (selection && "setSelectionRange" in again) {
      try {
        again.setSelectionRange(selection[0], selection[1]);
      } catch {
        // not a text field
      }
    }
  }
}

export function focusAfterChange(focusId, fallback) {
  const target = (focusId && document.getElementById(focusId)) || fallback;
  if (target) target.focus();
}

function summary(alerts) {
  const counts = { urgent: 0, high: 0, routine: 0 };
  for (const alert of alerts) counts[alert.severity] = (counts[alert.severity] || 0) + 1;
  return h("ul", { class: "severity-summary", "aria-label": "Open alerts by severity" },
    Object.entries(counts).map(([severity, count]) =>
      h("li", {}, severityBadge(severity, { small: true }), h("span", { class: "summary-count" }, ` ${count}`))));
}

/** The alerts page. Returns a cleanup function. */
export function alertsView(main, ctx) {
  let filter = "active";
  let alerts = null;
  let fetchedAt = Date.now();
  let error = null;
  let loading = false;
  const heading = h("h1", { tabindex: "-1", id: "alerts-heading" }, "Alerts");
  const updated = h("span", { class: "updated muted", id: "alerts-updated" });
  const refresh = h("button", { type: "button", class: "button button-quiet", id: "alerts-refresh" }, "Refresh now");
  const tabs = h("div", { class: "segmented", role: "group", "aria-label": "Which alerts" });
  const body = h("div", { class: "alerts-body", "aria-busy": "false" });

  for (const [value, label] of [["active", "Open and acknowledged"], ["resolved", "Resolved"]]) {
    const button = h("button", { type: "button", class: "segment", dataset: { filter: value } }, label);
    button.addEventListener("click", () => {
      if (filter === value) return;
      filter = value;
      alerts = null;
      draw();
      load();
    });
    tabs.append(button);
  }
  refresh.addEventListener("click", () => load({ announceDone: true }));

  clear(main).append(
    h("div", { class: "page" },
      h("div", { class: "page-head" }, heading,
        h("div", { class: "page-tools" }, tabs, updated, refresh)),
      body,
    ),
  );

  function draw() {
    for (const button of tabs.querySelectorAll("button")) {
      button.setAttribute("aria-pressed", String(button.dataset.filter === filter));
    }
    updated.textContent = alerts ? `Updated ${timeOnly(fetchedAt, { seconds: true })} · refreshes every 15 s` : "";
    body.setAttribute("aria-busy", String(loading && !alerts));
    keepFocus(() => {
      clear(body);
      if (error) body.append(notice("error", error));
      if (!alerts) {
        body.append(h("p", { class: "muted" }, "Loading alerts…"));
        return;
      }
      if (filter === "active") body.append(summary(alerts));
      if (!alerts.length) {
        body.append(h("p", { class: "empty" },
          filter === "active" ? "No open alerts. New alerts appear here within 15 seconds." : "No resolved alerts yet."));
        return;
      }
      const list = h("ol", { class: "alert-list", "aria-label": filter === "active" ? "Open alerts" : "Resolved alerts" });
      for (const alert of alerts) {
        list.append(h("li", {}, alertCard(alert, { session: ctx.session(), fetchedAt, onChanged })));
      }
      body.append(list);
    });
  }

  async function onChanged({ focusId, message }) {
    await load();
    ctx.refreshAlertCount();
    announce(message);
    focusAfterChange(focusId, heading);
  }

  async function load({ announceDone = false } = {}) {
    loading = true;
    const wanted = filter;
    try {
      const rows = await api("/alerts", { query: { status: wanted } });
      if (wanted !== filter) return;
      alerts = wanted === "resolved" ? rows.slice().sort((a, b) => Date.parse(b.resolved_at) - Date.parse(a.resolved_at)) : rows;
      fetchedAt = Date.now();
      error = null;
      if (wanted === "active") ctx.setAlertCount(rows);
      if (announceDone) announce(`Alerts refreshed: ${plural(rows.length, "alert")}.`);
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return;
      error = err instanceof ApiError ? err.message : String(err);
    } finally {
      loading = false;
    }
    draw();
  }

  draw();
  load();
  // This page's own refresh keeps the count in the navigation up to date.
  const stop = ctx.onTick(() => {
    load();
    if (filter !== "active") ctx.refreshAlertCount();
  }, { providesCount: true });
  return () => stop();
}
