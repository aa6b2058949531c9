// The patient's safety plan (docs/clinical.md, "The safety plan"): the six steps of the plan and the
// one thing most important to them, read at #/plan (offline too, from the last copy) and written at
// #/plan/edit. A save goes through the outbox (outbox.js) like a check-in, so one made offline is
// sent when the network is back and nothing written is lost. Step 5 always lists 988 and 911 as
// links to call or text, whatever the plan says.

export const PLAN_KIND = "safety-plan";
const PLAN_URL = "/api/v1/me/safety-plan";
const TITLE = "Safety plan";
// The companion's limits (companion/clinical/safety_plan.py), checked here first to say so kindly.
const LIMITS = { entries: 12, entry: 300, name: 120, phone: 32, reason: 1000 };
const PHONE = /^\+?[0-9 ().-]+$/;

export const SECTIONS = [
  { key: "warning_signs", number: 1, title: "Warning signs that a crisis may be starting",
    hint: "Thoughts, feelings, situations or things I do that tell me a hard time may be coming." },
  { key: "coping_strategies", number: 2, title: "Things I can do on my own to take my mind off my problems",
    hint: "For example: going for a walk, music, a warm shower, a favourite show." },
  { key: "distractions", number: 3, title: "People and places that help take my mind off things", contacts: true,
    add: "Add a person or place", hint: "Friends to spend time with, or places such as a café, a park or a library." },
  { key: "people_to_ask", number: 4, title: "People I can ask for help", contacts: true, add: "Add a person",
    hint: "People I trust to talk to when I am struggling." },
  { key: "professionals", number: 5, title: "Professionals and services I can contact in a crisis", contacts: true,
    add: "Add a professional or service", hint: "My clinic, my clinician or therapist. 988 and 911 are always listed here too." },
  { key: "safe_environment", number: 6, title: "Making my surroundings safe",
    hint: "Steps that keep me safe, such as asking someone to look after medicines or anything I could use to hurt myself." },
];
const REASON = { key: "reason_for_living", title: "The one thing most important to me, worth living for" };
// Always in step 5 (the companion sends them too, as crisis_lines; these are the app's own copy).
const CRISIS_LINES = [
  { name: "988 Suicide & Crisis Lifeline", call: "988", text: "988" },
  { name: "Emergency services", call: "911", text: null },
];

function dial(phone) {
  const digits = String(phone).replace(/[^0-9]/g, "");
  return String(phone).trim().startsWith("+") ? `+${digits}` : digits;
}

function emptyPlan() {
  const plan = { version: null, reason_for_living: null, saved_at: null, saved_by: null };
  for (const section of SECTIONS) plan[section.key] = [];
  return plan;
}

function contentOf(plan) {
  const content = { reason_for_living: plan.reason_for_living || null };
  for (const section of SECTIONS) content[section.key] = (plan[section.key] || []).slice();
  return content;
}

async function planEntries(app) {
  return (await app.waitingEntries()).filter((entry) => app.Outbox.kindOf(entry) === PLAN_KIND);
}

// The plan to show: the newest save still on this device, else the companion's (or its last copy).
async function loadPlan(app) {
  let server = null;
  let problem = null;
  try {
    server = await app.api(PLAN_URL);
  } catch (error) {
    problem = error;
  }
  const entries = await planEntries(app);
  const local = entries[entries.length - 1] || null;
  return { server, problem, local, plan: local ? { ...(server || emptyPlan()), ...local.body } : server };
}

function savedLine(app, plan) {
  if (!plan.saved_at || !plan.saved_by) return null;
  const when = app.stampFormat.format(new Date(plan.saved_at));
  const who = plan.saved_by.kind === "staff"
    ? `${plan.saved_by.name || "a member of your care team"} from your care team` : "you";
  return app.h("p", { class: "meta", id: "plan-saved" }, `Last changed by ${who}, ${when}.`);
}

function callLink(app, name, phone) {
  return app.h("a", { class: "plan-call", href: `tel:${dial(phone)}`, "aria-label": `Call ${name}, ${phone}` }, phone);
}

