// The clinic and its staff (admins only; the API refuses everyone else).

import { ApiError, api } from "./api.js";
import { clear, h, notice } from "./dom.js";
import { dateOnly, setClinicZone, statusLabel } from "./format.js";

const DAYS = [["mon", "Mon"], ["tue", "Tue"], ["wed", "Wed"], ["thu", "Thu"], ["fri", "Fri"], ["sat", "Sat"], ["sun", "Sun"]];

function hours(businessHours) {
  return DAYS.map(([key, label]) => {
    const span = businessHours[key];
    return `${label} ${span ? `${span[0]}–${span[1]}` : "closed"}`;
  }).join(" · ");
}

/** The team page. Returns a cleanup function. */
export function teamView(main) {
  let alive = true;
  const body = h("div", {}, h("p", { class: "muted" }, "Loading…"));
  clear(main).append(h("div", { class: "page" },
    h("div", { class: "page-head" }, h("h1", { tabindex: "-1" }, "Clinic and team")), body));

  Promise.all([api("/clinics"), api("/staff")]).then(([clinics, members]) => {
    if (!alive) return;
    const clinic = clinics[0];
    if (clinic) setClinicZone(clinic.timezone);
    clear(body).append(
      clinic ? h("section", { class: "panel", "aria-labelledby": "clinic-heading" },
        h("h2", { id: "clinic-heading" }, clinic.name),
        h("dl", { class: "patient-facts" },
          h("div", {}, h("dt", {}, "Time zone"), h("dd", {}, clinic.timezone)),
          h("div", {}, h("dt", {}, "Business hours"), h("dd", {}, hours(clinic.business_hours || {}))),
          h("div", {}, h("dt", {}, "SMS sender"), h("dd", {}, clinic.sms_sender || "default")))) : null,
      h("section", { class: "panel", "aria-labelledby": "staff-heading" },
        h("h2", { id: "staff-heading" }, `Staff (${members.length})`),
        h("div", { class: "table-wrap" }, h("table", { class: "data-table" },
          h("thead", {}, h("tr", {}, ["Name", "Email", "Phone", "Role", "Account", "Since"]
            .map((label) => h("th", { scope: "col" }, label)))),
          h("tbody", {}, members.map((m) => h("tr", {},
            h("th", { scope: "row" }, m.name), h("td", {}, m.email), h("td", {}, m.phone || "—"),
            h("td", {}, statusLabel(m.role)), h("td", {}, m.active ? "Active" : "Deactivated"),
            h("td", {}, dateOnly(m.created_at)))))))),
    );
  }).catch((error) => {
    if (!alive || (error instanceof ApiError && error.status === 401)) return;
    const message = error instanceof ApiError && error.forbidden
      ? `${error.message} The clinic and team page is for admins.`
      : error instanceof ApiError ? error.message : String(error);
    clear(body).append(notice("error", message, { id: "team-error" }),
      h("p", {}, h("a", { href: "#/alerts" }, "Back to alerts")));
  });
  return () => {
    alive = false;
  };
}
