// The protocol's stored versions, newest first: the one in use marked, what changed from the
// version before (a unified diff, added and removed lines marked), and activating an older or
// newer version again after a confirmation (checked against the clinic as it is now).

import { ApiError, api } from "./api.js";
import { clear, h, notice } from "./dom.js";
import { dateTime, plural } from "./format.js";

function errorText(error) {
  return error instanceof ApiError ? error.message : String(error);
}

/** A refusal: the companion's message and each problem ("place: what") as a list. */
export function refusal(error, id) {
  const problems = error instanceof ApiError ? error.problems : [];
  if (!problems.length) return notice("error", errorText(error), { id });
  return h("div", { class: "notice notice-error", role: "alert", id },
    h("p", {}, `The protocol was refused: ${plural(problems.length, "problem")}. Nothing was changed.`),
    h("ul", { class: "problem-list", id: `${id}-problems` }, problems.map((problem) => h("li", {}, problem))));
}

function lineClass(line) {
  if (line.startsWith("+++") || line.startsWith("---")) return "diff-file";
  if (line.startsWith("@@")) return "diff-hunk";
  if (line.startsWith("+")) return "diff-add";
  if (line.startsWith("-")) return "diff-del";
  return "diff-same";
}

/** A unified diff as a block, each line marked as added, removed or unchanged. */
export function diffBlock(diff, id) {
  const lines = String(diff || "").replace(/\n$/, "").split("\n");
  if (!diff) return h("p", { class: "empty", id }, "The two versions have the same text.");
  return h("pre", { class: "diff", id, tabindex: "0", "aria-label": "Differences: + added, - removed" },
    lines.map((line) => h("span", { class: ["diff-line", lineClass(line)] }, `${line}\n`)));
}

/** The history panel. `onActivated(message)` is called after a version was activated. */
export function historyPanel({ base, versions, onActivated }) {
  const columns = 6;
  const rows = versions.map((version, index) => {
    const n = version.number;
    const previous = versions[index + 1];
    const detail = h("tr", { class: "version-detail", id: `version-detail-${n}`, hidden: true },
      h("td", { colspan: columns }));
    const detailCell = detail.firstChild;
    const actions = h("td", { class: "version-actions" });

    function show(...content) {
      clear(detailCell).append(...content);
      detail.hidden = false;
    }

    const compare = previous ? h("button", { type: "button", class: "button button-quiet", id: `compare-${n}`,
      "aria-expanded": "false", "aria-controls": `version-detail-${n}`,
      "aria-label": `Compare with previous: version ${n} with version ${previous.number}` }, "Compare with previous") : null;
    if (compare) {
      compare.addEventListener("click", async () => {
        if (compare.getAttribute("aria-expanded") === "true") {
          compare.setAttribute("aria-expanded", "false");
          detail.hidden = true;
          return;
        }
        compare.disabled = true;
        try {
          const read = await api(`${base}/versions/${n}`, { query: { diff_from: previous.number } });
          show(h("h3", { class: "section-title" }, `Version ${previous.number} → version ${n}`),
            diffBlock(read.diff, `diff-${n}`));
          compare.setAttribute("aria-expanded", "true");
        } catch (error) {
          if (!(error instanceof ApiError && error.status === 401)) show(notice("error", errorText(error)));
        }
        compare.disabled = false;
      });
    }

    function offerActivation() {
      const activate = h("button", { type: "button", class: "button button-secondary", id: `activate-${n}`,
        "aria-label": `Activate version ${n}`, onclick: confirm }, "Activate");
      clear(actions).append(compare || "", " ", activate);
      return activate;
    }

    function confirm() {
      const yes = h("button", { type: "button", class: "button button-primary", id: `activate-confirm-${n}` },
        `Yes, activate version ${n}`);
      const no = h("button", { type: "button", class: "button button-quiet", id: `activate-cancel-${n}` }, "Cancel");
      clear(actions).append(h("p", { class: "confirm-text", id: `activate-question-${n}` },
        `Use version ${n} (${version.label}) instead of the version in use? It is checked against the clinic first.`),
      h("span", { class: "form-actions" }, yes, no));
      yes.setAttribute("aria-describedby", `activate-question-${n}`);
      no.addEventListener("click", () => offerActivation().focus());
      yes.addEventListener("click", async () => {
        yes.disabled = true;
        no.disabled = true;
        try {
          await api(`${base}/versions/${n}/activate`, { method: "POST" });
          await onActivated(`Version ${n} (${version.label}) is in use.`);
        } catch (error) {
          if (error instanceof ApiError && error.status === 401) return;
          offerActivation();
          show(refusal(error, `activate-refused-${n}`));
        }
      });
      yes.focus();
    }

    if (version.active) {
      clear(actions).append(compare || h("span", { class: "muted" }, "—"));
    } else {
      offerActivation();
    }
    const row = h("tr", { id: `version-${n}`, dataset: { number: n, active: version.active ? "true" : "false" } },
      h("th", { scope: "row" }, String(n)),
      h("td", {}, version.label),
      h("td", {}, dateTime(version.created_at), version.created_by ? ` by ${version.created_by.name}` : ""),
      h("td", {}, version.origin),
      h("td", {}, version.active ? h("span", { class: "status-chip status-chip-active" }, "In use") : "—"),
      actions);
    return [row, detail];
  });
  return h("section", { class: "panel", id: "protocol-history", "aria-labelledby": "history-heading" },
    h("h2", { id: "history-heading" }, `Stored versions (${versions.length})`),
    versions.length ? h("div", { class: "table-wrap" }, h("table", { class: "data-table versions-table" },
      h("thead", {}, h("tr", {}, ["Number", "Label", "Stored", "From", "Status", "Actions"]
        .map((label) => h("th", { scope: "col" }, label)))),
      h("tbody", {}, rows)))
      : h("p", { class: "empty" }, "No version stored yet: the clinic uses the seed file."));
}
