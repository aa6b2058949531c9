// The patient app: sign in with a code sent by SMS, answer today's check-ins one question per
// screen, see your history, read and write your safety plan (plan.js), choose when and how we reach
// you. Talks only to the /api/v1 JSON API. Check-ins and saves of the plan go through the outbox
// (outbox.js), so one made offline is sent when the network is back.

import { GAD7_BANDS, PHQ9_BANDS, bandLabel, formatDay, timeChart } from "./charts.js";
import { forgetDevice, notificationsSection } from "./notifications.js";
import { PLAN_KIND, renderPlan, renderPlanEdit } from "./plan.js";

const Outbox = self.CompanionOutbox;
const SESSION_KEY = "companion.session";
const DRAFT_PREFIX = "companion.draft.";
const SYNC_TAG = "send-checkins";
const API_CACHE = "companion-api";
const RETRY_MS = 30000;

// The daily mood check-in, for a check-in the patient starts themselves (docs/clinical.md, "Daily mood").
const MOOD = {
  id: null,
  instrument: "mood",
  title: "Daily mood",
  intro: null,
  answered: {},
  questions: [
    { key: "mood", text: "How is your mood today, from 0 (worst) to 10 (best)?", answer_type: "scale", min: 0, max: 10, choices: [], optional: false },
    { key: "anxiety", text: "How anxious do you feel today, from 0 (not at all) to 10 (extremely)?", answer_type: "scale", min: 0, max: 10, choices: [], optional: true },
    { key: "sleep_hours", text: "How many hours did you sleep last night?", answer_type: "number", min: 0, max: 24, choices: [], optional: true },
    { key: "note", text: "Anything your care team should know?", answer_type: "text", min: null, max: null, choices: [], optional: true },
  ],
};

// Questions asked only after a given answer (the C-SSRS screener). A question may also carry its
// own rule as ask_if {key, equals}.
const ASK_IF = {
  cssrs_3: { key: "cssrs_2", equals: true },
  cssrs_4: { key: "cssrs_2", equals: true },
  cssrs_5: { key: "cssrs_2", equals: true },
  cssrs_6_recent: { key: "cssrs_6", equals: true },
};

const state = {
  session: loadSession(),
  profile: null,
  pending: null,
  flow: null,
  result: null,
  notice: null,
  clinicCrisis: null,
  planNotice: null,
  signin: { step: "phone", phone: "" },
};
let renderTicket = 0;

const main = document.getElementById("main");
const nav = document.getElementById("nav");

// --- small helpers --------------------------------------------------------------------------

