// One patient: the record (consent, edit, pause, resume, discharge), open alerts, a summary of
// scores, the mood chart with sessions marked, the PHQ-9 and GAD-7 charts, the safety plan (changed
// with the patient by clinicians and admins), treatment sessions (recorded, corrected and cancelled
// by clinicians and admins), the SMS conversation, the record's export, and the check-ins.

import { ApiError, api, can } from "./api.js";
import { alertCard, focusAfterChange, keepFocus } from "./alerts.js";
import { timelineChart } from "./chart.js";
import { checkinsTable } from "./checkin-rows.js";
import { questionnairePanel } from "./questionnaire-chart.js";
import { sessionForm, sessionsList } from "./sessions.js";
import { conversationPanel } from "./conversation.js";
import { managePanel } from "./patient-manage.js";
import { announce, clear, h, notice } from "./dom.js";
import { downloadButton } from "./download.js";
import { safetyPlanPanel } from "./safety-plan.js";
import {
  bandLabel,
  clinicZone,
  dateTime,
  modalityLabel,
  statusLabel,
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
  let safetyPlan = null;

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
    safetyPlan = safetyPlan || safetyPlanPanel(patientId, ctx.session());

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
      safetyPlan.panel,
      summaryCards(timeline),
      chartPanel,
      questionnairePanel(timeline),
      h("div", { class: "two-columns" },
        recordPanel,
        h("section", { class: "panel", "aria-labelledby": "sessions-heading" },
          h("h2", { id: "sessions-heading" }, `Treatment sessions (${sessions.length})`),
          sessionsList(patientId, sessions, { canEdit: can(ctx.session(), "record-session"), onChanged: reload }))),
      conversation.panel,
      can(ctx.session(), "export-record")
        ? h("p", { class: "record-export" }, downloadButton({ label: "Export the record (CSV)",
          path: `/patients/${patient.id}/export`, filename: `${patient.reference}.csv`, id: "record-export" }))
        : null,
      h("section", { class: "panel", "aria-labelledby": "checkins-heading" },
        h("div", { class: "panel-head" },
          h("h2", { id: "checkins-heading" }, `Check-ins (${timeline.checkins.length})`),
          moreButton),
        checkinsTable(patientId, timeline.checkins, { showAll: showAllCheckins, limit: CHECKINS_SHOWN })),
    );
  }

  reload();
  const stop = ctx.onTick(() => reloadAlerts());
  return () => {
    alive = false;
    stop();
  };
}