function crisisLines(app) {
  return app.h("ul", { class: "plan-lines", "aria-label": "Crisis lines, always here" }, CRISIS_LINES.map((line) =>
    app.h("li", {},
      app.h("span", { class: "plan-name" }, line.name),
      app.h("span", { class: "plan-line-actions" },
        app.h("a", { class: "help-button help-urgent", href: `tel:${line.call}`, "aria-label": `Call ${line.call}, ${line.name}` }, `Call ${line.call}`),
        line.text ? app.h("a", { class: "help-button", href: `sms:${line.text}`, "aria-label": `Text ${line.text}, ${line.name}` }, `Text ${line.text}`) : null))));
}

function sectionView(app, section, plan) {
  const entries = plan[section.key] || [];
  const id = `plan-${section.key}`;
  const body = entries.length
    ? app.h("ul", { class: "plan-list" }, entries.map((entry) => section.contacts
      ? app.h("li", {}, app.h("span", { class: "plan-name" }, entry.name), entry.phone ? callLink(app, entry.name, entry.phone) : null)
      : app.h("li", {}, entry)))
    : (section.number === 5 ? null : app.h("p", { class: "hint" }, "Nothing written here yet."));
  return app.h("section", { class: "card plan-step", "aria-labelledby": id },
    app.h("h2", { id, class: "card-title" }, app.h("span", { class: "plan-number" }, `Step ${section.number}`), " ", section.title),
    body,
    section.number === 5 ? crisisLines(app) : null);
}

function statusOf(app, loaded) {
  const notice = app.state.planNotice;
  app.state.planNotice = null;
  if (loaded.local && loaded.local.state === "refused") {
    return app.message("error", `Your last change could not be saved: ${loaded.local.error || "the companion refused it"}. It is kept on this device; change it and save again.`, { role: "alert", id: "plan-status" });
  }
  if (loaded.local) {
    return app.message("info", "Saved on this device. It will be sent to your care team when you're back online.", { role: "status", id: "plan-status" });
  }
  if (notice) return app.message(notice.kind, notice.text, { role: "status", id: "plan-status" });
  if (loaded.problem && loaded.problem.status === 0) {
    return app.message("info", "You are offline. This is your plan as it was last saved on this device.", { role: "status", id: "plan-status" });
  }
  return null;
}

export async function renderPlan(app, options) {
  const ticket = app.ticket();
  const loaded = await loadPlan(app);
  if (ticket !== app.ticket() || (loaded.problem && loaded.problem.status === 401)) return;
  const nodes = [app.heading("My safety plan"),
    app.h("p", { class: "lead" }, "Your plan for hard moments, in your own words. Go through the steps in order until you feel safer. Your care team can see it and can help you with it.")];
  const plan = loaded.plan;
  if (!plan) {
    nodes.push(app.message("info", app.offlineText(loaded.problem, "Your plan could not be loaded. Please try again in a moment."), { role: "status", id: "plan-status" }),
      sectionView(app, SECTIONS[4], emptyPlan()));
    app.render("My safety plan", nodes, options);
    return;
  }
  nodes.push(statusOf(app, loaded));
  const written = SECTIONS.some((section) => (plan[section.key] || []).length) || plan.reason_for_living;
  if (!written) {
    nodes.push(app.h("p", { class: "card" }, "You have not written your plan yet. It helps to write it on a calmer day, on your own or with your care team."));
  }
  if (plan.reason_for_living) {
    nodes.push(app.h("section", { class: "card plan-reason", "aria-labelledby": "plan-reason-title" },
      app.h("h2", { id: "plan-reason-title", class: "card-title" }, REASON.title),
      app.h("p", {}, plan.reason_for_living)));
  }
  nodes.push(...SECTIONS.map((section) => sectionView(app, section, plan)));
  nodes.push(loaded.local ? null : savedLine(app, plan),
    app.h("a", { class: "button block", href: "#/plan/edit" }, written ? "Change my plan" : "Write my plan"));
  app.render("My safety plan", nodes, options);
}

// --- writing the plan -----------------------------------------------------------------------------

function textField(app, section, values) {
  const id = `edit-${section.key}`;
  return app.h("div", { class: "field" },
    app.h("label", { class: "field-label", for: id }, `Step ${section.number}. ${section.title}`),
    app.h("p", { class: "hint", id: `${id}-hint` }, `${section.hint} Write each one on its own line.`),
    app.h("textarea", { id, name: section.key, rows: "4", "aria-describedby": `${id}-hint` }, values.join("\n")));
}

