// Enrolling a patient: the form sends what was typed to the API, which checks every field; its
// words are shown next to the fields and nothing typed is lost. A new patient is pending until
// they reply YES to the welcome text (docs/sms.md, "Consent").

import { ApiError, api, can, getSession } from "./api.js";
import { clear, h, notice } from "./dom.js";
import { clinicZone, hasClinicZone } from "./format.js";
import { CHANNEL_OPTIONS, clearErrors, fieldBox, showErrors, zoneOptions } from "./forms.js";

/** The enrol page. Returns a cleanup function. */
export function enrolView(main) {
  const heading = h("h1", { tabindex: "-1", id: "enrol-heading" }, "Enrol a patient");
  const page = h("div", { class: "page" },
    h("p", { class: "breadcrumb" }, h("a", { href: "#/patients" }, "← All patients")), heading);
  clear(main).append(page);
  if (!can(getSession(), "enrol-patient")) {
    page.append(notice("info", "Enrolling a patient needs the clinician or admin role.", { id: "enrol-not-allowed" }));
    return () => {};
  }
  const fields = {
    reference: fieldBox("enrol-reference", "Patient reference",
      h("input", { type: "text", name: "reference", maxlength: 32, autocomplete: "off", spellcheck: "false" }),
      "Letters, digits and dashes, e.g. P-1042. Shown on staff pages instead of the name."),
    display_name: fieldBox("enrol-name", "Name",
      h("input", { type: "text", name: "display_name", maxlength: 200, autocomplete: "off" })),
    phone: fieldBox("enrol-phone", "Mobile number",
      h("input", { type: "tel", name: "phone", maxlength: 32, autocomplete: "off" }),
      "The welcome text goes here, asking the patient to reply YES."),
    timezone: fieldBox("enrol-timezone", "Patient's time zone",
      h("input", { type: "text", name: "timezone", list: "enrol-zones", maxlength: 64, autocomplete: "off",
        spellcheck: "false" }),
      "An IANA name, e.g. America/New_York."),
    preferred_checkin_time: fieldBox("enrol-time", "Preferred check-in time",
      h("input", { type: "time", name: "preferred_checkin_time" }), "In the patient's time zone."),
    channel: fieldBox("enrol-channel", "Check-ins by",
      h("select", { name: "channel" }, CHANNEL_OPTIONS.map(([value, label]) => h("option", { value }, label))),
      "SMS check-ins start when the patient replies YES; in the app they start at once."),
  };
  fields.timezone.control.value = hasClinicZone() ? clinicZone() : "";
  fields.preferred_checkin_time.control.value = "10:00";
  const submit = h("button", { type: "submit", class: "button button-primary", id: "enrol-submit" }, "Enrol patient");
  const message = h("div", { class: "form-message", id: "enrol-message" });
  const form = h("form", { class: "enrol-form panel", id: "enrol-form", novalidate: true,
    "aria-labelledby": "enrol-heading" },
    h("div", { class: "form-grid" }, Object.values(fields).map((f) => f.box)),
    zoneOptions("enrol-zones"),
    message,
    h("div", { class: "form-actions" }, submit));
  page.append(form);

  let alive = true;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(fields, message);
    const body = {};
    for (const [name, field] of Object.entries(fields)) body[name] = field.control.value.trim();
    submit.disabled = true;
    submit.textContent = "Enrolling…";
    try {
      const patient = await api("/patients", { method: "POST", body });
      if (!alive) return;
      window.location.hash = `#/patients/${patient.id}`;
    } catch (error) {
      if (!alive || (error instanceof ApiError && error.status === 401)) return;
      showErrors(fields, message, error);
    } finally {
      submit.disabled = false;
      submit.textContent = "Enrol patient";
    }
  });
  fields.reference.control.focus();
  return () => {
    alive = false;
  };
}