function h(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    // Styles through the CSSOM: the content security policy refuses style attributes.
    else if (key === "style") Object.assign(node.style, value);
    else if (key.startsWith("on") && typeof value === "function") node.addEventListener(key.slice(2), value);
    else if (value === true) node.setAttribute(key, "");
    else node.setAttribute(key, String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function heading(text, level = 1) {
  return h(`h${level}`, { tabindex: "-1", id: level === 1 ? "screen-title" : undefined }, text);
}

function render(title, nodes, { focus = true } = {}) {
  // A refresh in place (focus: false) keeps the reader where they were: on the heading.
  const hadFocus = main.contains(document.activeElement);
  main.replaceChildren(...nodes.filter(Boolean));
  document.title = `${title} · Companion`;
  updateNav();
  if (focus) window.scrollTo(0, 0);
  if (focus || hadFocus) {
    const target = main.querySelector("h1");
    if (target) target.focus();
  }
}

function message(kind, text, extra = {}) {
  return h("p", { class: `message ${kind}`, ...extra }, text);
}

function toast(text) {
  const node = document.getElementById("toast");
  node.textContent = text;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => {
    node.textContent = "";
  }, 7000);
}

const timeFormat = new Intl.DateTimeFormat(undefined, { weekday: "short", hour: "numeric", minute: "2-digit" });
const stampFormat = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric", hour: "numeric", minute: "2-digit" });

function newClientRef() {
  if (self.crypto && typeof self.crypto.randomUUID === "function") return self.crypto.randomUUID();
  const bytes = new Uint8Array(16);
  self.crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

// --- session and API ------------------------------------------------------------------------

function loadSession() {
  try {
    const session = JSON.parse(localStorage.getItem(SESSION_KEY) || "null");
    if (session && session.token && new Date(session.expires_at) > new Date()) return session;
  } catch (error) {
    // a damaged entry is the same as none
  }
  return null;
}

async function saveSession(token, expiresAt, patient) {
  state.session = { token, expires_at: expiresAt, patient };
  localStorage.setItem(SESSION_KEY, JSON.stringify(state.session));
  if (Outbox) await Outbox.setSession({ token, expires_at: expiresAt, patient: patient.reference });
}

function clearDrafts() {
  for (const key of Object.keys(sessionStorage)) if (key.startsWith(DRAFT_PREFIX)) sessionStorage.removeItem(key);
}

async function signOut({ expired = false } = {}) {
  // This browser stops getting the patient's notifications (the companion is told while the
  // sign-in still holds; an ended one cannot, and the push service then reports it gone).
  if (state.session) await forgetDevice(api, { tellCompanion: !expired });
  state.session = null;
  state.profile = null;
  state.clinicCrisis = null;
  state.pending = null;
  state.flow = null;
  state.result = null;
  state.planNotice = null;
  state.signin = { step: "phone", phone: "" };
  localStorage.removeItem(SESSION_KEY);
  clearDrafts();
  // Check-ins waiting to send stay in the outbox and go when this patient signs in again.
  if (Outbox) await Outbox.clearSession().catch(() => undefined);
  if (self.caches) await caches.delete(API_CACHE).catch(() => undefined);
  state.notice = expired ? "Your sign-in has ended. Please sign in again." : null;
  if (location.hash !== "#/signin") location.hash = "#/signin";
  else route();
}

class ApiError extends Error {
  constructor(status, detail, body) {
    super(detail);
    this.status = status;
    this.detail = detail;
    this.body = body;
  }
}

async function api(path, { method = "GET", body, auth = true } = {}) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (auth && state.session) headers.Authorization = `Bearer ${state.session.token}`;
  let response;
  try {
    response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (error) {
    throw new ApiError(0, "offline", null);
  }
  let data = null;
  try {
    data = await response.json();
  } catch (error) {
    data = null;
  }
  if (response.status === 401 && auth) {
    await signOut({ expired: true });
    throw new ApiError(401, "signed out", data);
  }
  if (!response.ok) {
    const detail = data && typeof data.detail === "string" ? data.detail : `The companion answered ${response.status}.`;
    throw new ApiError(response.status, detail, data);
  }
  return data;
}

function offlineText(error, fallback) {
  return error && error.status === 0 ? "You are offline. Please try again when you are back online." : fallback;
}

// --- the outbox -----------------------------------------------------------------------------

async function waitingEntries() {
  if (!Outbox || !state.session) return [];
  try {
    return await Outbox.list(state.session.patient.reference);
  } catch (error) {
    return [];
  }
}

async function requestSync() {
  try {
    const registration = await navigator.serviceWorker?.getRegistration();
    if (registration && registration.sync) await registration.sync.register(SYNC_TAG);
  } catch (error) {
    // Background Sync is optional: the online event and the retry timer send it too.
  }
}

let flushChain = Promise.resolve(null);

// Send what waits in the outbox, one run after another. `own` is the check-in the patient has
// just sent from this screen: its result is shown there, not announced as a saved one.
function flushOutbox(own = null) {
  const run = flushChain.then(async () => {
    if (!Outbox || !state.session) return null;
    try {
      const result = await Outbox.flush();
      const others = result.sent.filter((item) => item.entry.client_ref !== own);
      if (others.length) afterSent(others);
      if (result.signin) await signOut({ expired: true });
      return result;
    } catch (error) {
      return null;
    }
  });
  flushChain = run.catch(() => null);
  return run;
}

function afterSent(sent) {
  state.pending = null;
  const plans = sent.filter((item) => item.kind === PLAN_KIND);
  for (const item of plans) {
    if (item.plan && item.plan.saved_over) {
      state.planNotice = { kind: "info", text: "Your plan was sent. Your care team had also changed it; this is your plan as you wrote it, and their version is kept for them to see." };
    }
  }
  const refs = new Set(sent.map((item) => item.entry.client_ref));
  const mine = state.result && state.result.status === "saved" && refs.has(state.result.client_ref);
  if (mine) {
    const item = sent.find((s) => s.entry.client_ref === state.result.client_ref);
    state.result = { status: "sent", title: state.result.title, checkin: item.checkin, client_ref: state.result.client_ref };
  }
  announceSent(sent.length - plans.length, plans.length);
  refreshAfterOutboxChange();
}

// Whichever sent them (this page, or the service worker's background sync), the patient is told.
function announceSent(count, plans = 0) {
  const parts = [];
  if (count) parts.push(count === 1 ? "Your saved check-in was sent." : `${count} saved check-ins were sent.`);
  if (plans) parts.push("Your safety plan was sent to your care team.");
  if (parts.length) toast(parts.join(" "));
}

async function refreshAfterOutboxChange() {
  const current = currentRoute();
  // The plan is shown again as sent; a plan being written is left as it is.
  if (current.name === "home" || (current.name === "plan" && !current.arg)) route({ focus: false });
  if (current.name === "done" && state.result && state.result.status === "saved") {
    const entries = await waitingEntries();
    if (!entries.some((entry) => entry.client_ref === state.result.client_ref)) {
      state.result = { status: "sent", title: state.result.title, checkin: null, client_ref: state.result.client_ref };
    }
    route({ focus: false });
  } else if (current.name === "done") {
    route({ focus: false });
  }
}

// --- crisis resources -----------------------------------------------------------------------

async function loadCrisis() {
  let data;
  try {
    data = await api("/api/v1/crisis", { auth: false });
  } catch (error) {
    return; // the built-in copy stays
  }
  if (!data) return;
  if (data.text) document.getElementById("crisis-text").textContent = data.text;
  if (data.not_emergency) document.getElementById("not-emergency").textContent = data.not_emergency;
  const items = [];
  for (const resource of data.resources || []) {
    if (resource.call) {
      items.push(h("li", {}, h("a", {
        class: `help-button${items.length === 0 ? " help-urgent" : ""}`,
        href: `tel:${resource.call}`,
        "aria-label": `Call ${resource.call}, ${resource.name}`,
      }, `Call ${resource.call}`)));
    }
    if (resource.text) {
      items.push(h("li", {}, h("a", {
        class: "help-button",
        href: `sms:${resource.text}`,
        "aria-label": `Text ${resource.text}, ${resource.name}`,
      }, `Text ${resource.text}`)));
    }
  }
  if (!items.length) return;
  // The bar holds three and the safety plan; any further line the clinic adds is listed with the
  // statement below.
  document.getElementById("crisis-actions").replaceChildren(...items.slice(0, 3), document.getElementById("plan-action"));
  const more = items.slice(3);
  for (const item of more) item.firstChild.className = "help-button";
  document.getElementById("crisis-more").replaceChildren(...more);
}

// --- routing --------------------------------------------------------------------------------

function currentRoute() {
  const match = /^#\/([a-z]+)(?:\/([A-Za-z0-9_-]+))?$/.exec(location.hash || "");
  return { name: match ? match[1] : "", arg: match ? match[2] : undefined };
}

function updateNav() {
  nav.hidden = !state.session;
  // The safety plan, one tap from the crisis lines, for a signed-in patient (offline too).
  document.getElementById("plan-action").hidden = !state.session;
  document.getElementById("crisis-plan").hidden = !state.session;
  const { name } = currentRoute();
  for (const link of nav.querySelectorAll("a")) {
    if (link.dataset.route === name) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

function route(options = {}) {
  const { name, arg } = currentRoute();
  renderTicket += 1;
  if (!state.session) {
    if (name !== "signin") {
      location.replace("#/signin");
      return;
    }
    renderSignIn(options);
    return;
  }
  switch (name) {
    case "home":
      renderHome(options);
      break;
    case "checkin":
      renderCheckin(arg, options);
      break;
    case "done":
      renderDone(options);
      break;
    case "history":
      renderHistory(options);
      break;
    case "settings":
      renderSettings(options);
      break;
    case "plan":
      if (arg === "edit") renderPlanEdit(planApp, options);
      else if (arg === undefined) renderPlan(planApp, options);
      else location.replace("#/plan");
      break;
    default:
      location.replace("#/home");
  }
}

function updateOffline() {
  document.getElementById("offline").hidden = navigator.onLine;
}

// --- sign in --------------------------------------------------------------------------------

function renderSignIn(options) {
  const signin = state.signin;
  const status = h("div", { class: "message error", role: "alert", id: "signin-error" });
  const notice = state.notice ? message("info", state.notice, { role: "status" }) : null;
  if (signin.step === "phone") {
    const input = h("input", {
      id: "phone", name: "phone", type: "tel", autocomplete: "tel", inputmode: "tel", required: true,
      value: signin.phone, "aria-describedby": "phone-hint signin-error",
    });
    const button = h("button", { class: "button block", type: "submit" }, "Text me a code");
    const form = h("form", { novalidate: true, onsubmit: async (event) => {
      event.preventDefault();
      const phone = input.value.trim();
      if (!phone) {
        status.textContent = "Enter your mobile number.";
        input.setAttribute("aria-invalid", "true");
        input.focus();
        return;
      }
      button.disabled = true;
      status.textContent = "";
      try {
        await api("/api/v1/auth/patient/code", { method: "POST", body: { phone }, auth: false });
        state.signin = { step: "code", phone };
        state.notice = null;
        route();
      } catch (error) {
        input.setAttribute("aria-invalid", "true");
        if (error.status === 429) status.textContent = "Too many codes were asked for. Please wait a while and try again.";
        else if (error.status === 400) status.textContent = "That does not look like a mobile number. Check it and try again.";
        else status.textContent = offlineText(error, "Something went wrong. Please try again.");
        button.disabled = false;
        input.focus();
      }
    } },
    h("div", { class: "field" },
      h("label", { class: "field-label", for: "phone" }, "Mobile number"),
      input,
      h("p", { class: "hint", id: "phone-hint" }, "The number your clinic has for you. We will text you a 6-digit code."),
    ),
    status,
    button);
    render("Sign in", [heading("Sign in"), h("p", { class: "lead" }, "Check in with your care team between sessions."), notice, form], options);
    return;
  }

  const input = h("input", {
    id: "code", name: "code", type: "text", inputmode: "numeric", autocomplete: "one-time-code", maxlength: "6",
    pattern: "[0-9]{6}", required: true, "aria-describedby": "code-hint signin-error",
  });
  const button = h("button", { class: "button block", type: "submit" }, "Sign in");
  const form = h("form", { novalidate: true, onsubmit: async (event) => {
    event.preventDefault();
    const code = input.value.replace(/\s+/g, "");
    if (!/^[0-9]{6}$/.test(code)) {
      status.textContent = "The code is the 6 digits in the text message.";
      input.setAttribute("aria-invalid", "true");
      input.focus();
      return;
    }
    button.disabled = true;
    status.textContent = "";
    try {
      const data = await api("/api/v1/auth/patient/verify", { method: "POST", body: { phone: signin.phone, code }, auth: false });
      await saveSession(data.access_token, data.expires_at, data.patient);
      state.signin = { step: "phone", phone: "" };
      state.notice = null;
      location.hash = "#/home";
      flushOutbox();
    } catch (error) {
      input.setAttribute("aria-invalid", "true");
      status.textContent = error.status === 401
        ? "That code is wrong or has expired. Check the text message, or ask for a new code."
        : offlineText(error, "Something went wrong. Please try again.");
      button.disabled = false;
      input.focus();
    }
  } },
  h("div", { class: "field" },
    h("label", { class: "field-label", for: "code" }, "6-digit code"),
    input,
    h("p", { class: "hint", id: "code-hint" }, "The code is in the text message. It expires in 10 minutes."),
  ),
  status,
  button);
  const again = h("div", { class: "stack actions" },
    h("button", { class: "button quiet", type: "button", onclick: async () => {
      status.textContent = "";
      try {
        await api("/api/v1/auth/patient/code", { method: "POST", body: { phone: signin.phone }, auth: false });
        toast("A new code is on its way.");
      } catch (error) {
        status.textContent = error.status === 429
          ? "Too many codes were asked for. Please wait a while and try again."
          : offlineText(error, "Something went wrong. Please try again.");
      }
    } }, "Send a new code"),
    h("button", { class: "button quiet", type: "button", onclick: () => {
      state.signin = { step: "phone", phone: signin.phone };
      route();
    } }, "Use a different number"),
  );
  render("Enter your code", [heading("Enter your code"), h("p", { class: "lead" }, `If ${signin.phone} is enrolled with your clinic, we have texted a code to it.`), form, again], options);
}

// --- today ----------------------------------------------------------------------------------

async function loadPending() {
  const pending = await api("/api/v1/me/checkins/pending");
  state.pending = pending;
  return pending;
}

function firstName() {
  const name = (state.session.patient && state.session.patient.display_name) || "";
  return name.trim().split(/\s+/)[0] || "";
}

function waitingCard(entries) {
  if (!entries.length) return null;
  const waiting = entries.filter((entry) => entry.state !== "refused");
  const refused = entries.filter((entry) => entry.state === "refused");
  const card = h("section", { class: "card waiting", "aria-labelledby": "waiting-title" },
    h("h2", { id: "waiting-title", class: "card-title" }, waiting.length ? "Waiting to send" : "Not sent"));
  if (waiting.length) {
    const things = waiting.every((entry) => Outbox.kindOf(entry) !== PLAN_KIND) ? "check-ins" : "changes";
    card.append(h("p", {}, waiting.length === 1
      ? "Saved on this device. It will be sent when you're back online."
      : `${waiting.length} ${things} are saved on this device. They will be sent when you're back online.`));
    card.append(h("ul", {}, waiting.map((entry) => h("li", {}, `${entry.title}, ${stampFormat.format(new Date(entry.created_at))}`))));
  }
  for (const entry of refused) {
    card.append(h("p", {}, `${entry.title} could not be sent: ${entry.error || "the companion refused it"}. It is kept on this device.`));
    card.append(h("button", { class: "button secondary", type: "button", onclick: async () => {
      const question = Outbox.kindOf(entry) === PLAN_KIND
        ? "Remove the unsent change to your safety plan from this device?"
        : `Remove the unsent ${entry.title} check-in from this device?`;
      if (!window.confirm(question)) return;
      await Outbox.remove(entry.client_ref);
      route({ focus: false });
    } }, `Remove unsent ${entry.title}`));
  }
  return card;
}

function pendingCard(prompt) {
  const total = prompt.questions.length;
  const answered = Object.keys(prompt.answered || {}).length;
  const started = answered > 0;
  return h("li", { class: "card" },
    h("h3", {}, prompt.title),
    h("p", { class: "meta" },
      started ? `${answered} of ${total} answered · ` : "",
      `Open until ${timeFormat.format(new Date(prompt.expires_at))}`),
    h("a", { class: "button block", href: `#/checkin/${prompt.id}` },
      started ? "Continue" : "Start", h("span", { class: "visually-hidden" }, ` ${prompt.title}`)),
  );
}

async function renderHome(options) {
  const ticket = renderTicket;
  const greeting = firstName() ? `Hello, ${firstName()}` : "Hello";
  let pending = null;
  let problem = null;
  try {
    pending = await loadPending();
  } catch (error) {
    if (error.status === 401) return;
    problem = error.status === 0
      ? "You are offline, so today's check-ins cannot be shown yet. You can still check in below."
      : "Today's check-ins could not be loaded. Please try again in a moment.";
  }
  const entries = await waitingEntries();
  if (ticket !== renderTicket) return;
  const queuedPrompts = new Set(entries.map((entry) => entry.body.prompt_id).filter((id) => id != null));
  const open = (pending || []).filter((prompt) => !queuedPrompts.has(prompt.id));
  const notice = state.notice ? message("info", state.notice, { role: "status" }) : null;
  state.notice = null;

  const list = open.length
    ? h("ul", { class: "card-list" }, open.map(pendingCard))
    : h("p", { class: "card" }, problem || "You have no check-ins due right now. Thank you for keeping in touch.");
  const moodPrompt = open.find((prompt) => prompt.instrument === "mood");
  const coming = await loadUpcoming();
  if (ticket !== renderTicket) return;
  render("Today", [
    heading(greeting),
    notice,
    waitingCard(entries),
    h("h2", {}, "Today's check-ins"),
    open.length && problem ? message("info", problem) : null,
    list,
    h("section", { class: "card", "aria-labelledby": "now-title" },
      h("h2", { id: "now-title", class: "card-title" }, "How are you today?"),
      h("p", {}, "A quick check-in on your mood, whenever you like."),
      h("a", { class: "button block", href: moodPrompt ? `#/checkin/${moodPrompt.id}` : "#/checkin/mood" }, "Check in now")),
    upcomingCard(coming),
  ], options);
}

const dayFormat = new Intl.DateTimeFormat(undefined, { weekday: "long", month: "short", day: "numeric", hour: "numeric", minute: "2-digit" });

async function loadUpcoming() {
  try {
    return await api("/api/v1/me/upcoming");
  } catch {
    return null;  // offline or refused: the card says nothing rather than something stale
  }
}

/** Sessions still to come and the check-ins planned for the week, soonest first. */
function upcomingCard(coming) {
  if (!coming) return null;
  const items = [
    ...coming.sessions.map((s) => ({ at: new Date(s.started_at), text: `Treatment session${s.location ? `, ${s.location}` : ""}` })),
    ...coming.checkins.map((c) => ({ at: new Date(c.due_at), text: c.title })),
  ].sort((a, b) => a.at - b.at);
  return h("section", { class: "card", "aria-labelledby": "upcoming-title" },
    h("h2", { id: "upcoming-title", class: "card-title" }, "Coming up"),
    items.length
      ? h("ul", { class: "upcoming" }, items.map((item) => h("li", {},
        h("time", { datetime: item.at.toISOString() }, dayFormat.format(item.at)), " · ", item.text)))
      : h("p", {}, "Nothing planned for the next week."));
}

// --- a check-in, one question per screen ------------------------------------------------------

function ruleOf(question) {
  return question.ask_if || ASK_IF[question.key] || null;
}

function applicable(flow) {
  return flow.prompt.questions.filter((question) => {
    const rule = ruleOf(question);
    return !rule || flow.answers[rule.key] === rule.equals;
  });
}

function saveDraft(flow) {
  sessionStorage.setItem(DRAFT_PREFIX + flow.key, JSON.stringify({ answers: flow.answers, index: flow.index, client_ref: flow.client_ref }));
}

function loadDraft(key) {
  try {
    return JSON.parse(sessionStorage.getItem(DRAFT_PREFIX + key) || "null");
  } catch (error) {
    return null;
  }
}

async function findPrompt(arg) {
  if (arg === "mood") return MOOD;
  const id = Number(arg);
  const known = (state.pending || []).find((prompt) => prompt.id === id);
  if (known) return known;
  const pending = await loadPending();
  return pending.find((prompt) => prompt.id === id) || null;
}

async function renderCheckin(arg, options) {
  const ticket = renderTicket;
  if (!state.flow || state.flow.key !== arg) {
    let prompt;
    try {
      prompt = await findPrompt(arg);
    } catch (error) {
      if (error.status === 401) return;
      prompt = undefined;
      if (ticket !== renderTicket) return;
      render("Check-in", [heading("Check-in"), message("info", offlineText(error, "This check-in could not be loaded. Please try again.")),
        h("a", { class: "button secondary", href: "#/home" }, "Back to today")], options);
      return;
    }
    if (ticket !== renderTicket) return;
    if (!prompt) {
      render("Check-in", [heading("This check-in has closed"),
        h("p", {}, "It was already answered, or its time has passed. Thank you all the same."),
        h("a", { class: "button", href: "#/home" }, "Back to today")], options);
      return;
    }
    const draft = loadDraft(arg);
    const flow = {
      key: arg,
      prompt,
      answers: Object.assign({}, prompt.answered || {}, (draft && draft.answers) || {}),
      index: 0,
      client_ref: (draft && draft.client_ref) || newClientRef(),
    };
    const questions = applicable(flow);
    const firstOpen = questions.findIndex((question) => !(question.key in flow.answers));
    flow.index = draft && Number.isInteger(draft.index) ? Math.min(draft.index, questions.length - 1) : Math.max(0, firstOpen);
    state.flow = flow;
  }
  renderQuestion(options);
}

function scaleEnds(question) {
  const match = /from\s+(\d+)\s*\(([^)]+)\)\s*to\s+(\d+)\s*\(([^)]+)\)/i.exec(question.text);
  if (!match) return null;
  return h("div", { class: "scale-ends", id: "scale-ends" },
    h("span", {}, `${match[1]} = ${match[2]}`), h("span", {}, `${match[3]} = ${match[4]}`));
}

function tiles(question, kind, options, current) {
  return h("div", { class: `tiles ${kind}` }, options.map((option) => h("label", { class: "tile" },
    h("input", {
      type: "radio",
      name: "answer",
      value: String(option.value),
      checked: current !== undefined && current !== null && option.value === current,
      "aria-describedby": kind === "scale" ? "scale-ends" : undefined,
    }),
    h("span", {}, option.label))));
}

function answerInput(question, current) {
  switch (question.answer_type) {
    case "scale": {
      const values = [];
      for (let v = question.min; v <= question.max; v += 1) values.push({ value: v, label: String(v) });
      return [tiles(question, "scale", values, current), scaleEnds(question)];
    }
    case "choice":
      return [tiles(question, "choice", question.choices, current)];
    case "yesno":
      return [tiles(question, "yesno", [{ value: true, label: "Yes" }, { value: false, label: "No" }], current)];
    case "number":
      return [
        h("label", { class: "field-label", for: "answer" }, "Your answer"),
        h("input", {
          id: "answer", name: "answer", type: "number", inputmode: "decimal", step: "0.5",
          min: question.min ?? undefined, max: question.max ?? undefined, value: current ?? "",
          "aria-describedby": "number-hint answer-error",
        }),
        h("p", { class: "hint", id: "number-hint" }, `A number from ${question.min} to ${question.max}.`),
      ];
    default:
      return [
        h("label", { class: "field-label", for: "answer" }, "Your answer"),
        h("textarea", { id: "answer", name: "answer", maxlength: "1000", rows: "5", "aria-describedby": "text-hint answer-error" }, current ?? ""),
        h("p", { class: "hint", id: "text-hint" },
          "Your care team reads this during clinic hours. If you are in danger, call or text 988 or call 911 now."),
      ];
  }
}

// The answer on screen: {ok: true, value} or {ok: false, error} or {ok: true, empty: true}.
function readAnswer(form, question) {
  const type = question.answer_type;
  if (type === "scale" || type === "choice" || type === "yesno") {
    const checked = form.querySelector("input[name=answer]:checked");
    if (!checked) return { ok: true, empty: true };
    if (type === "yesno") return { ok: true, value: checked.value === "true" };
    return { ok: true, value: Number.parseInt(checked.value, 10) };
  }
  const field = form.querySelector("[name=answer]");
  const raw = field.value.trim();
  if (!raw) return { ok: true, empty: true };
  if (type === "number") {
    const value = Number(raw);
    if (!Number.isFinite(value) || value < question.min || value > question.max) {
      return { ok: false, error: `Enter a number from ${question.min} to ${question.max}.` };
    }
    return { ok: true, value };
  }
  return { ok: true, value: raw.slice(0, 1000) };
}

function renderQuestion(options) {
  const flow = state.flow;
  const questions = applicable(flow);
  flow.index = Math.min(Math.max(flow.index, 0), questions.length - 1);
  const question = questions[flow.index];
  const last = flow.index === questions.length - 1;
  const current = flow.answers[question.key];
  const error = h("p", { class: "message error", role: "alert", id: "answer-error" });
  const choiceLike = ["scale", "choice", "yesno"].includes(question.answer_type);
  const percent = Math.round((flow.index / questions.length) * 100);

  const keep = (form) => {
    const answer = readAnswer(form, question);
    if (answer.ok && !answer.empty) flow.answers[question.key] = answer.value;
    saveDraft(flow);
  };
  const form = h("form", { novalidate: true, class: "question-form", onsubmit: (event) => {
    event.preventDefault();
    const answer = readAnswer(form, question);
    if (!answer.ok || answer.empty) {
      if (answer.empty && question.optional) {
        flow.answers[question.key] = null;
      } else {
        error.textContent = answer.ok ? (choiceLike ? "Choose an answer to go on." : "Type an answer to go on.") : answer.error;
        const field = form.querySelector("[name=answer]");
        if (field) {
          if (!choiceLike) field.setAttribute("aria-invalid", "true");
          field.focus();
        }
        return;
      }
    } else {
      flow.answers[question.key] = answer.value;
    }
    advance();
  } });

  const fields = choiceLike
    ? h("fieldset", { "aria-labelledby": "screen-title", "aria-describedby": "answer-error" }, ...answerInput(question, current))
    : h("div", { class: "field" }, ...answerInput(question, current));
  const back = h("button", { class: "button secondary", type: "button", onclick: () => {
    keep(form);
    if (flow.index === 0) {
      location.hash = "#/home";
      return;
    }
    flow.index -= 1;
    saveDraft(flow);
    renderQuestion();
  } }, "Back");
  const next = h("button", { class: "button", type: "submit" }, last ? "Send" : "Next");
  form.append(fields, error, h("div", { class: "actions" }, back, next));
  if (question.optional) {
    form.append(h("div", { class: "actions" }, h("button", { class: "button quiet", type: "button", onclick: () => {
      flow.answers[question.key] = null;
      advance();
    } }, "Skip this question")));
  }

  render(flow.prompt.title, [
    h("p", { class: "progress-text", id: "progress-text" }, `${flow.prompt.title} · Question ${flow.index + 1} of ${questions.length}`),
    h("div", { class: "progress", role: "progressbar", "aria-labelledby": "progress-text", "aria-valuemin": "0", "aria-valuemax": String(questions.length), "aria-valuenow": String(flow.index) },
      h("span", { style: { width: `${percent}%` } })),
    flow.prompt.intro ? h("p", { class: "intro" }, flow.prompt.intro) : null,
    h("h1", { class: "question", id: "screen-title", tabindex: "-1" }, question.text, question.optional ? h("span", { class: "hint" }, " (optional)") : null),
    form,
  ], options);
}

function advance() {
  const flow = state.flow;
  // Skip rules may have changed which questions follow: count them again.
  const questions = applicable(flow);
  if (flow.index >= questions.length - 1) {
    submitFlow();
    return;
  }
  flow.index += 1;
  saveDraft(flow);
  renderQuestion();
}

function answersToSend(flow) {
  const keys = new Set(applicable(flow).map((question) => question.key));
  const already = flow.prompt.answered || {};
  const fresh = {};
  for (const [key, value] of Object.entries(flow.answers)) {
    if (!keys.has(key)) continue;
    if (key in already && already[key] === value) continue;
    fresh[key] = value;
  }
  if (Object.keys(fresh).length === 0) {
    for (const [key, value] of Object.entries(flow.answers)) if (keys.has(key)) fresh[key] = value;
  }
  return fresh;
}

async function submitFlow() {
  const flow = state.flow;
  if (!flow || flow.sending) return; // one tap, one check-in
  flow.sending = true;
  const body = { instrument: flow.prompt.instrument, answers: answersToSend(flow), client_ref: flow.client_ref };
  if (flow.prompt.id != null) body.prompt_id = flow.prompt.id;
  const entry = {
    client_ref: flow.client_ref,
    patient: state.session.patient.reference,
    title: flow.prompt.title,
    body,
    created_at: new Date().toISOString(),
    state: "waiting",
  };
  const sendButton = main.querySelector("button[type=submit]");
  if (sendButton) {
    sendButton.disabled = true;
    sendButton.textContent = "Sending…";
  }
  let result;
  try {
    await Outbox.put(entry);
  } catch (error) {
    result = await sendDirectly(entry);
    if (!result) {
      if (sendButton) {
        sendButton.disabled = false;
        sendButton.textContent = "Send";
      }
      const problem = main.querySelector("#answer-error");
      if (problem) problem.textContent = "This device could not keep your check-in, and the network is not reachable. Please try again when you are online.";
      flow.sending = false;
      return;
    }
  }
  sessionStorage.removeItem(DRAFT_PREFIX + flow.key);
  state.flow = null;
  state.pending = null;
  if (!result) {
    const flushed = await flushOutbox(entry.client_ref);
    const sent = flushed && flushed.sent.find((item) => item.entry.client_ref === entry.client_ref);
    if (sent) result = { status: "sent", checkin: sent.checkin };
    else if (flushed && flushed.signin) {
      state.notice = "Your sign-in has ended. Your check-in is saved on this device and will be sent after you sign in.";
      return;
    } else {
      const stored = (await waitingEntries()).find((item) => item.client_ref === entry.client_ref);
      if (stored && stored.state === "refused") result = { status: "refused", error: stored.error };
      else if (stored) {
        result = { status: "saved" };
        requestSync();
      } else result = { status: "sent", checkin: null };
    }
  }
  state.result = Object.assign({ title: entry.title, client_ref: entry.client_ref }, result);
  location.hash = "#/done";
}

async function sendDirectly(entry) {
  try {
    const checkin = await api("/api/v1/me/checkins", { method: "POST", body: entry.body });
    return { status: "sent", checkin };
  } catch (error) {
    if (error.status === 0 || error.status === 401) return null;
    return { status: "refused", error: error.detail };
  }
}

// --- after a check-in -------------------------------------------------------------------------

// The clinic's own wording for the cards, from /api/v1/me/crisis once signed in; a notice carries its
// text with it, so this is only needed when a submission's answer came back without one.
async function loadClinicCrisis() {
  if (!state.session) return null;
  if (state.clinicCrisis) return state.clinicCrisis;
  try {
    state.clinicCrisis = await api("/api/v1/me/crisis");
  } catch (error) {
    state.clinicCrisis = null;
  }
  return state.clinicCrisis;
}

// What the companion says to show after a check-in: the safety card (988) for risk, the medical
// card (911) for post-session red flags, the same text the SMS reply carries.
function noticeCard(notice) {
  if (!notice || !notice.kind) return null;
  const wording = state.clinicCrisis || {};
  if (notice.kind === "medical") {
    return h("section", { class: "safety", "aria-labelledby": "safety-title" },
      h("h2", { id: "safety-title" }, "Your symptoms need attention"),
      h("p", { class: "safety-line", role: "alert", id: "notice-text" },
        notice.text || wording.medical_reply || "If your symptoms are severe, call 911 now."),
      h("div", { class: "actions" },
        h("a", { class: "button", href: "tel:911" }, "Call 911")));
  }
  return h("section", { class: "safety", "aria-labelledby": "safety-title" },
    h("h2", { id: "safety-title" }, "Please look after yourself"),
    h("p", { class: "safety-line", role: "alert", id: "notice-text" },
      notice.text || wording.safety_reply || document.getElementById("crisis-text").textContent),
    h("p", {}, "Your care team will see your answers. Messages are reviewed during clinic hours; this is not an emergency service."),
    h("div", { class: "actions" },
      h("a", { class: "button", href: "tel:988" }, "Call 988"),
      h("a", { class: "button secondary", href: "sms:988" }, "Text 988")),
    h("p", { class: "safety-plan-link" }, h("a", { href: "#/plan" }, "Open my safety plan"),
      ": the steps you planned for moments like this."));
}

async function renderDone(options) {
  const result = state.result;
  if (!result) {
    location.replace("#/home");
    return;
  }
  const ticket = renderTicket;
  const nodes = [];
  if (result.status === "sent") {
    const notice = (result.checkin && result.checkin.notice) || null;
    if (notice && notice.kind && !notice.text) await loadClinicCrisis();
    if (ticket !== renderTicket) return;
    nodes.push(noticeCard(notice),
      h("div", { class: "done-mark", "aria-hidden": "true" }, "✓"), heading("Thank you"),
      message("ok", `Your ${result.title} check-in was sent to your care team.`, { role: "status" }));
  } else if (result.status === "saved") {
    nodes.push(heading("Saved on this device"),
      message("info", "Saved on this device. It will be sent when you're back online. You don't need to do anything else.", { role: "status", id: "saved-notice" }));
  } else {
    nodes.push(heading("Your check-in could not be sent"),
      message("error", `${result.error || "The companion refused it."} It is kept on this device.`, { role: "alert" }));
  }
  let next = null;
  if (result.status === "sent" && navigator.onLine) {
    try {
      const pending = state.pending || (await loadPending());
      next = pending[0] || null;
    } catch (error) {
      next = null;
    }
  }
  if (ticket !== renderTicket) return;
  if (next) {
    nodes.push(h("section", { class: "card", "aria-labelledby": "next-title" },
      h("h2", { id: "next-title", class: "card-title" }, next.instrument === "cssrs" ? "A few more questions" : "Next check-in"),
      h("p", {}, next.title),
      h("a", { class: "button block", href: `#/checkin/${next.id}` }, "Start", h("span", { class: "visually-hidden" }, ` ${next.title}`))));
  }
  nodes.push(h("div", { class: "stack" },
    h("a", { class: "button secondary block", href: "#/home" }, "Back to today"),
    h("a", { class: "button secondary block", href: "#/history" }, "See your history")));
  render("Thank you", nodes, options);
}

// --- history ----------------------------------------------------------------------------------

function completedOf(checkins, instrument) {
  return checkins
    .filter((c) => c.instrument === instrument && c.status === "complete")
    .map((c) => ({ at: new Date(c.completed_at || c.started_at), value: c.total ?? (c.answers || {})[instrument] }))
    .filter((p) => typeof p.value === "number")
    .sort((a, b) => a.at - b.at);
}

function dataTable(caption, points, describe) {
  return h("details", {},
    h("summary", {}, `Show ${caption} as a table`),
    h("table", {},
      h("caption", { class: "visually-hidden" }, caption),
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Date"), h("th", { scope: "col" }, "Result"))),
      h("tbody", {}, points.slice().reverse().map((p) => h("tr", {}, h("td", {}, formatDay(p.at)), h("td", {}, describe(p)))))));
}

function legend(items) {
  return h("ul", { class: "legend" }, items.filter(Boolean).map(([kind, text]) => h("li", {}, h("span", { class: `swatch ${kind}`, "aria-hidden": "true" }), text)));
}

function trendOf(history, instrument) {
  const found = (history.trends || []).find((trend) => trend.instrument === instrument);
  return found ? found.text : null;
}

function questionnaireSection(name, title, points, sessions, bands, max, trend = null) {
  const section = h("section", { "aria-labelledby": `${name}-title` }, h("h2", { id: `${name}-title` }, title));
  if (!points.length) {
    section.append(h("p", { class: "card" }, `No ${title} results yet.`));
    return section;
  }
  if (trend) section.append(h("p", { class: "trend-words", id: `${name}-trend` }, trend));
  const latest = points[points.length - 1];
  const band = bandLabel(bands, latest.value).toLowerCase();
  section.append(h("p", { class: "hint" }, `Lower scores mean fewer symptoms. Your latest score is ${latest.value} (${band}), from ${formatDay(latest.at)}.`));
  const ticks = max === 27 ? [0, 5, 10, 15, 20, 27] : [0, 5, 10, 15, 21];
  section.append(h("div", { class: "card" },
    timeChart({
      name,
      title: `${title} scores over time`,
      description: `${points.length} ${title} result${points.length === 1 ? "" : "s"}; latest ${latest.value} (${band}) on ${formatDay(latest.at)}. Bands: ${bands.map((b) => `${b.label} ${b.from} to ${b.to}`).join(", ")}.`,
      points, sessions, min: 0, max, ticks, bands,
    }),
    legend([["", `${title} score`], sessions.length ? ["session", "Treatment session"] : null]),
    dataTable(`your ${title} scores`, points, (p) => `${p.value} (${bandLabel(bands, p.value).toLowerCase()})`)));
  return section;
}

async function renderHistory(options) {
  const ticket = renderTicket;
  let history;
  try {
    history = await api("/api/v1/me/history");
  } catch (error) {
    if (error.status === 401 || ticket !== renderTicket) return;
    render("History", [heading("Your history"), message("info", offlineText(error, "Your history could not be loaded. Please try again."))], options);
    return;
  }
  if (ticket !== renderTicket) return;
  const sessions = history.sessions.map((s) => new Date(s.started_at));
  const moods = completedOf(history.checkins, "mood");
  const phq9 = completedOf(history.checkins, "phq9");
  const gad7 = completedOf(history.checkins, "gad7");

  const mood = h("section", { "aria-labelledby": "mood-title" }, h("h2", { id: "mood-title" }, "Mood"));
  if (moods.length) {
    const latest = moods[moods.length - 1];
    mood.append(h("p", { class: "hint" }, "0 is the worst and 10 the best. Dashed lines mark your treatment sessions."));
    mood.append(h("div", { class: "card" },
      timeChart({
        name: "mood",
        title: "Mood over time",
        description: `${moods.length} mood check-in${moods.length === 1 ? "" : "s"} from ${formatDay(moods[0].at)} to ${formatDay(latest.at)}; latest ${latest.value} out of 10. ${sessions.length} treatment session${sessions.length === 1 ? "" : "s"} marked.`,
        points: moods, sessions, min: 0, max: 10, ticks: [0, 2, 4, 6, 8, 10],
      }),
      legend([["", "Mood, 0 to 10"], sessions.length ? ["session", "Treatment session"] : null]),
      dataTable("your mood", moods, (p) => `${p.value} out of 10`)));
  } else {
    mood.append(h("p", { class: "card" }, "No mood check-ins yet. Your answers will show here as a chart."));
  }
  const nodes = [
    heading("Your history"),
    h("p", { class: "lead" }, "How you have been doing, from your own check-ins."),
    mood,
    questionnaireSection("phq9", "Mood questionnaire (PHQ-9)", phq9, sessions, PHQ9_BANDS, 27, trendOf(history, "phq9")),
  ];
  if (gad7.length) {
    nodes.push(questionnaireSection("gad7", "Anxiety questionnaire (GAD-7)", gad7, sessions, GAD7_BANDS, 21,
      trendOf(history, "gad7")));
  }
  render("History", nodes, options);
}

// --- settings ---------------------------------------------------------------------------------

const CHANNELS = [
  { value: "sms", label: "Text messages" },
  { value: "app", label: "In this app only" },
  { value: "both", label: "Both" },
];

function timeField(id, label, value, hint) {
  return h("div", { class: "field" },
    h("label", { class: "field-label", for: id }, label),
    h("input", { id, name: id, type: "time", required: true, value: (value || "").slice(0, 5), "aria-describedby": hint ? `${id}-hint` : undefined }),
    hint ? h("p", { class: "hint", id: `${id}-hint` }, hint) : null);
}

/** Whether the time `at` ("HH:MM") falls in quiet hours from `from` until `until` (which may cross midnight). */
function insideQuiet(at, from, until) {
  return from < until ? at >= from && at < until : at >= from || at < until;
}

async function renderSettings(options) {
  const ticket = renderTicket;
  let me;
  try {
    me = await api("/api/v1/me");
    state.profile = me;
  } catch (error) {
    if (error.status === 401 || ticket !== renderTicket) return;
    render("Settings", [heading("Settings"), message("info", offlineText(error, "Your settings could not be loaded. Please try again."))], options);
    return;
  }
  const entries = await waitingEntries();
  if (ticket !== renderTicket) return;
  const status = h("p", { class: "message", id: "settings-status", role: "status", "aria-live": "polite" });
  const channels = h("fieldset", { "aria-describedby": "channel-hint" },
    h("legend", { class: "field-label" }, "How should we reach you?"),
    h("div", { class: "tiles choice" }, CHANNELS.map((channel) => h("label", { class: "tile" },
      h("input", { type: "radio", name: "channel", value: channel.value, checked: me.channel === channel.value }),
      h("span", {}, channel.label)))),
    h("p", { class: "hint", id: "channel-hint" }, "With “In this app only”, your check-ins wait for you here and we do not text the questions. Turn on notifications below to hear when one is ready; without them, a reminder comes by text unless you replied STOP."));
  const button = h("button", { class: "button block", type: "submit" }, "Save settings");
  const quietNote = h("p", { class: "message info", id: "quiet-note", hidden: true });
  const form = h("form", { novalidate: true, onsubmit: async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const body = {
      preferred_checkin_time: String(data.get("preferred") || ""),
      channel: String(data.get("channel") || me.channel),
      quiet_start: String(data.get("quiet-start") || ""),
      quiet_end: String(data.get("quiet-end") || ""),
    };
    status.className = "message error";
    if (!body.preferred_checkin_time || !body.quiet_start || !body.quiet_end) {
      status.textContent = "Fill in each time.";
      return;
    }
    if (body.quiet_start === body.quiet_end) {
      status.textContent = "Quiet hours must start and end at different times.";
      form.querySelector("#quiet-end").focus();
      return;
    }
    button.disabled = true;
    status.textContent = "Saving…";
    status.className = "message info";
    try {
      state.profile = await api("/api/v1/me/settings", { method: "PATCH", body });
      status.className = "message ok";
      status.textContent = "Saved. Your check-ins will follow these settings.";
    } catch (error) {
      if (error.status === 401) return;
      status.className = "message error";
      status.textContent = offlineText(error, error.detail || "Your settings could not be saved.");
    } finally {
      button.disabled = false;
    }
  } },
  timeField("preferred", "Preferred check-in time", me.preferred_checkin_time, `Daily check-ins come at about this time (${me.timezone}).`),
  channels,
  me.sms_consent === "opted_out" ? message("info", "You replied STOP, so we do not send you texts. Reply START to our number to get them again.") : null,
  me.sms_consent === "pending" && me.channel !== "app" ? message("info", "Check-ins by text start when you reply YES to our welcome text. Until then you can check in here.") : null,
  h("fieldset", { "aria-describedby": "quiet-hint" },
    h("legend", { class: "field-label" }, "Quiet hours"),
    h("p", { class: "hint", id: "quiet-hint" }, "We hold routine messages during these hours. A message about your safety may still come at any time."),
    timeField("quiet-start", "From", me.quiet_start),
    timeField("quiet-end", "Until", me.quiet_end)),
  quietNote,
  status,
  button);
  const explainQuiet = () => {
    const data = new FormData(form);
    const at = String(data.get("preferred") || "");
    const from = String(data.get("quiet-start") || "");
    const until = String(data.get("quiet-end") || "");
    quietNote.hidden = !(at && from && until && insideQuiet(at, from, until));
    quietNote.textContent = quietNote.hidden ? "" : `${at} is inside your quiet hours (${from} to ${until}), so your `
      + `check-ins will come at ${until}, when quiet hours end. Choose another time if you would like them earlier.`;
  };
  form.addEventListener("input", explainQuiet);
  explainQuiet();

  const waiting = entries.length
    ? h("p", {}, `${entries.length} check-in${entries.length === 1 ? " is" : "s are"} still waiting to send. ${entries.length === 1 ? "It stays" : "They stay"} on this device and will be sent the next time you sign in.`)
    : null;
  render("Settings", [
    heading("Settings"),
    form,
    notificationsSection({ h, api }),
    h("h2", {}, "About messages"),
    h("p", {}, "Messages are reviewed during clinic hours; this is not an emergency service. If you are in danger, call or text 988 or call 911."),
    h("h2", {}, "Sign out"),
    waiting,
    h("button", { class: "button secondary block", type: "button", onclick: () => signOut() }, "Sign out"),
  ], options);
}

// --- start ----------------------------------------------------------------------------------

async function redeemLink(token) {
  render("Opening", [heading("Opening your check-in…")], { focus: false });
  try {
    const link = await api("/api/v1/auth/patient/link", { method: "POST", body: { token }, auth: false });
    const previous = state.session;
    state.session = { token: link.access_token, expires_at: link.expires_at, patient: null };
    let me;
    try {
      me = await api("/api/v1/me");
    } catch (error) {
      state.session = previous;
      throw error;
    }
    await saveSession(link.access_token, link.expires_at, { reference: me.reference, display_name: me.display_name });
    state.profile = me;
    location.replace(`#/checkin/${link.prompt_id}`);
  } catch (error) {
    if (error.status === 0) state.notice = "You are offline, so the link could not be opened. Please try again when you are back online.";
    else state.notice = state.session
      ? "That link has expired or was already used."
      : "That link has expired or was already used. Sign in with a code to see your check-ins.";
  }
}

// What the safety plan's screens (plan.js) use of this page.
const planApp = {
  h, heading, render, message, api, offlineText, newClientRef, waitingEntries, flushOutbox, requestSync,
  stampFormat, state, Outbox,
  ticket: () => renderTicket,
};

// The crisis lines bar is fixed at the foot of the screen and grows with larger text: the page keeps
// room for it, so nothing is hidden behind it.
function keepRoomForHelpBar() {
  const bar = document.querySelector(".help-bar");
  if (!bar || typeof ResizeObserver !== "function") return;
  new ResizeObserver(() => {
    document.documentElement.style.setProperty("--help-bar", `${Math.ceil(bar.getBoundingClientRect().height)}px`);
  }).observe(bar);
}

function registerServiceWorker() {
  if (!("serviceWorker" in navigator)) return;
  navigator.serviceWorker.register("/sw.js").catch(() => undefined);
  navigator.serviceWorker.addEventListener("message", (event) => {
    if (event.data && event.data.type === "checkins-sent" && (event.data.count || event.data.plans)) {
      state.pending = null;
      announceSent(event.data.count || 0, event.data.plans || 0);
      refreshAfterOutboxChange();
    }
  });
}

async function start() {
  registerServiceWorker();
  keepRoomForHelpBar();
  updateOffline();
  window.addEventListener("online", () => {
    updateOffline();
    flushOutbox();
  });
  window.addEventListener("offline", updateOffline);
  window.addEventListener("hashchange", () => route());
  if (typeof BroadcastChannel === "function" && Outbox) {
    // Changes made by the service worker or another tab; this page's own are shown as they happen.
    new BroadcastChannel(Outbox.CHANNEL).addEventListener("message", (event) => {
      if (event.data && event.data.from !== Outbox.id) refreshAfterOutboxChange();
    });
  }
  loadCrisis();

  if (!state.session && Outbox) Outbox.clearSession().catch(() => undefined);
  const linkToken = new URLSearchParams(location.search).get("c");
  if (linkToken) {
    // The link's token is used once; it does not stay in the address bar or the history.
    history.replaceState(null, "", `/${location.hash}`);
    await redeemLink(linkToken);
  }
  if (state.session) {
    if (Outbox) await Outbox.setSession({ token: state.session.token, expires_at: state.session.expires_at, patient: state.session.patient.reference }).catch(() => undefined);
    flushOutbox();
  }
  setInterval(() => {
    if (state.session && navigator.onLine) flushOutbox();
  }, RETRY_MS);
  route();
}

start();