function contactFieldset(app, section, rows) {
  const box = app.h("fieldset", { class: "plan-contacts", "aria-describedby": `edit-${section.key}-hint` });
  const draw = (focus) => {
    const add = app.h("button", { class: "button secondary", type: "button", id: `edit-${section.key}-add`, onclick: () => {
      rows.push({ name: "", phone: "" });
      draw(`edit-${section.key}-${rows.length - 1}-name`);
    } }, section.add);
    box.replaceChildren(
      app.h("legend", { class: "field-label" }, `Step ${section.number}. ${section.title}`),
      app.h("p", { class: "hint", id: `edit-${section.key}-hint` }, section.hint),
      ...rows.map((row, index) => {
        const base = `edit-${section.key}-${index}`;
        const label = `${section.number === 3 ? "Person or place" : section.number === 5 ? "Professional or service" : "Person"} ${index + 1}`;
        return app.h("div", { class: "plan-contact", role: "group", "aria-label": label },
          app.h("label", { class: "field-label", for: `${base}-name` }, `Name (${label.toLowerCase()})`),
          app.h("input", { id: `${base}-name`, type: "text", value: row.name, maxlength: String(LIMITS.name), autocomplete: "off",
            oninput: (event) => { row.name = event.target.value; } }),
          app.h("label", { class: "field-label", for: `${base}-phone` }, `Phone number (${label.toLowerCase()}, optional)`),
          app.h("input", { id: `${base}-phone`, type: "tel", inputmode: "tel", value: row.phone || "", maxlength: String(LIMITS.phone), autocomplete: "off",
            oninput: (event) => { row.phone = event.target.value; } }),
          app.h("button", { class: "button quiet", type: "button", onclick: () => {
            rows.splice(index, 1);
            draw(`edit-${section.key}-add`);
          } }, `Remove ${label.toLowerCase()}`));
      }),
      rows.length < LIMITS.entries ? add : app.h("p", { class: "hint" }, `A step holds up to ${LIMITS.entries}.`));
    if (focus) document.getElementById(focus)?.focus();
  };
  draw(null);
  return box;
}

// What the form holds, as the companion takes it, or the first problem: {body} or {error, field}.
function readForm(form, rows) {
  const body = {};
  for (const section of SECTIONS) {
    if (section.contacts) {
      const entries = [];
      for (const [index, row] of rows[section.key].entries()) {
        const name = row.name.trim();
        const phone = (row.phone || "").trim();
        const base = `edit-${section.key}-${index}`;
        if (!name && !phone) continue;
        if (!name) return { error: `Step ${section.number}: add a name for the number ${phone}, or remove it.`, field: `${base}-name` };
        if (name.length > LIMITS.name) return { error: `Step ${section.number}: a name can be up to ${LIMITS.name} characters.`, field: `${base}-name` };
        const digits = phone.replace(/[^0-9]/g, "").length;
        if (phone && (!PHONE.test(phone) || digits < 3 || digits > 15)) {
          return { error: `Step ${section.number}: the number for ${name} doesn't look like a phone number. Use digits, with spaces or dashes if you like.`, field: `${base}-phone` };
        }
        entries.push({ name, phone: phone || null });
      }
      if (entries.length > LIMITS.entries) return { error: `Step ${section.number} can hold up to ${LIMITS.entries}.`, field: `edit-${section.key}-0-name` };
      body[section.key] = entries;
    } else {
      const lines = form.querySelector(`#edit-${section.key}`).value.split("\n").map((line) => line.trim()).filter(Boolean);
      const field = `edit-${section.key}`;
      if (lines.length > LIMITS.entries) return { error: `Step ${section.number} can hold up to ${LIMITS.entries} lines.`, field };
      if (lines.some((line) => line.length > LIMITS.entry)) return { error: `Step ${section.number}: each line can be up to ${LIMITS.entry} characters.`, field };
      body[section.key] = lines;
    }
  }
  const reason = form.querySelector("#edit-reason").value.trim();
  if (reason.length > LIMITS.reason) return { error: `The one thing most important to you can be up to ${LIMITS.reason} characters.`, field: "edit-reason" };
  body.reason_for_living = reason || null;
  return { body };
}

