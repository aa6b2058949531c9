// The clinic and its staff (admins only; the API refuses everyone else): who is on call now and
// next, the staff with their role, account and sign-in state, inviting a member, and the actions
// of team-members.js.

import { ApiError, api, clinicOf } from "./api.js";
import { clear, h, notice } from "./dom.js";
import { setClinicZone } from "./format.js";
import { boardTable } from "./oncall.js";
import { inviteForm, linkPanel } from "./team-invite.js";
import { membersTable } from "./team-members.js";

const DAYS = [["mon", "Mon"], ["tue", "Tue"], ["wed", "Wed"], ["thu", "Thu"], ["fri", "Fri"], ["sat", "Sat"], ["sun", "Sun"]];

function hours(businessHours) {
  return DAYS.map(([key, label]) => {
    const span = businessHours[key];
    return `${label} ${span ? `${span[0]}–${span[1]}` : "closed"}`;
  }).join(" · ");
}

/** The team page. Returns a cleanup function. */
export function teamView(main, ctx) {
  const session = ctx.session();
  let alive = true;
  const message = h("div", { class: "form-message", id: "team-message", tabindex: "-1" });
  const issued = h("div", {});
  const body = h("div", {}, h("p", { class: "muted" }, "Loading…"));
  const invite = inviteForm({ onInvited: async (result) => {
    await load();
    if (alive) showLink(result);
  } });
  invite.hidden = true;
  clear(main).append(h("div", { class: "page" },
    h("div", { class: "page-head" }, h("h1", { tabindex: "-1" }, "Clinic and team"),
      h("p", { class: "muted" }, "Every change here is recorded in the audit log.")),
    message, issued, body, invite));

  function said(kind, text) {
    clear(message).append(notice(kind, text));
    message.focus();
  }

  function showLink(result) {
    clear(message);
    clear(issued).append(linkPanel(result));
    document.getElementById("issued-link-heading").focus();
  }

  /** After a change: load again, refresh the header's on-call line, and say what happened. */
  async function changed(text) {
    clear(issued);
    await load();
    ctx.refreshOncall();
    if (alive) said("success", text);
  }

  function render(clinic, members, board) {
    if (clinic) setClinicZone(clinic.timezone);
    clear(body).append(
      clinic ? h("section", { class: "panel", "aria-labelledby": "clinic-heading" },
        h("h2", { id: "clinic-heading" }, clinic.name),
        h("dl", { class: "patient-facts" },
          h("div", {}, h("dt", {}, "Time zone"), h("dd", {}, clinic.timezone)),
          h("div", {}, h("dt", {}, "Business hours"), h("dd", {}, hours(clinic.business_hours || {}))),
          h("div", {}, h("dt", {}, "SMS sender"), h("dd", {}, clinic.sms_sender || "default")),
          h("div", {}, h("dt", {}, "Messages kept"), h("dd", {}, `${clinic.message_retention_days} days`)),
          h("div", {}, h("dt", {}, "Audit log kept"), h("dd", {}, `${clinic.audit_retention_days} days`)))) : null,
      h("section", { class: "panel", id: "team-oncall", "aria-labelledby": "team-oncall-heading" },
        h("h2", { id: "team-oncall-heading" }, "Who is on call"),
        board ? boardTable(board) : h("p", { class: "muted" }, "The on-call schedule could not be loaded."),
        h("p", { class: "hint" }, h("a", { href: "#/oncall" }, "Change rotations and cover on the on-call page"))),
      h("section", { class: "panel", "aria-labelledby": "staff-heading" },
        h("h2", { id: "staff-heading" }, `Staff (${members.length})`),
        membersTable(members, { selfId: session ? session.staffId : null, onChanged: changed, said,
          onLink: (result) => {
            if (alive) showLink(result);
          } })));
    invite.hidden = false;
  }

  async function load() {
    const [clinics, members, board] = await Promise.all([
      api("/clinics"), api("/staff"), api(`/clinics/${clinicOf(session)}/oncall`).catch((error) => {
        if (error instanceof ApiError && error.status === 401) throw error;
        return null;
      }),
    ]);
    if (alive) render(clinics[0], members, board);
  }

  load().catch((error) => {
    if (!alive || (error instanceof ApiError && error.status === 401)) return;
    const text = error instanceof ApiError && error.forbidden
      ? `${error.message} The clinic and team page is for admins.`
      : error instanceof ApiError ? error.message : String(error);
    clear(body).append(notice("error", text, { id: "team-error" }),
      h("p", {}, h("a", { href: "#/alerts" }, "Back to alerts")));
  });
  return () => {
    alive = false;
  };
}
