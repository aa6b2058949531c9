// What an admin changes on the on-call page: a position's rotation (who, in which order) and its
// handoff, and cover for a while. Errors from the companion are shown next to the form.

import { ApiError, api } from "./api.js";
import { clear, h, notice } from "./dom.js";
import { WEEKDAY_OPTIONS, isoToWall, positionLabel, statusLabel, wallToIso } from "./format.js";

function failed(feedback, error) {
  if (error instanceof ApiError && error.status === 401) return;
  const text = error instanceof ApiError ? error.message : String(error);
  clear(feedback).append(notice("error", text));
}

function memberLabel(member) {
  const bits = [statusLabel(member.role)];
  if (!member.phone) bits.push("no phone, cannot be paged");
  return `${member.name} (${bits.join(", ")})`;
}

/** The active members as options; those without a phone are shown but cannot be chosen. */
function memberOptions(staff, placeholder) {
  return [h("option", { value: "" }, placeholder),
    ...staff.filter((m) => m.active).map((m) => h("option", { value: String(m.id), disabled: !m.phone },
      memberLabel(m)))];
}

/** The rotation editor of position `name` (`row` is its schedule, or undefined while the protocol's rota holds). */
export function rotationForm({ base, name, row, staff, onSaved }) {
  const byId = new Map(staff.map((m) => [m.id, m]));
  let rotation = row ? row.rotation.map((p) => ({ id: p.staff_id, name: p.name })) : [];
  const [day, time] = (row ? row.handoff : "mon 09:00").split(" ");
  const list = h("ol", { class: "rotation-edit", id: `rotation-edit-${name}` });
  const feedback = h("div", { class: "form-message", id: `rotation-message-${name}` });
  const addSelect = h("select", { id: `rotation-add-${name}` }, memberOptions(staff, "Choose a person…"));
  const daySelect = h("select", { id: `handoff-day-${name}` },
    WEEKDAY_OPTIONS.map(([value, label]) => h("option", { value, selected: value === day }, label)));
  const timeInput = h("input", { type: "time", id: `handoff-time-${name}`, value: time || "09:00", required: true });
  const save = h("button", { type: "submit", class: "button button-primary", id: `rotation-save-${name}` },
    "Save rotation");

  function move(index, by) {
    const [person] = rotation.splice(index, 1);
    rotation.splice(index + by, 0, person);
    draw(index + by);
  }

  function draw(focusIndex = null) {
    clear(list);
    if (!rotation.length) list.append(h("li", { class: "muted" }, "Nobody yet: add a person below."));
    rotation.forEach((person, index) => {
      const label = person.name || (byId.get(person.id) || {}).name || `staff #${person.id}`;
      list.append(h("li", { dataset: { staffId: person.id } },
        h("span", { class: "rotation-name" }, label),
        h("span", { class: "rotation-tools" },
          h("button", { type: "button", class: "button button-quiet", disabled: index === 0,
            "aria-label": `Move ${label} up`, dataset: { move: "up", index }, onclick: () => move(index, -1) }, "Up"),
          h("button", { type: "button", class: "button button-quiet", disabled: index === rotation.length - 1,
            "aria-label": `Move ${label} down`, dataset: { move: "down", index }, onclick: () => move(index, 1) },
          "Down"),
          h("button", { type: "button", class: "button button-quiet", "aria-label": `Remove ${label} from the rotation`,
            onclick: () => {
              rotation.splice(index, 1);
              draw(Math.min(index, rotation.length - 1));
            } }, "Remove"))));
    });
    if (focusIndex !== null && focusIndex >= 0) {
      const item = list.children[focusIndex];
      const target = item && (item.querySelector("button:not([disabled])"));
      if (target) target.focus();
    }
  }

  const add = h("button", { type: "button", class: "button button-secondary", id: `rotation-add-button-${name}`,
    onclick: () => {
      const id = Number(addSelect.value);
      if (!id) {
        clear(feedback).append(notice("error", "Choose a person to add."));
        addSelect.focus();
        return;
      }
      const member = byId.get(id);
      rotation.push({ id, name: member ? member.name : null });
      addSelect.value = "";
      clear(feedback);
      draw();
    } }, "Add to rotation");

  const form = h("form", { class: "oncall-form", id: `rotation-form-${name}`, novalidate: true,
    "aria-label": `Rotation of ${positionLabel(name)}` },
  h("h4", { class: "form-title" }, "Change the rotation"),
  list,
  h("div", { class: "inline-fields" },
    h("div", { class: "field" }, h("label", { for: `rotation-add-${name}` }, "Add a person"), addSelect), add),
  h("div", { class: "inline-fields" },
    h("div", { class: "field" }, h("label", { for: `handoff-day-${name}` }, "Handoff day"), daySelect),
    h("div", { class: "field" }, h("label", { for: `handoff-time-${name}` }, "Handoff time (clinic)"), timeInput)),
  feedback,
  h("div", { class: "form-actions" }, save));
  draw();

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clear(feedback);
    if (!rotation.length) {
      feedback.append(notice("error", "A rotation needs at least one person."));
      addSelect.focus();
      return;
    }
    if (!/^\d{2}:\d{2}/.test(timeInput.value)) {
      feedback.append(notice("error", "Enter the handoff time, e.g. 09:00."));
      timeInput.focus();
      return;
    }
    save.disabled = true;
    try {
      await api(`${base}/positions/${name}`, { method: "PUT",
        body: { rotation: rotation.map((p) => p.id), handoff: `${daySelect.value} ${timeInput.value.slice(0, 5)}` } });
      await onSaved(`Rotation of ${positionLabel(name)} saved.`);
    } catch (error) {
      save.disabled = false;
      failed(feedback, error);
    }
  });
  return form;
}

