// One patient: the record (consent, edit, pause, resume, discharge), open alerts, a summary of scores, the mood chart with sessions marked, treatment
// sessions (and recording one, for clinicians and admins), the SMS conversation, and the check-ins.

import { ApiError, api, can } from "./api.js";
import { alertCard, focusAfterChange, keepFocus } from "./alerts.js";
import { timelineChart } from "./chart.js";
import { conversationPanel } from "./conversation.js";
import { managePanel } from "./patient-manage.js";
import { announce, clear, h, notice } from "./dom.js";
import {
  MODALITY_OPTIONS,
  bandLabel,
  clinicZone,
  dateTime,
  instrumentLabel,
  isoToWall,
  modalityLabel,
  sourceLabel,
  statusLabel,
  wallToIso,
  zoneName,
} from "./format.js";

const CHECKINS_SHOWN = 20;

function yesNo(value) {
  if (value === null || value === undefined) return "—";
  return value ? "yes" : "no";
}

function card(title, ...content) {
  return h("section", { class: "stat-card", "aria-label": title }, h("h3", {}, title), ...content);
}

function stat(label, value, extra) {
  return h("div", { class: "stat" }, h("span", { class: "stat-label" }, label),
    h("span", { class: "stat-value" }, value), extra ? h("span", { class: "stat-extra" }, extra) : null);
}

function summaryCards(timeline) {
  const { mood, phq9, gad7 } = timeline;
  const baseline = mood.baseline === null ? "—" : String(mood.baseline);
  return h("div", { class: "stat-cards" },
    card("Mood",
      stat("Latest", mood.latest === null ? "—" : `${mood.latest} /10`,
        mood.latest !== null && mood.latest <= 2 ? "low" : null),
      stat("Baseline", baseline, "median of recent")),
    card("PHQ-9",
      stat("Latest", phq9.latest === null ? "—" : String(phq9.latest), bandLabel(phq9.latest_band)),
      stat("Baseline", phq9.baseline === null ? "—" : String(phq9.baseline)),
      stat("Response", yesNo(phq9.response)),
      stat("Remission", yesNo(phq9.remission))),
    card("GAD-7",
      stat("Latest", gad7.latest === null ? "—" : String(gad7.latest), bandLabel(gad7.latest_band)),
      stat("Baseline", gad7.baseline === null ? "—" : String(gad7.baseline))),
    card("Check-ins",
      stat("Answered", String(timeline.checkins.filter((c) => c.status === "complete").length)),
      stat("Missed", String(timeline.missed_checkins), timeline.missed_checkins ? "expired unanswered" : null)),
  );
}

function checkinsTable(checkins, showAll) {
  const rows = checkins.slice().reverse();
  const shown = showAll ? rows : rows.slice(0, CHECKINS_SHOWN);
  if (!rows.length) return h("p", { class: "empty" }, "No check-ins yet.");
  return h("div", { class: "table-wrap" }, h("table", { class: "data-table checkins-table" },
    h("caption", { class: "visually-hidden" }, "Check-ins, most recent first"),
    h("thead", {}, h("tr", {}, ["When", "Check-in", "Score", "Band", "Status", "Via", "Flags", "Note"]
      .map((label) => h("th", { scope: "col" }, label)))),
    h("tbody", {}, shown.map((c) => h("tr", {},
      h("td", {}, dateTime(c.completed_at || c.started_at)),
      h("td", {}, instrumentLabel(c.instrument)),
      h("td", {}, c.total === null ? "—" : String(c.total)),
      h("td", {}, c.band ? bandLabel(c.band) : "—"),
      h("td", {}, statusLabel(c.status)),
      h("td", {}, sourceLabel(c.source)),
      h("td", {}, c.flags && c.flags.length ? c.flags.map(bandLabel).join(", ") : "—"),
      h("td", { class: "note-cell" }, typeof c.answers.note === "string" ? c.answers.note : ""),
    ))),
  ));
}

function sessionsList(sessions) {
  if (!sessions.length) return h("p", { class: "empty" }, "No treatment sessions recorded.");
  return h("ol", { class: "session-list", reversed: true },
    sessions.map((s) => h("li", { class: s.cancelled_at ? "session-cancelled" : null, dataset: { sessionId: s.id } },
      h("strong", {}, modalityLabel(s.modality)), ` · ${dateTime(s.started_at)}`,
      s.ended_at ? ` – ${dateTime(s.ended_at)}` : "",
      s.dose_mg ? h("span", { class: "muted" }, ` · ${s.dose_mg} mg`) : null,
      s.location ? h("span", { class: "muted" }, ` · ${s.location}`) : null,
      s.cancelled_at ? h("span", { class: "status-chip status-chip-cancelled" }, "Cancelled") : null,
      s.notes ? h("p", { class: "session-notes" }, s.notes) : null,
    )));
}

function defaultStart() {
  const now = new Date();
  now.setMinutes(Math.floor(now.getMinutes() / 5) * 5, 0, 0);
  return isoToWall(now);
}

function field(id, label, control, hint) {
  return h("div", { class: "field" }, h("label", { for: id }, label), control,
    hint ? h("span", { class: "hint", id: `${id}-hint` }, hint) : null);
}

