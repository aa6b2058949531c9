// The staff dashboard: sign-in, the page shell, routing (#/alerts, #/messages, #/patients, #/patients/new,
// #/patients/<id>, #/oncall, #/outcomes, #/team, #/audit, #/protocol; signed out, #/setup/<token> for a
// set-your-password link) and the 15-second refresh of the alert count and the header's on-call line.
// Everything it shows comes from the /api/v1 JSON API.

import { ApiError, api, can, clearSession, getSession, onUnauthorized } from "./api.js";
import { alertsView } from "./alerts.js";
import { auditView } from "./audit.js";
import { messagesView } from "./messages.js";
import { hideOncall, refreshOncall, watchOncall } from "./oncallbar.js";
import { oncallView } from "./oncall.js";
import { outcomesView } from "./outcomes.js";
import { announce, banner } from "./dom.js";
import { clinicZone, forgetClinicZone, hasClinicZone, plural, setClinicZone, timeOnly, zoneName } from "./format.js";
import { enrolView } from "./enrol.js";
import { patientView } from "./patient.js";
import { patientsView } from "./patients.js";
import { protocolView } from "./protocol.js";
import { setupView } from "./setup.js";
import { signInView } from "./signin.js";
import { teamView } from "./team.js";

const REFRESH_MS = 15000;
const APP_NAME = "Companion staff";

const main = document.getElementById("main");
const topbar = document.getElementById("topbar");
const navCount = document.getElementById("nav-alert-count");

let cleanup = () => {};
let tickListeners = new Set();
let ticker = null;
let clockTimer = null;
let expiryTimer = null;
let knownUrgent = null;
let firstRoute = true;

const ctx = {
  session: () => getSession(),
  onTick(listener, { providesCount = false } = {}) {
    const entry = { listener, providesCount };
    tickListeners.add(entry);
    return () => tickListeners.delete(entry);
  },
  setAlertCount,
  refreshAlertCount,
  refreshOncall,
  watchOncall,
};

function setAlertCount(alerts) {
  const open = alerts.filter((a) => a.status !== "resolved");
  const urgent = open.filter((a) => a.severity === "urgent");
  navCount.textContent = open.length ? String(open.length) : "";
  navCount.classList.toggle("nav-count-urgent", urgent.some((a) => a.status === "open"));
  navCount.setAttribute("aria-label", open.length
    ? `${plural(open.length, "open alert")}${urgent.length ? `, ${urgent.length} urgent` : ""}` : "no open alerts");
  const ids = new Set(urgent.filter((a) => a.status === "open").map((a) => a.id));
  if (knownUrgent) {
    const fresh = [...ids].filter((id) => !knownUrgent.has(id));
    if (fresh.length) announce(`${plural(fresh.length, "new urgent alert")}. Open the alerts page.`);
  }
  knownUrgent = ids;
  updateTitle();
}

async function refreshAlertCount() {
  try {
    setAlertCount(await api("/alerts", { query: { status: "active" } }));
  } catch {
    // shown again on the next tick; a 401 is handled by the api module
  }
}

function tick() {
  if (document.hidden || !getSession()) return;
  const listeners = [...tickListeners];
  for (const entry of listeners) entry.listener();
  if (!listeners.some((entry) => entry.providesCount)) refreshAlertCount();
  refreshOncall();
}

function startTimers() {
  stopTimers();
  ticker = window.setInterval(tick, REFRESH_MS);
  const showClock = () => {
    document.getElementById("clinic-clock").textContent = `Clinic time ${timeOnly(new Date())} ${zoneName()}`;
  };
  showClock();
  clockTimer = window.setInterval(showClock, 20000);
  const session = getSession();
  if (session && session.expiresAt) {
    const left = Date.parse(session.expiresAt) - Date.now();
    if (left > 0 && left < 2 ** 31 - 1) {
      expiryTimer = window.setTimeout(() => signedOut("Your session has ended. Please sign in again."), left);
    }
  }
}

function stopTimers() {
  window.clearInterval(ticker);
  window.clearInterval(clockTimer);
  window.clearTimeout(expiryTimer);
}

