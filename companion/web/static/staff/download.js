// A CSV export saved as a file: fetched with the session's token (a plain link cannot carry it),
// then handed to the browser as a download. The API audits every export.

import { api } from "./api.js";
import { h } from "./dom.js";

export async function downloadCsv(path, filename) {
  const text = await api(path, { as: "text" });
  const url = URL.createObjectURL(new Blob([text], { type: "text/csv" }));
  const link = Object.assign(document.createElement("a"), { href: url, download: filename });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** A button that downloads `path` as `filename`, saying so (or why not) in `status`. */
export function downloadButton({ label, path, filename, id }) {
  const status = h("span", { class: "muted small", role: "status" });
  const button = h("button", { type: "button", class: "button button-secondary", id }, label);
  button.addEventListener("click", async () => {
    button.disabled = true;
    status.textContent = "Preparing…";
    try {
      await downloadCsv(path, filename);
      status.textContent = `${filename} downloaded.`;
    } catch (error) {
      status.textContent = error.message || "The export failed.";
    } finally {
      button.disabled = false;
    }
  });
  return h("span", { class: "download" }, button, " ", status);
}
