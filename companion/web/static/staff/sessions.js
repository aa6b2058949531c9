// Treatment sessions on the patient's page: the list (each session editable and cancellable by
// clinicians and admins), and the form that records one or corrects one. A date more than 30 days
// from today asks to be confirmed before it is sent: a typo in the year or month re-plans every
// check-in from it.

import { ApiError, api } from "./api.js";
import { clear, h, notice } from "./dom.js";
import { MODALITY_OPTIONS, dateTime, isoToWall, modalityLabel, wallToIso, zoneName } from "./format.js";

const DAY = 24 * 60 * 60 * 1000;
export const CONFIRM_BEYOND_DAYS = 30;

function defaultStart() {
  const now = new Date();
  now.setMinutes(Math.floor(now.getMinutes() / 5) * 5, 0, 0);
  return isoToWall(now);
}

function field(id, label, control, hint) {
  return h("div", { class: "field" }, h("label", { for: id }, label), control,
    hint ? h("span", { class: "hint", id: `${id}-hint` }, hint) : null);
}

/** How many whole days `iso` lies from now, when that is more than CONFIRM_BEYOND_DAYS; else 0. */
export function farFromToday(iso, now = Date.now()) {
  const days = Math.round(Math.abs(Date.parse(iso) - now) / DAY);
  return days > CONFIRM_BEYOND_DAYS ? days : 0;
}

/**
 * The form that records a session (`session` absent) or corrects one; calls `onDone(saved)` after
 * the companion stored it, and `onClose()` when a correction is left as it was.
 */
export function sessionForm(patientId, onDone, { session = null, onClose = null } = {}) {
  const id = session ? `session-${session.id}-edit` : "session";
  const zoneHint = `Clinic time (${zoneName()})`;
  const modality = h("select", { id: `${id}-modality`, name: "modality", required: true },
    h("option", { value: "" }, "Choose…"), MODALITY_OPTIONS.map(([value, label]) => h("option", { value,
      selected: session ? session.modality === value : false }, label)));
  const started = h("input", { type: "datetime-local", id: `${id}-started`, name: "started_at", required: true,
    "aria-describedby": `${id}-started-hint` });
  started.value = session ? isoToWall(session.started_at) : defaultStart();
  const ended = h("input", { type: "datetime-local", id: `${id}-ended`, name: "ended_at",
    "aria-describedby": `${id}-ended-hint` });
  if (session && session.ended_at) ended.value = isoToWall(session.ended_at);
  const dose = h("input", { type: "number", id: `${id}-dose`, name: "dose_mg", min: "0.1", max: "2000", step: "0.1",
    inputmode: "decimal", value: session && session.dose_mg ? String(session.dose_mg) : "" });
  const location = h("input", { type: "text", id: `${id}-location`, name: "location", maxlength: 200,
    value: session && session.location ? session.location : "" });
  const notes = h("textarea", { id: `${id}-notes`, name: "notes", rows: 2, maxlength: 4000 });
  if (session && session.notes) notes.value = session.notes;
  const label = session ? "Save changes" : "Record session";
  const submit = h("button", { type: "submit", class: "button button-primary", id: `${id}-submit` }, label);
  const close = session ? h("button", { type: "button", class: "button button-quiet", id: `${id}-close` },
    "Keep it as it was") : null;
  const message = h("div", { class: "form-message", id: `${id}-message` });
  const form = h("form", { class: "session-form", id: `${id}-form`, novalidate: true,
    "aria-label": session ? `Correct the session of ${dateTime(session.started_at)}` : null,
    "aria-labelledby": session ? null : "record-heading" },
  h("div", { class: "form-grid" },
    field(`${id}-modality`, "Modality", modality),
    field(`${id}-dose`, "Dose (mg, optional)", dose),
    field(`${id}-started`, "Started", started, zoneHint),
    field(`${id}-ended`, "Ended (optional)", ended, zoneHint),
  ),
  field(`${id}-location`, "Location (optional)", location),
  field(`${id}-notes`, "Notes (optional)", notes),
  h("div", { class: "form-actions" }, submit, close),
  message);
  if (close) close.addEventListener("click", () => onClose && onClose());

  let confirmedFor = null; // the start time a far date was confirmed for
  for (const control of [started, ended]) control.addEventListener("input", () => { confirmedFor = null; submit.textContent = label; });

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
    const days = farFromToday(startedAt);
    if (days && confirmedFor !== startedAt) {
      confirmedFor = startedAt;
      submit.textContent = session ? "Save anyway" : "Record anyway";
      clear(message).append(notice("info",
        `${dateTime(startedAt)} is ${days} days from today. Check the date; if it is right, press “${submit.textContent}”.`,
        { id: `${id}-far-date` }));
      started.focus();
      return;
    }
    const body = { modality: modality.value, started_at: startedAt };
    if (endedAt || session) body.ended_at = endedAt; // a correction with the end emptied removes it
    if (session && !dose.value) body.dose_mg = null;
    if (dose.value) {
      const mg = Number(dose.value);
      if (!(mg > 0 && mg <= 2000)) return fail("The dose must be more than 0 and at most 2000 mg.", dose);
      body.dose_mg = mg;
    }
    if (location.value.trim() || session) body.location = location.value.trim() || null;
    if (notes.value.trim() || session) body.notes = notes.value.trim() || null;
    if (!session) {
      for (const key of ["location", "notes"]) if (body[key] === null) delete body[key];
    }
    submit.disabled = true;
    submit.textContent = session ? "Saving…" : "Recording…";
    try {
      const saved = await api(`/patients/${patientId}/sessions${session ? `/${session.id}` : ""}`,
        { method: session ? "PATCH" : "POST", body });
      if (!session) {
        form.reset();
        started.value = defaultStart();
      }
      confirmedFor = null;
      await onDone(saved);
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return;
      fail(error instanceof ApiError ? error.message : String(error));
    } finally {
      submit.disabled = false;
      submit.textContent = label;
    }
  });
  return form;
}

