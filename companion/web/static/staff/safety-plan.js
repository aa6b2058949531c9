// The patient's safety plan on the patient page (GET /api/v1/patients/{id}/safety-plan): the six
// steps and the one thing most important to the patient, who last changed it and when, and its
// earlier versions. A clinician or an admin can change it with the patient (PUT); the save is theirs,
// a new version, and the patient sees it in the app. Every load is a read the API audits.

import { ApiError, api, can } from "./api.js";
import { announce, clear, h, notice } from "./dom.js";
import { dateTime } from "./format.js";

const SECTIONS = [
  { key: "warning_signs", number: 1, title: "Warning signs" },
  { key: "coping_strategies", number: 2, title: "Internal coping strategies" },
  { key: "distractions", number: 3, title: "People and social settings that provide distraction", contacts: true },
  { key: "people_to_ask", number: 4, title: "People the patient can ask for help", contacts: true },
  { key: "professionals", number: 5, title: "Professionals or agencies to contact in a crisis", contacts: true },
  { key: "safe_environment", number: 6, title: "Making the environment safe" },
];
const REASON_TITLE = "The one thing most important to the patient, worth living for";
const MAX_ENTRIES = 12;

function savedBy(plan) {
  if (!plan.saved_by) return "";
  return plan.saved_by.kind === "staff" ? (plan.saved_by.name || `staff member ${plan.saved_by.staff_id}`) : "the patient";
}

function savedLine(plan) {
  if (plan.version === null) return h("p", { class: "empty", id: "plan-last-change" }, "No safety plan written yet.");
  return h("p", { class: "muted", id: "plan-last-change" },
    `Version ${plan.version}, last changed by ${savedBy(plan)} on ${dateTime(plan.saved_at)}.`);
}

function entryView(section, entry) {
  if (!section.contacts) return h("li", {}, entry);
  return h("li", {}, h("strong", {}, entry.name), entry.phone ? " · " : null,
    entry.phone ? h("a", { href: `tel:${entry.phone.replace(/[^0-9+]/g, "")}` }, entry.phone) : null);
}

function planView(plan) {
  const steps = SECTIONS.map((section) => {
    const entries = plan[section.key] || [];
    const lines = section.number === 5
      ? [...entries.map((entry) => entryView(section, entry)),
        ...plan.crisis_lines.map((line) => h("li", { class: "muted" }, `${line.name}: ${line.call}` +
          (line.text ? ` (call or text)` : "") + " — always listed"))]
      : entries.map((entry) => entryView(section, entry));
    return h("div", { class: "plan-step", dataset: { section: section.key } },
      h("h3", {}, `${section.number}. ${section.title}`),
      lines.length ? h("ul", {}, lines) : h("p", { class: "empty" }, "Nothing written."));
  });
  return h("div", { class: "plan-view" },
    h("div", { class: "plan-step plan-reason", dataset: { section: "reason_for_living" } },
      h("h3", {}, REASON_TITLE), h("p", {}, plan.reason_for_living || "Nothing written.")),
    ...steps);
}

function contactRows(section, rows) {
  const box = h("fieldset", { class: "plan-contacts" });
  const draw = (focusId) => {
    const add = h("button", { type: "button", class: "button button-quiet", id: `staff-${section.key}-add` },
      "Add a line");
    add.addEventListener("click", () => {
      rows.push({ name: "", phone: "" });
      draw(`staff-${section.key}-${rows.length - 1}-name`);
    });
    clear(box).append(h("legend", {}, `${section.number}. ${section.title}`),
      ...rows.map((row, index) => {
        const base = `staff-${section.key}-${index}`;
        const name = h("input", { type: "text", id: `${base}-name`, maxlength: 120, value: row.name });
        const phone = h("input", { type: "tel", id: `${base}-phone`, maxlength: 32, value: row.phone || "" });
        name.addEventListener("input", () => { row.name = name.value; });
        phone.addEventListener("input", () => { row.phone = phone.value; });
        const remove = h("button", { type: "button", class: "button button-quiet" }, `Remove line ${index + 1}`);
        remove.addEventListener("click", () => {
          rows.splice(index, 1);
          draw(`staff-${section.key}-add`);
        });
        return h("div", { class: "form-grid plan-contact" },
          h("div", { class: "field" }, h("label", { for: `${base}-name` }, `Name, line ${index + 1}`), name),
          h("div", { class: "field" }, h("label", { for: `${base}-phone` }, `Phone, line ${index + 1} (optional)`), phone),
          h("div", { class: "form-actions" }, remove));
      }),
      rows.length < MAX_ENTRIES ? add : null);
    if (focusId) document.getElementById(focusId)?.focus();
  };
  draw(null);
  return box;
}

