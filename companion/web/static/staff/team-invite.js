// Inviting a member from the team page, and the one-time link an invitation or a reset gives: it goes
// to the member's phone by SMS and is shown here once for the admin to pass on.

import { ApiError, api } from "./api.js";
import { clear, h, notice } from "./dom.js";
import { dateTime } from "./format.js";
import { ROLES } from "./team-members.js";

/** The panel that shows a link just issued (`result` as POST /staff/invitations or /reset answer it). */
export function linkPanel(result) {
  const what = result.kind === "invite" ? `Invitation for ${result.staff.name}` : `Password reset for ${result.staff.name}`;
  const field = h("input", { type: "text", id: "issued-link", readonly: true, value: result.link, class: "mono",
    spellcheck: "false" });
  field.addEventListener("focus", () => field.select());
  return h("section", { class: "panel issued-link", id: "issued-link-panel", "aria-labelledby": "issued-link-heading" },
    h("h2", { id: "issued-link-heading", tabindex: "-1" }, what),
    h("p", {}, result.sent_by_sms
      ? `The link went by SMS to ${result.staff.phone}. It is shown here this once, if they need it passed on another way.`
      : "They have no phone number: pass this link on to them yourself. It is shown here this once."),
    h("div", { class: "field" }, h("label", { for: "issued-link" }, "One-time link"), field),
    h("p", { class: "hint" }, `It sets their password once and works until ${dateTime(result.expires_at)}.`));
}

/** The invitation form. `onInvited(result)` is called with the companion's answer. */
export function inviteForm({ onInvited }) {
  const name = h("input", { type: "text", id: "invite-name", maxlength: 200, autocomplete: "off", required: true });
  const email = h("input", { type: "email", id: "invite-email", maxlength: 254, autocomplete: "off", required: true,
    spellcheck: "false" });
  const phone = h("input", { type: "tel", id: "invite-phone", maxlength: 32, autocomplete: "off",
    "aria-describedby": "invite-phone-hint" });
  const role = h("select", { id: "invite-role" },
    ROLES.map(([value, label]) => h("option", { value, selected: value === "clinician" }, label)));
  const submit = h("button", { type: "submit", class: "button button-primary", id: "invite-submit" },
    "Send invitation");
  const feedback = h("div", { class: "form-message", id: "invite-message" });
  const form = h("form", { class: "invite-form", id: "invite-form", novalidate: true, "aria-labelledby": "invite-heading" },
    h("h2", { id: "invite-heading" }, "Invite a member"),
    h("p", { class: "muted" }, "They get a one-time link to set their own password. Nobody else ever knows it."),
    h("div", { class: "inline-fields" },
      h("div", { class: "field" }, h("label", { for: "invite-name" }, "Name"), name),
      h("div", { class: "field" }, h("label", { for: "invite-email" }, "Email"), email),
      h("div", { class: "field" }, h("label", { for: "invite-phone" }, "Mobile phone ",
        h("span", { class: "required" }, "(optional)")), phone),
      h("div", { class: "field" }, h("label", { for: "invite-role" }, "Role"), role)),
    h("p", { class: "hint", id: "invite-phone-hint" },
      "The link goes to this phone by SMS; it is also the number pages go to."),
    feedback,
    h("div", { class: "form-actions" }, submit));

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clear(feedback);
    const missing = [[name, "a name"], [email, "an email address"]].find(([input]) => !input.value.trim());
    if (missing) {
      feedback.append(notice("error", `Enter ${missing[1]}.`));
      missing[0].focus();
      return;
    }
    submit.disabled = true;
    try {
      const result = await api("/staff/invitations", { method: "POST", body: {
        name: name.value.trim(), email: email.value.trim(), phone: phone.value.trim() || null, role: role.value,
      } });
      for (const input of [name, email, phone]) input.value = "";
      await onInvited(result);
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 401)) {
        feedback.append(notice("error", error instanceof ApiError ? error.message : String(error)));
        const field = error instanceof ApiError ? error.fields[0] : null;
        const input = { name, email, phone, role }[field];
        if (input) input.focus();
      }
    }
    submit.disabled = false;
  });
  return h("section", { class: "panel" }, form);
}
