// Setting a password through a one-time link (an invitation or a reset, docs/sign-in.md): the link
// opens #/setup/<token>; the token is taken off the address bar at once and kept only in memory.

import { ApiError, setPassword } from "./api.js";
import { clear, h, notice } from "./dom.js";

const MIN_LENGTH = 10;

/** The set-your-password page; calls `onDone(email)` once the companion took the new password. */
export function setupView(main, { token, onDone }) {
  const password = h("input", { type: "password", id: "setup-password", name: "new-password",
    autocomplete: "new-password", required: true, minlength: MIN_LENGTH, maxlength: 256,
    "aria-describedby": "setup-hint" });
  const repeat = h("input", { type: "password", id: "setup-repeat", name: "repeat-password",
    autocomplete: "new-password", required: true, maxlength: 256 });
  const submit = h("button", { type: "submit", class: "button button-primary button-wide", id: "setup-submit" },
    "Set password");
  const feedback = h("div", { class: "form-message", id: "setup-message" });
  const form = h("form", { class: "signin-form", novalidate: true, "aria-labelledby": "setup-heading" },
    h("h1", { id: "setup-heading" }, "Set your password"),
    h("p", { class: "muted" }, "Aftercare companion · for clinic staff"),
    feedback,
    h("div", { class: "field" }, h("label", { for: "setup-password" }, "New password"), password,
      h("p", { class: "hint", id: "setup-hint" }, `At least ${MIN_LENGTH} characters. A few words make a good one.`)),
    h("div", { class: "field" }, h("label", { for: "setup-repeat" }, "The same password again"), repeat),
    submit,
    h("p", { class: "hint" }, "The link works once. Signing in comes next."));
  clear(main).append(h("div", { class: "signin-page" }, form));

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clear(feedback);
    if (password.value.length < MIN_LENGTH) {
      feedback.append(notice("error", `The password needs at least ${MIN_LENGTH} characters.`));
      password.focus();
      return;
    }
    if (password.value !== repeat.value) {
      feedback.append(notice("error", "The two passwords differ; type the same one twice."));
      repeat.value = "";
      repeat.focus();
      return;
    }
    submit.disabled = true;
    try {
      const email = await setPassword(token, password.value);
      password.value = repeat.value = "";
      onDone(email);
    } catch (error) {
      feedback.append(notice("error", error instanceof ApiError ? error.message : String(error)));
      submit.disabled = false;
    }
  });
  password.focus();
}
