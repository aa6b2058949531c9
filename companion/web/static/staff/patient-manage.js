// Managing one patient from their page: SMS consent (with when and how it was given, and sending
// the welcome again once while it is unanswered), editing the record, pausing and resuming
// check-ins, and discharging with a confirmation. Every change goes through the /api/v1 API.

import { ApiError, api, can } from "./api.js";
import { clear, h, notice } from "./dom.js";
import { dateTime } from "./format.js";
import { CHANNEL_OPTIONS, channelLabel, clearErrors, fieldBox, showErrors, zoneOptions } from "./forms.js";

const CONSENT = {
  pending: "Pending: has not replied YES",
  opted_in: "Opted in",
  opted_out: "Opted out (STOP)",
};

function consentSource(source) {
  if (!source) return "";
  if (source === "enrolment") return "enrolment";
  if (source.startsWith("sms:")) return `texted ${source.slice(4)}`;
  if (source.startsWith("provider:")) return `reported by the SMS provider (${source.slice(9)})`;
  return source;
}

/** The consent facts: the state, since when and from what; the welcome while pending. */
function consentFacts(patient) {
  const since = patient.sms_consent_changed_at
    ? ` since ${dateTime(patient.sms_consent_changed_at)} (${consentSource(patient.sms_consent_source)})` : "";
  const facts = [h("div", {}, h("dt", {}, "SMS consent"),
    h("dd", { id: "consent-state", dataset: { consent: patient.sms_consent } },
      h("span", { class: ["status-chip", `status-chip-consent-${patient.sms_consent}`] },
        CONSENT[patient.sms_consent] || patient.sms_consent), since))];
  if (patient.sms_consent === "pending") {
    const welcome = patient.channel === "app" ? "not sent: the patient checks in in the app only"
      : patient.sms_welcome_sent_at ? `queued ${dateTime(patient.sms_welcome_sent_at)}` : "not sent";
    facts.push(h("div", {}, h("dt", {}, "Welcome text"), h("dd", { id: "welcome-state" }, welcome,
      patient.sms_welcome_resent_at ? `; queued again ${dateTime(patient.sms_welcome_resent_at)}` : "")));
  }
  return facts;
}

function canResend(patient) {
  return patient.sms_consent === "pending" && patient.status !== "discharged" && patient.channel !== "app"
    && patient.sms_welcome_sent_at && !patient.sms_welcome_resent_at;
}

function editForm(patient, onSaved, onCancel) {
  const fields = {
    display_name: fieldBox("edit-name", "Name", h("input", { type: "text", name: "display_name", maxlength: 200,
      autocomplete: "off" })),
    phone: fieldBox("edit-phone", "Mobile number", h("input", { type: "tel", name: "phone", maxlength: 32,
      autocomplete: "off" }), "A new number ends the patient's app sessions and links."),
    timezone: fieldBox("edit-timezone", "Patient's time zone", h("input", { type: "text", name: "timezone",
      list: "edit-zones", maxlength: 64, autocomplete: "off", spellcheck: "false" }), "An IANA name, e.g. America/New_York."),
    preferred_checkin_time: fieldBox("edit-time", "Preferred check-in time",
      h("input", { type: "time", name: "preferred_checkin_time" }), "In the patient's time zone."),
    channel: fieldBox("edit-channel", "Check-ins by",
      h("select", { name: "channel" }, CHANNEL_OPTIONS.map(([value, label]) => h("option", { value }, label)))),
  };
  const initial = { ...patient, preferred_checkin_time: String(patient.preferred_checkin_time).slice(0, 5) };
  for (const [name, field] of Object.entries(fields)) field.control.value = initial[name] ?? "";
  const message = h("div", { class: "form-message", id: "edit-message" });
  const save = h("button", { type: "submit", class: "button button-primary", id: "edit-save" }, "Save changes");
  const cancel = h("button", { type: "button", class: "button button-quiet", id: "edit-cancel" }, "Cancel");
  const form = h("form", { class: "edit-form", id: "edit-form", novalidate: true, "aria-label": "Edit patient" },
    h("div", { class: "form-grid" }, Object.values(fields).map((f) => f.box)), zoneOptions("edit-zones"), message,
    h("div", { class: "form-actions" }, save, cancel));
  cancel.addEventListener("click", onCancel);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(fields, message);
    const body = {};
    for (const [name, field] of Object.entries(fields)) {
      const value = field.control.value.trim();
      if (value !== String(initial[name] ?? "")) body[name] = value;
    }
    if (!Object.keys(body).length) return onCancel();
    save.disabled = true;
    try {
      await onSaved(await api(`/patients/${patient.id}`, { method: "PATCH", body }), "Changes saved.");
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return;
      showErrors(fields, message, error);
    } finally {
      save.disabled = false;
    }
  });
  return form;
}