function sessionItem(patientId, s, { canEdit, onChanged }) {
  const item = h("li", { class: s.cancelled_at ? "session-cancelled" : null, dataset: { sessionId: s.id } });
  const summary = h("div", { class: "session-summary" },
    h("strong", {}, modalityLabel(s.modality)), ` · ${dateTime(s.started_at)}`,
    s.ended_at ? ` – ${dateTime(s.ended_at)}` : "",
    s.dose_mg ? h("span", { class: "muted" }, ` · ${s.dose_mg} mg`) : null,
    s.location ? h("span", { class: "muted" }, ` · ${s.location}`) : null,
    s.cancelled_at ? h("span", { class: "status-chip status-chip-cancelled" }, "Cancelled") : null,
    s.notes ? h("p", { class: "session-notes" }, s.notes) : null);
  item.append(summary);
  if (!canEdit || s.cancelled_at) return item;
  const where = `the session of ${dateTime(s.started_at)}`;
  const edit = h("button", { type: "button", class: "button button-quiet small", id: `session-${s.id}-edit-open`,
    "aria-label": `Edit ${where}` }, "Edit");
  const cancel = h("button", { type: "button", class: "button button-quiet small", id: `session-${s.id}-cancel`,
    "aria-label": `Cancel ${where}` }, "Cancel");
  const actions = h("div", { class: "session-actions" }, edit, cancel);
  const slot = h("div", { class: "session-slot" });
  item.append(actions, slot);
  edit.addEventListener("click", () => {
    clear(slot).append(sessionForm(patientId, async () => onChanged(), {
      session: s, onClose: () => { clear(slot); edit.focus(); } }));
    slot.querySelector("select").focus();
  });
  cancel.addEventListener("click", () => {
    const yes = h("button", { type: "button", class: "button button-primary small", id: `session-${s.id}-cancel-yes` },
      "Yes, cancel it");
    const no = h("button", { type: "button", class: "button button-quiet small" }, "No, keep it");
    const status = h("div", { role: "status" });
    clear(slot).append(h("p", {}, `Cancel ${where}? The check-ins planned from it are planned again.`), yes, " ", no,
      status);
    no.addEventListener("click", () => { clear(slot); cancel.focus(); });
    yes.addEventListener("click", async () => {
      yes.disabled = true;
      try {
        await api(`/patients/${patientId}/sessions/${s.id}/cancel`, { method: "POST" });
        await onChanged();
      } catch (error) {
        yes.disabled = false;
        clear(status).append(notice("error", error instanceof ApiError ? error.message : String(error)));
      }
    });
    yes.focus();
  });
  return item;
}

export function sessionsList(patientId, sessions, { canEdit = false, onChanged = async () => {} } = {}) {
  if (!sessions.length) return h("p", { class: "empty" }, "No treatment sessions recorded.");
  return h("ol", { class: "session-list", reversed: true },
    sessions.map((s) => sessionItem(patientId, s, { canEdit, onChanged })));
}