/** The form that adds cover to position `name`; cover needs the clinic's own schedule for it. */
export function overrideForm({ base, name, row, staff, onSaved }) {
  if (!row) {
    return h("p", { class: "hint", id: `override-form-${name}` },
      "Save a rotation for this position first: cover is added to the clinic's own schedule.");
  }
  const who = h("select", { id: `override-staff-${name}`, required: true }, memberOptions(staff, "Choose a person…"));
  const starts = h("input", { type: "datetime-local", id: `override-start-${name}`, required: true,
    value: isoToWall(new Date()) });
  const ends = h("input", { type: "datetime-local", id: `override-end-${name}`, required: true });
  const note = h("input", { type: "text", id: `override-note-${name}`, maxlength: 200, autocomplete: "off" });
  const feedback = h("div", { class: "form-message", id: `override-message-${name}` });
  const submit = h("button", { type: "submit", class: "button button-primary", id: `override-submit-${name}` },
    "Add cover");
  const form = h("form", { class: "oncall-form", id: `override-form-${name}`, novalidate: true,
    "aria-label": `Add cover for ${positionLabel(name)}` },
  h("h4", { class: "form-title" }, "Add cover"),
  h("div", { class: "field" }, h("label", { for: `override-staff-${name}` }, "Who covers"), who),
  h("div", { class: "form-grid" },
    h("div", { class: "field" }, h("label", { for: `override-start-${name}` }, "From (clinic time)"), starts),
    h("div", { class: "field" }, h("label", { for: `override-end-${name}` }, "Until (clinic time)"), ends)),
  h("div", { class: "field" }, h("label", { for: `override-note-${name}` }, "Note ",
    h("span", { class: "required" }, "(optional, no patient details)")), note),
  feedback,
  h("div", { class: "form-actions" }, submit));

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clear(feedback);
    const startsAt = wallToIso(starts.value);
    const endsAt = wallToIso(ends.value);
    const problem = !who.value ? [who, "Choose who covers."]
      : !startsAt ? [starts, "Enter when the cover starts."]
        : !endsAt ? [ends, "Enter when the cover ends."]
          : Date.parse(endsAt) <= Date.parse(startsAt) ? [ends, "The cover must end after it starts."] : null;
    if (problem) {
      feedback.append(notice("error", problem[1]));
      problem[0].focus();
      return;
    }
    submit.disabled = true;
    try {
      await api(`${base}/positions/${name}/overrides`, { method: "POST",
        body: { staff_id: Number(who.value), starts_at: startsAt, ends_at: endsAt, note: note.value.trim() || null } });
      const person = staff.find((m) => m.id === Number(who.value));
      await onSaved(`Cover by ${person ? person.name : "staff"} added for ${positionLabel(name)}.`);
    } catch (error) {
      submit.disabled = false;
      failed(feedback, error);
    }
  });
  return form;
}
