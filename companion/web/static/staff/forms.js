// Form fields that show the API's own words next to the field they are about: each field has a
// label, an optional hint and an error line, tied to the control with aria-describedby.

import { ApiError } from "./api.js";
import { clear, h, notice } from "./dom.js";

/** A labelled field: { box, control, error }. `hint` is shown under the control. */
export function fieldBox(id, label, control, hint) {
  const hintEl = hint ? h("span", { class: "hint", id: `${id}-hint` }, hint) : null;
  const error = h("span", { class: "field-error", id: `${id}-error`, hidden: true });
  control.id = id;
  control.setAttribute("aria-describedby", [hintEl && hintEl.id, error.id].filter(Boolean).join(" "));
  const box = h("div", { class: "field", dataset: { field: control.name } }, h("label", { for: id }, label), control,
    hintEl, error);
  return { box, control, error };
}

function plainWords(message) {
  // Pydantic's "Value error, …" says nothing to staff; the rest is the API's own sentence.
  const text = String(message || "").replace(/^Value error,\s*/i, "");
  return text ? text.charAt(0).toUpperCase() + text.slice(1) : "This value is not accepted.";
}

/** Forget the errors shown on `fields` ({ name: fieldBox }) and in `message`. */
export function clearErrors(fields, message) {
  for (const field of Object.values(fields)) {
    field.error.hidden = true;
    field.error.textContent = "";
    field.control.removeAttribute("aria-invalid");
  }
  if (message) clear(message);
}

/**
 * Show an API error: each `extra` entry whose key is one of `fields` next to that field (the first
 * gets the focus); the rest, or a refusal without fields, in `message`. Nothing typed is changed.
 */
export function showErrors(fields, message, error) {
  const extra = error instanceof ApiError && error.body && Array.isArray(error.body.extra) ? error.body.extra : [];
  let first = null;
  let unplaced = false;
  for (const item of extra) {
    const key = item && typeof item.key === "string" ? item.key.split(".").pop() : null;
    const field = key ? fields[key] : null;
    if (!field) {
      unplaced = true;
      continue;
    }
    field.error.textContent = plainWords(item.message);
    field.error.hidden = false;
    field.control.setAttribute("aria-invalid", "true");
    first = first || field.control;
  }
  const text = error instanceof ApiError ? error.message : String(error);
  clear(message).append(notice("error", first && !unplaced ? "Please check the fields marked above." : text));
  if (first) first.focus();
}

/** The IANA zone names the browser knows, for a datalist (the API checks the name again). */
export function zoneOptions(id) {
  const zones = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
  return h("datalist", { id }, zones.map((zone) => h("option", { value: zone })));
}

export const CHANNEL_OPTIONS = [["sms", "SMS"], ["both", "SMS and app"], ["app", "App only"]];

export function channelLabel(channel) {
  const found = CHANNEL_OPTIONS.find(([value]) => value === channel);
  return found ? found[1] : channel;
}