/**
 * The "Patient record" panel. `onChanged(patient, message)` is called with the stored patient
 * after a change (the page redraws and announces `message`).
 */
export function managePanel(patient, session, onChanged) {
  const panel = h("section", { class: "panel manage-panel", "aria-labelledby": "manage-heading" },
    h("h2", { id: "manage-heading" }, "Patient record"));
  const facts = h("dl", { class: "patient-facts" },
    h("div", {}, h("dt", {}, "Check-ins by"), h("dd", {}, channelLabel(patient.channel))),
    h("div", {}, h("dt", {}, "Preferred time"), h("dd", {}, String(patient.preferred_checkin_time).slice(0, 5))),
    consentFacts(patient));
  const message = h("div", { class: "form-message", id: "manage-message" });
  const actions = h("div", { class: "form-actions manage-actions" });
  const body = h("div", {}, facts, actions, message);
  panel.append(body);
  if (!can(session, "manage-patient")) {
    panel.append(notice("info", "Changing a patient's record needs the clinician or admin role.",
      { id: "manage-not-allowed" }));
    return panel;
  }

  async function act(button, path, done) {
    button.disabled = true;
    clear(message);
    try {
      await onChanged(await api(`/patients/${patient.id}/${path}`, { method: "POST" }), done);
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return;
      clear(message).append(notice("error", error instanceof ApiError ? error.message : String(error)));
      button.disabled = false;
    }
  }

  function button(id, label, kind = "button-secondary") {
    return h("button", { type: "button", class: ["button", kind], id }, label);
  }

  if (canResend(patient)) {
    const resend = button("consent-resend", "Resend welcome");
    resend.addEventListener("click", () => act(resend, "consent/resend",
      "Welcome text sent again. It can be resent only once."));
    actions.append(resend);
  }
  if (patient.status === "discharged") {
    actions.append(h("p", { class: "muted", id: "discharged-note" },
      "Discharged: no check-ins or reminders are sent. Safety replies still answer the patient's texts."));
    return panel;
  }
  const edit = button("patient-edit", "Edit details");
  edit.addEventListener("click", () => {
    const form = editForm(patient, onChanged, () => {
      form.replaceWith(body);
      edit.focus();
    });
    body.replaceWith(form);
    form.querySelector("input").focus();
  });
  actions.prepend(edit);
  if (patient.status === "paused") {
    const resume = button("patient-resume", "Resume check-ins");
    resume.addEventListener("click", () => act(resume, "resume", "Check-ins resumed and planned again."));
    actions.append(resume);
  } else {
    const pause = button("patient-pause", "Pause check-ins");
    pause.addEventListener("click", () => act(pause, "pause",
      "Check-ins paused: no prompts or reminders until resumed."));
    actions.append(pause);
  }
  const discharge = button("patient-discharge", "Discharge…", "button-quiet");
  discharge.addEventListener("click", () => {
    const confirmBox = h("div", { class: "confirm-box", role: "group", "aria-labelledby": "discharge-question" },
      h("p", { id: "discharge-question" }, `Discharge ${patient.reference}? No more check-ins or reminders will be `
        + "sent, and a discharged patient cannot be resumed."),
      h("div", { class: "form-actions" },
        button("discharge-confirm", "Discharge patient", "button-primary"),
        button("discharge-cancel", "Keep the patient", "button-quiet")));
    clear(message).append(confirmBox);
    const confirm = confirmBox.querySelector("#discharge-confirm");
    confirm.addEventListener("click", () => act(confirm, "discharge", "Patient discharged."));
    confirmBox.querySelector("#discharge-cancel").addEventListener("click", () => {
      clear(message);
      discharge.focus();
    });
    confirm.focus();
  });
  actions.append(discharge);
  return panel;
}
