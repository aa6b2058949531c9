// Staff sign-in.

import { ApiError, signIn } from "./api.js";
import { clear, h, notice } from "./dom.js";

/** The sign-in page; calls `onSignedIn(session)` once the companion accepted the password. */
export function signInView(main, { message, onSignedIn, email: knownEmail = "" }) {
  const email = h("input", { type: "email", id: "signin-email", name: "email", autocomplete: "username", required: true,
    maxlength: 254, spellcheck: "false", value: knownEmail || undefined });
  const password = h("input", { type: "password", id: "signin-password", name: "password",
    autocomplete: "current-password", required: true, maxlength: 256 });
  const submit = h("button", { type: "submit", class: "button button-primary button-wide", id: "signin-submit" },
    "Sign in");
  const feedback = h("div", { class: "form-message", id: "signin-message" });
  if (message) feedback.append(notice("info", message));
  const form = h("form", { class: "signin-form", novalidate: true, "aria-labelledby": "signin-heading" },
    h("h1", { id: "signin-heading" }, "Staff sign-in"),
    h("p", { class: "muted" }, "Aftercare companion · for clinic staff"),
    feedback,
    h("div", { class: "field" }, h("label", { for: "signin-email" }, "Email"), email),
    h("div", { class: "field" }, h("label", { for: "signin-password" }, "Password"), password),
    submit,
    h("p", { class: "hint" }, "Signing in opens a session for this browser tab only. Sign out when you leave."),
  );
  clear(main).append(h("div", { class: "signin-page" }, form));

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clear(feedback);
    if (!email.value.trim() || !password.value) {
      feedback.append(notice("error", "Enter your email address and password."));
      (email.value.trim() ? password : email).focus();
      return;
    }
    submit.disabled = true;
    submit.textContent = "Signing in…";
    try {
      const session = await signIn(email.value.trim(), password.value);
      password.value = "";
      await onSignedIn(session);
    } catch (error) {
      feedback.append(notice("error", error instanceof ApiError ? error.message : String(error)));
      password.value = "";
      password.focus();
      submit.disabled = false;
      submit.textContent = "Sign in";
    }
  });
  (knownEmail ? password : email).focus();
}