function editForm(plan, patientId, onSaved, onCancel) {
  const rows = {};
  const fields = SECTIONS.map((section) => {
    if (section.contacts) {
      rows[section.key] = (plan[section.key] || []).map((c) => ({ name: c.name, phone: c.phone || "" }));
      return contactRows(section, rows[section.key]);
    }
    const id = `staff-${section.key}`;
    return h("div", { class: "field" }, h("label", { for: id }, `${section.number}. ${section.title}`),
      h("textarea", { id, rows: 3, "aria-describedby": "plan-lines-hint" }, (plan[section.key] || []).join("\n")));
  });
  const reason = h("textarea", { id: "staff-reason_for_living", rows: 2, maxlength: 1000 }, plan.reason_for_living || "");
  const submit = h("button", { type: "submit", class: "button button-primary", id: "plan-save" }, "Save plan");
  const cancel = h("button", { type: "button", class: "button button-quiet" }, "Cancel");
  const message = h("div", { class: "form-message", id: "plan-message" });
  const form = h("form", { class: "plan-form", id: "plan-form", novalidate: true, "aria-label": "Change the safety plan" },
    h("p", { class: "hint", id: "plan-lines-hint" }, "One entry a line. The save is a new version, in your name; earlier versions are kept."),
    ...fields,
    h("div", { class: "field" }, h("label", { for: "staff-reason_for_living" }, REASON_TITLE), reason),
    h("div", { class: "form-actions" }, submit, cancel), message);
  cancel.addEventListener("click", onCancel);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clear(message);
    const body = { based_on: plan.version, reason_for_living: reason.value.trim() || null };
    for (const section of SECTIONS) {
      body[section.key] = section.contacts
        ? rows[section.key].map((r) => ({ name: r.name.trim(), phone: (r.phone || "").trim() || null }))
          .filter((r) => r.name || r.phone)
        : form.querySelector(`#staff-${section.key}`).value.split("\n").map((line) => line.trim()).filter(Boolean);
    }
    submit.disabled = true;
    try {
      const saved = await api(`/patients/${patientId}/safety-plan`, { method: "PUT", body });
      await onSaved(saved);
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return;
      message.append(notice("error", error instanceof ApiError ? error.message : String(error)));
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

function versionsList(page) {
  if (!page.items.length) return h("p", { class: "empty" }, "No versions yet.");
  return h("ul", { class: "plan-versions" }, page.items.map((plan) => h("li", {},
    h("details", {}, h("summary", {}, `Version ${plan.version}: ${savedBy(plan)}, ${dateTime(plan.saved_at)}`),
      planView(plan)))));
}

/** The safety plan panel of the patient page, built once; `refresh()` reloads it. */
export function safetyPlanPanel(patientId, session) {
  const body = h("div", { id: "patient-plan" }, h("p", { class: "muted" }, "Loading…"));
  const flash = h("div", { class: "form-message", id: "plan-flash" });
  const panel = h("section", { class: "panel", "aria-labelledby": "plan-heading" },
    h("h2", { id: "plan-heading" }, "Safety plan"), flash, body);
  let plan = null;
  let editing = false;

  function draw() {
    const parts = [savedLine(plan)];
    if (editing) {
      parts.push(editForm(plan, patientId, async (saved) => {
        editing = false;
        clear(flash).append(notice("success", saved.saved_over
          ? `Saved as version ${saved.version}. The patient had changed the plan since you opened it (version ${saved.saved_over}); that version is kept in the history.`
          : `Saved as version ${saved.version}.`, { id: "plan-saved", tabindex: "-1" }));
        announce("Safety plan saved.");
        await refresh();
        document.getElementById("plan-saved")?.focus();
      }, () => {
        editing = false;
        draw();
        document.getElementById("plan-edit")?.focus();
      }));
    } else {
      parts.push(planView(plan));
      if (can(session, "edit-safety-plan")) {
        const edit = h("button", { type: "button", class: "button", id: "plan-edit" },
          plan.version === null ? "Write the plan with the patient" : "Change the plan with the patient");
        edit.addEventListener("click", () => {
          editing = true;
          clear(flash);
          draw();
          document.getElementById("staff-warning_signs")?.focus();
        });
        parts.push(h("div", { class: "form-actions" }, edit));
      } else {
        parts.push(notice("info", "Changing the safety plan needs the clinician or admin role.", { id: "plan-not-allowed" }));
      }
      if (plan.version !== null && plan.version > 1) {
        const history = h("details", { class: "plan-history", id: "plan-history" },
          h("summary", {}, `Earlier versions (${plan.version - 1})`), h("p", { class: "muted" }, "Loading…"));
        history.addEventListener("toggle", async () => {
          if (!history.open || history.dataset.loaded) return;
          history.dataset.loaded = "1";
          try {
            const page = await api(`/patients/${patientId}/safety-plan/versions`, { query: { limit: 50 } });
            history.lastChild.replaceWith(versionsList({ ...page, items: page.items.slice(1) }));
          } catch (error) {
            history.lastChild.replaceWith(notice("error", error instanceof ApiError ? error.message : String(error)));
          }
        });
        parts.push(history);
      }
    }
    clear(body).append(...parts);
  }

  async function refresh() {
    try {
      plan = await api(`/patients/${patientId}/safety-plan`);
      if (!editing) draw();
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return;
      clear(body).append(notice("error", error instanceof ApiError ? error.message : String(error)));
    }
  }

  refresh();
  return { panel, refresh };
}