const ROUTES = [
  { pattern: /^#\/alerts$/, nav: "alerts", title: "Alerts", view: () => alertsView(main, ctx) },
  { pattern: /^#\/messages$/, nav: "messages", title: "Messages", view: () => messagesView(main, ctx) },
  { pattern: /^#\/patients$/, nav: "patients", title: "Patients", view: () => patientsView(main) },
  { pattern: /^#\/patients\/new$/, nav: "patients", title: "Enrol a patient", view: () => enrolView(main) },
  {
    pattern: /^#\/patients\/(\d+)$/,
    nav: "patients",
    title: "Patient",
    view: (match) => patientView(main, ctx, Number(match[1])),
  },
  { pattern: /^#\/oncall$/, nav: "oncall", title: "On call", view: () => oncallView(main, ctx) },
  { pattern: /^#\/team$/, nav: "team", title: "Clinic and team", view: () => teamView(main, ctx) },
  { pattern: /^#\/outcomes$/, nav: "outcomes", title: "Outcomes", view: () => outcomesView(main) },
  { pattern: /^#\/audit$/, nav: "audit", title: "Audit log", view: () => auditView(main) },
  { pattern: /^#\/protocol$/, nav: "protocol", title: "Protocol", view: () => protocolView(main, ctx) },
];

let currentTitle = "Alerts";

function updateTitle() {
  const count = navCount.textContent;
  document.title = `${count ? `(${count}) ` : ""}${currentTitle} · ${APP_NAME}`;
}

function route() {
  const session = getSession();
  if (!session) {
    signedOut(null);
    return;
  }
  let found = null;
  let match = null;
  for (const candidate of ROUTES) {
    match = candidate.pattern.exec(window.location.hash);
    if (match) {
      found = candidate;
      break;
    }
  }
  if (!found) {
    // Anything else opens the alerts (without a second history entry or a second hashchange).
    window.history.replaceState(null, "", "#/alerts");
    [found, match] = [ROUTES[0], ROUTES[0].pattern.exec("#/alerts")];
  }
  cleanup();
  tickListeners = new Set();
  currentTitle = found.title;
  updateTitle();
  for (const link of document.querySelectorAll("[data-nav]")) {
    if (link.dataset.nav === found.nav) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  cleanup = found.view(match) || (() => {});
  if (![...tickListeners].some((entry) => entry.providesCount)) refreshAlertCount();
  if (!firstRoute) main.focus({ preventScroll: false });
  firstRoute = false;
}

function showShell(session) {
  topbar.hidden = false;
  document.getElementById("who").textContent = `${session.email || "Signed in"} · ${session.role}`;
  document.getElementById("nav-team").hidden = !can(session, "manage-team");
  document.getElementById("nav-outcomes").hidden = !can(session, "read-outcomes");
  document.getElementById("nav-audit").hidden = !can(session, "read-audit");
  document.getElementById("nav-protocol").hidden = !can(session, "manage-protocol");
}

/** Learn the clinic's time zone once per sign-in (clinic times are shown everywhere). */
async function loadClinicZone(session) {
  if (hasClinicZone()) return;
  try {
    if (can(session, "manage-team")) {
      const clinics = await api("/clinics");
      if (clinics[0]) setClinicZone(clinics[0].timezone);
    } else {
      const page = await api("/patients/overview", { query: { limit: 1 } });
      setClinicZone(page.clinic_timezone);
    }
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 401) {
      banner(`Times are shown in this computer's time zone (${clinicZone()}): the clinic's could not be loaded.`);
    }
  }
}

async function signedIn(session, { interactive = true } = {}) {
  knownUrgent = null;
  // After signing in, focus moves to the page; on a reload it stays where the browser put it.
  firstRoute = !interactive;
  await loadClinicZone(session);
  if (!getSession()) return;
  showShell(session);
  startTimers();
  route();
  refreshOncall();
}

const SETUP = /^#\/setup\/([A-Za-z0-9._-]+)$/;

/** A set-your-password link: whoever was signed in in this tab is signed out first. */
function openSetup(token) {
  signedOut(null);
  window.history.replaceState(null, "", "#/setup");
  currentTitle = "Set your password";
  document.title = `Set your password · ${APP_NAME}`;
  setupView(main, {
    token,
    onDone: (email) => {
      window.history.replaceState(null, "", "#/alerts");
      signedOut("Your password is set. Sign in with it now.", email);
    },
  });
}

function signedOut(message, email = "") {
  cleanup();
  cleanup = () => {};
  tickListeners = new Set();
  stopTimers();
  clearSession();
  forgetClinicZone();
  topbar.hidden = true;
  hideOncall();
  navCount.textContent = "";
  banner(null);
  currentTitle = "Sign in";
  document.title = `Sign in · ${APP_NAME}`;
  signInView(main, { message, onSignedIn: signedIn, email });
}

onUnauthorized((message) => signedOut(message));

document.getElementById("sign-out").addEventListener("click", () => {
  signedOut("You have signed out.");
  announce("Signed out.");
});

document.getElementById("skip-link").addEventListener("click", (event) => {
  event.preventDefault();
  main.focus();
});

window.addEventListener("hashchange", () => {
  const setup = SETUP.exec(window.location.hash);
  if (setup) openSetup(setup[1]);
  else if (getSession()) route();
});

document.addEventListener("visibilitychange", () => {
  if (!document.hidden && getSession()) tick();
});

const existing = getSession();
const opened = SETUP.exec(window.location.hash);
if (opened) openSetup(opened[1]);
else if (existing) signedIn(existing, { interactive: false });
else signedOut(null);