/** The "record a session" form; calls `onRecorded(session)` after the companion stored it. */
function sessionForm(patientId, onRecorded) {
  const zoneHint = `Clinic time (${zoneName()})`;
  const modality = h("select", { id: "session-modality", name: "modality", required: true },
    h("option", { value: "" }, "Choose…"), MODALITY_OPTIONS.map(([value, label]) => h("option", { value }, label)));
  const started = h("input", { type: "datetime-local", id: "session-started", name: "started_at", required: true,
    "aria-describedby": "session-started-hint" });
  started.value = defaultStart();
  const ended = h("input", { type: "datetime-local", id: "session-ended", name: "ended_at",
    "aria-describedby": "session-ended-hint" });
  const dose = h("input", { type: "number", id: "session-dose", name: "dose_mg", min: "0.1", max: "2000", step: "0.1",
    inputmode: "decimal" });
  const location = h("input", { type: "text", id: "session-location", name: "location", maxlength: 200 });
  const notes = h("textarea", { id: "session-notes", name: "notes", rows: 2, maxlength: 4000 });
  const submit = h("button", { type: "submit", class: "button button-primary", id: "session-submit" }, "Record session");
  const message = h("div", { class: "form-message", id: "session-message" });
  const form = h("form", { class: "session-form", id: "session-form", novalidate: true, "aria-labelledby": "record-heading" },
    h("div", { class: "form-grid" },
      field("session-modality", "Modality", modality),
      field("session-dose", "Dose (mg, optional)", dose),
      field("session-started", "Started", started, zoneHint),
      field("session-ended", "Ended (optional)", ended, zoneHint),
    ),
    field("session-location", "Location (optional)", location),
    field("session-notes", "Notes (optional)", notes),
    h("div", { class: "form-actions" }, submit),
    message,
  );

  function fail(text, control) {
    clear(message).append(notice("error", text));
    if (control) control.focus();
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clear(message);
    if (!modality.value) return fail("Choose the modality.", modality);
    const startedAt = wallToIso(started.value);
    if (!startedAt) return fail("Enter when the session started.", started);
    const endedAt = ended.value ? wallToIso(ended.value) : null;
    if (ended.value && !endedAt) return fail("The end time is not a valid date and time.", ended);
    if (endedAt && Date.parse(endedAt) < Date.parse(startedAt)) return fail("A session cannot end before it starts.", ended);
    const body = { modality: modality.value, started_at: startedAt };
    if (endedAt) body.ended_at = endedAt;
    if (dose.value) {
      const mg = Number(dose.value);
      if (!(mg > 0 && mg <= 2000)) return fail("The dose must be more than 0 and at most 2000 mg.", dose);
      body.dose_mg = mg;
    }
    if (location.value.trim()) body.location = location.value.trim();
    if (notes.value.trim()) body.notes = notes.value.trim();
    submit.disabled = true;
    submit.textContent = "Recording…";
    try {
      const recorded = await api(`/patients/${patientId}/sessions`, { method: "POST", body });
      form.reset();
      started.value = defaultStart();
      await onRecorded(recorded);
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return;
      fail(error instanceof ApiError ? error.message : String(error));
    } finally {
      submit.disabled = false;
      submit.textContent = "Record session";
    }
  });
  return form;
}

