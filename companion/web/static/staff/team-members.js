// The staff table of the team page: each member's role, account, sign-in state and phone, and what an
// admin does for them: change the role, unlock, reset the password, deactivate or reactivate. Resetting
// and deactivating ask first; every change is checked and audited by the companion.

import { ApiError, api } from "./api.js";
import { clear, h, notice } from "./dom.js";
import { dateTime, statusLabel } from "./format.js";

export const ROLES = [["admin", "Admin"], ["clinician", "Clinician"], ["staff", "Staff"]];

function accountCell(member) {
  if (!member.active) return h("td", {}, h("span", { class: "status-chip status-chip-cancelled" }, "Deactivated"));
  const chip = h("span", { class: "status-chip status-chip-active" }, "Active");
  if (!member.pending_link) return h("td", {}, chip);
  const what = member.pending_link === "invite" ? "Invited" : "Password reset";
  return h("td", {}, chip, h("span", { class: "block small muted" },
    `${what}: link open until ${dateTime(member.link_expires_at)}`));
}

function signInCell(member) {
  if (!member.locked_until) return h("td", { class: "muted" }, "Free");
  return h("td", {}, h("span", { class: "status-chip status-chip-open", id: `locked-${member.id}` },
    `Locked until ${dateTime(member.locked_until)}`));
}

/**
 * The table. `onChanged(text)` reloads the page's data and says what happened; `onLink(result)`
 * shows a reset's one-time link; `said(kind, text)` shows a refusal.
 */
export function membersTable(members, { selfId, onChanged, onLink, said }) {
  function failed(error, restore) {
    if (error instanceof ApiError && error.status === 401) return;
    restore();
    said("error", error instanceof ApiError ? error.message : String(error));
  }

  function roleCell(member) {
    const select = h("select", { id: `role-${member.id}`, "aria-label": `Role of ${member.name}`,
      disabled: !member.active },
    ROLES.map(([value, label]) => h("option", { value, selected: value === member.role }, label)));
    const save = h("button", { type: "button", class: "button button-quiet", id: `role-save-${member.id}`,
      hidden: true, "aria-label": `Save the role of ${member.name}` }, "Save");
    select.addEventListener("change", () => {
      save.hidden = select.value === member.role;
    });
    save.addEventListener("click", async () => {
      save.disabled = true;
      try {
        await api(`/staff/${member.id}`, { method: "PATCH", body: { role: select.value } });
        await onChanged(`${member.name} is now ${statusLabel(select.value).toLowerCase()}; their sessions ended.`);
      } catch (error) {
        failed(error, () => {
          save.disabled = false;
        });
      }
    });
    return h("td", {}, h("span", { class: "inline-fields role-fields" }, select, save));
  }

  /** An action that asks first: the cell shows the question with Yes and Cancel. */
  function confirmed(cell, offer, { id, question, yes, run }) {
    const ok = h("button", { type: "button", class: "button button-primary", id: `${id}-confirm` }, yes);
    const no = h("button", { type: "button", class: "button button-quiet", id: `${id}-cancel` }, "Cancel");
    clear(cell).append(h("p", { class: "confirm-text", id: `${id}-question` }, question),
      h("span", { class: "form-actions" }, ok, no));
    ok.setAttribute("aria-describedby", `${id}-question`);
    no.addEventListener("click", () => offer());
    ok.addEventListener("click", async () => {
      ok.disabled = true;
      no.disabled = true;
      try {
        await run();
      } catch (error) {
        failed(error, offer);
      }
    });
    ok.focus();
  }

  function actionsCell(member) {
    const cell = h("td", { class: "team-actions" });
    const self = member.id === selfId;
    function offer() {
      const buttons = [];
      if (member.locked_until) {
        buttons.push(h("button", { type: "button", class: "button button-secondary", id: `unlock-${member.id}`,
          "aria-label": `Unlock ${member.name}`, onclick: async (event) => {
            event.currentTarget.disabled = true;
            try {
              await api(`/staff/${member.id}/unlock`, { method: "POST" });
              await onChanged(`${member.name} is unlocked and can sign in now.`);
            } catch (error) {
              failed(error, offer);
            }
          } }, "Unlock"));
      }
      if (member.active && !self) { // an admin's own password is reset by another admin
        buttons.push(h("button", { type: "button", class: "button button-quiet", id: `reset-${member.id}`,
          "aria-label": `Reset the password of ${member.name}`, onclick: () => confirmed(cell, offer, {
            id: `reset-${member.id}`,
            question: `Reset ${member.name}'s password? Their password stops working and they are signed out`
              + ` everywhere; ${member.phone ? "a link to set a new one goes to their phone" : "you pass on the link"}.`,
            yes: "Yes, reset",
            run: async () => {
              const result = await api(`/staff/${member.id}/reset`, { method: "POST" });
              await onChanged(`${member.name}'s password was reset.`);
              onLink(result);
            },
          }) }, "Reset password"));
      }
      if (member.active) {
        buttons.push(h("button", { type: "button", class: "button button-quiet", id: `deactivate-${member.id}`,
          "aria-label": `Deactivate ${member.name}`, onclick: () => confirmed(cell, offer, {
            id: `deactivate-${member.id}`,
            question: `Deactivate ${member.name}${self ? " (you)" : ""}? They are signed out at once, cannot sign in,`
              + " and are paged no more: an alert for a position only they hold on call goes to the clinic's"
              + " clinicians and admins instead.",
            yes: "Yes, deactivate",
            run: async () => {
              await api(`/staff/${member.id}`, { method: "PATCH", body: { active: false } });
              await onChanged(`${member.name} is deactivated.`);
            },
          }) }, "Deactivate"));
      } else {
        buttons.push(h("button", { type: "button", class: "button button-secondary", id: `reactivate-${member.id}`,
          "aria-label": `Reactivate ${member.name}`, onclick: async (event) => {
            event.currentTarget.disabled = true;
            try {
              await api(`/staff/${member.id}`, { method: "PATCH", body: { active: true } });
              await onChanged(`${member.name} is active again.`);
            } catch (error) {
              failed(error, offer);
            }
          } }, "Reactivate"));
      }
      clear(cell).append(h("span", { class: "form-actions team-buttons" }, buttons));
      return cell;
    }
    return offer();
  }

  return h("div", { class: "table-wrap" }, h("table", { class: "data-table team-table", id: "team-table" },
    h("thead", {}, h("tr", {}, ["Name", "Email", "Phone", "Role", "Account", "Sign-in", "Actions"]
      .map((label) => h("th", { scope: "col" }, label)))),
    h("tbody", {}, members.map((m) => h("tr", { id: `member-${m.id}`, dataset: { staffId: m.id } },
      h("th", { scope: "row" }, m.name, m.id === selfId ? h("span", { class: "muted" }, " (you)") : null),
      h("td", {}, m.email), h("td", {}, m.phone || "—"),
      roleCell(m), accountCell(m), signInCell(m), actionsCell(m))))));
}