async function savePlan(app, body, basedOn) {
  const entry = {
    kind: PLAN_KIND,
    client_ref: app.newClientRef(),
    patient: app.state.session.patient.reference,
    title: TITLE,
    body: { ...body, based_on: basedOn, client_ref: null },
    created_at: new Date().toISOString(),
    state: "waiting",
  };
  entry.body.client_ref = entry.client_ref;
  // A change refused earlier was edited into this one: this save carries it forward.
  for (const old of await planEntries(app)) if (old.state === "refused") await app.Outbox.remove(old.client_ref);
  await app.Outbox.put(entry);
  const flushed = await app.flushOutbox(entry.client_ref);
  const sent = flushed && flushed.sent.find((item) => item.entry.client_ref === entry.client_ref);
  if (sent) {
    app.state.planNotice = sent.plan && sent.plan.saved_over
      ? { kind: "info", text: "Saved. Your care team had also changed your plan; this is your plan as you wrote it, and their version is kept for them to see." }
      : { kind: "ok", text: "Saved. Your care team can see your plan." };
  } else if (flushed && flushed.signin) {
    app.state.notice = "Your sign-in has ended. Your plan is saved on this device and will be sent after you sign in.";
  } else {
    app.requestSync();
  }
}

export async function renderPlanEdit(app, options) {
  const ticket = app.ticket();
  const loaded = await loadPlan(app);
  if (ticket !== app.ticket() || (loaded.problem && loaded.problem.status === 401)) return;
  const plan = loaded.plan || emptyPlan();
  const basedOn = loaded.local ? loaded.local.body.based_on ?? null : (loaded.server ? loaded.server.version : null);
  const content = contentOf(plan);
  const rows = {};
  for (const section of SECTIONS) {
    if (section.contacts) rows[section.key] = content[section.key].map((c) => ({ name: c.name, phone: c.phone || "" }));
  }
  const error = app.h("p", { class: "message error", role: "alert", id: "plan-error" });
  const button = app.h("button", { class: "button block", type: "submit" }, "Save my plan");
  const form = app.h("form", { novalidate: true, class: "plan-form", onsubmit: async (event) => {
    event.preventDefault();
    for (const field of form.querySelectorAll("[aria-invalid]")) field.removeAttribute("aria-invalid");
    const read = readForm(form, rows);
    if (read.error) {
      error.textContent = read.error;
      const field = document.getElementById(read.field);
      if (field) {
        // The message is read with the field it is about.
        const described = (field.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
        if (!described.includes("plan-error")) field.setAttribute("aria-describedby", [...described, "plan-error"].join(" "));
        field.setAttribute("aria-invalid", "true");
        field.focus();
      }
      return;
    }
    button.disabled = true;
    button.textContent = "Saving…";
    error.textContent = "";
    try {
      await savePlan(app, read.body, basedOn);
    } catch (problem) {
      error.textContent = "This device could not keep your plan. Please try again.";
      button.disabled = false;
      button.textContent = "Save my plan";
      return;
    }
    location.hash = "#/plan";
  } },
  ...SECTIONS.map((section) => (section.contacts ? contactFieldset(app, section, rows[section.key]) : textField(app, section, content[section.key]))),
  app.h("div", { class: "field" },
    app.h("label", { class: "field-label", for: "edit-reason" }, REASON.title),
    app.h("textarea", { id: "edit-reason", name: REASON.key, rows: "3", maxlength: String(LIMITS.reason) }, content.reason_for_living || "")),
  error,
  button,
  app.h("a", { class: "button secondary block", href: "#/plan" }, "Cancel"));
  const written = SECTIONS.some((section) => content[section.key].length) || content.reason_for_living;
  app.render(written ? "Change my safety plan" : "Write my safety plan", [
    app.heading(written ? "Change my safety plan" : "Write my safety plan"),
    app.h("p", { class: "lead" }, "Write as much or as little as you like. You can change it at any time, on your own or with your care team. Each change is kept."),
    form,
  ], options);
}