/** The patient page. Returns a cleanup function. */
export function patientView(main, ctx, patientId) {
  let alive = true;
  let showAllCheckins = false;
  let data = null;
  let alertsFetchedAt = Date.now();
  const flash = h("div", { class: "flash", id: "patient-flash" });
  const content = h("div", { class: "patient-content" }, h("p", { class: "muted" }, "Loading patient…"));
  clear(main).append(h("div", { class: "page" },
    h("p", { class: "breadcrumb" }, h("a", { href: "#/patients" }, "← All patients")), flash, content));

  async function load() {
    const [patient, timeline, sessions, alerts] = await Promise.all([
      api(`/patients/${patientId}`),
      api(`/patients/${patientId}/timeline`),
      api(`/patients/${patientId}/sessions`),
      api("/alerts", { query: { status: "active", patient_id: patientId } }),
    ]);
    alertsFetchedAt = Date.now();
    return { patient, timeline, sessions, alerts };
  }

  async function reload() {
    try {
      const fresh = await load();
      if (!alive) return;
      data = fresh;
      keepFocus(draw);
    } catch (error) {
      if (!alive || (error instanceof ApiError && error.status === 401)) return;
      clear(content).append(notice("error", error instanceof ApiError ? error.message : String(error)));
    }
  }

  async function reloadAlerts() {
    if (!data) return;
    try {
      const alerts = await api("/alerts", { query: { status: "active", patient_id: patientId } });
      if (!alive) return;
      data.alerts = alerts;
      alertsFetchedAt = Date.now();
      keepFocus(drawAlerts);
    } catch {
      // the next tick retries; a 401 is handled by the api module
    }
  }

  const alertsBox = h("section", { class: "panel", "aria-labelledby": "patient-alerts-heading" });

  function drawAlerts() {
    clear(alertsBox).append(h("h2", { id: "patient-alerts-heading" }, "Open alerts"));
    if (!data.alerts.length) {
      alertsBox.append(h("p", { class: "empty" }, "No open alerts for this patient."));
      return;
    }
    alertsBox.append(h("ol", { class: "alert-list" }, data.alerts.map((alert) => h("li", {},
      alertCard(alert, {
        session: ctx.session(), fetchedAt: alertsFetchedAt, headingLevel: "h3", showPatient: false,
        onChanged: async ({ focusId, message }) => {
          await reloadAlerts();
          ctx.refreshAlertCount();
          announce(message);
          focusAfterChange(focusId, document.getElementById("patient-alerts-heading"));
        },
      })))));
  }

  // Built once, so what is being typed survives the page redrawing around it.
  let recordPanel = null;
  let conversation = null;

  function buildRecordPanel() {
    const panel = h("section", { class: "panel", "aria-labelledby": "record-heading" },
      h("h2", { id: "record-heading" }, "Record a treatment session"));
    if (can(ctx.session(), "record-session")) {
      panel.append(sessionForm(patientId, async (recorded) => {
        await reload();
        const text = `${modalityLabel(recorded.modality)} session on ${dateTime(recorded.started_at)} recorded; ` +
          "check-ins are planned from it.";
        clear(flash).append(notice("success", text, { tabindex: "-1", id: "session-recorded" }));
        document.getElementById("session-recorded").focus();
      }));
    } else {
      panel.append(notice("info",
        "Recording a treatment session needs the clinician or admin role. You can view this patient's record.",
        { id: "record-not-allowed" }));
    }
    return panel;
  }

  function draw() {
    const { patient, timeline, sessions } = data;
    recordPanel = recordPanel || buildRecordPanel();
    conversation = conversation || conversationPanel(patientId, ctx.session());

    const chartPanel = h("section", { class: "panel chart-panel", "aria-labelledby": "chart-heading" },
      h("div", { class: "panel-head" }, h("h2", { id: "chart-heading" }, "Mood and sessions"),
        h("ul", { class: "legend", "aria-label": "Chart legend" },
          h("li", {}, h("span", { class: "legend-swatch legend-mood", "aria-hidden": "true" }), "Mood (0–10)"),
          h("li", {}, h("span", { class: "legend-swatch legend-baseline", "aria-hidden": "true" }), "Baseline"),
          h("li", {}, h("span", { class: "legend-swatch legend-session", "aria-hidden": "true" }), "Treatment session"),
          h("li", {}, h("span", { class: "legend-swatch legend-low", "aria-hidden": "true" }), "Low mood zone"))),
      h("figure", { class: "chart-figure" },
        timelineChart({ points: timeline.mood.points, baseline: timeline.mood.baseline, sessions: timeline.sessions }),
        h("figcaption", { class: "muted small" }, `Times in clinic time (${zoneName()}, ${clinicZone()}).`)));

    const moreButton = timeline.checkins.length > CHECKINS_SHOWN
      ? h("button", { type: "button", class: "button button-quiet", id: "checkins-toggle" },
        showAllCheckins ? "Show fewer" : `Show all ${timeline.checkins.length}`)
      : null;
    if (moreButton) {
      moreButton.addEventListener("click", () => {
        showAllCheckins = !showAllCheckins;
        keepFocus(draw);
      });
    }

    drawAlerts();
    clear(content).append(
      h("div", { class: "patient-head" },
        h("h1", { tabindex: "-1", id: "patient-heading" },
          h("span", { class: "patient-ref" }, patient.reference), " ",
          h("span", { class: "patient-name" }, patient.display_name)),
        h("span", { class: ["status-chip", `status-chip-${patient.status}`] }, statusLabel(patient.status)),
        h("dl", { class: "patient-facts" },
          h("div", {}, h("dt", {}, "Phone"), h("dd", {}, h("a", { href: `tel:${patient.phone}` }, patient.phone))),
          h("div", {}, h("dt", {}, "Patient's time zone"), h("dd", {}, patient.timezone)))),
      managePanel(patient, ctx.session(), async (updated, message) => {
        await reload();
        clear(flash).append(notice("success", message, { tabindex: "-1", id: "patient-changed" }));
        document.getElementById("patient-changed").focus();
        announce(message);
      }),
      alertsBox,
      summaryCards(timeline),
      chartPanel,
      h("div", { class: "two-columns" },
        recordPanel,
        h("section", { class: "panel", "aria-labelledby": "sessions-heading" },
          h("h2", { id: "sessions-heading" }, `Treatment sessions (${sessions.length})`),
          sessionsList(sessions))),
      conversation.panel,
      h("section", { class: "panel", "aria-labelledby": "checkins-heading" },
        h("div", { class: "panel-head" },
          h("h2", { id: "checkins-heading" }, `Check-ins (${timeline.checkins.length})`),
          moreButton),
        checkinsTable(timeline.checkins, showAllCheckins)),
    );
  }

  reload();
  const stop = ctx.onTick(() => reloadAlerts());
  return () => {
    alive = false;
    stop();
  };
}
