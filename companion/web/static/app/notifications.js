/*
 * Notifications in settings: turning web push on and off for this browser (docs/push.md).
 *
 * On: ask the browser's permission, subscribe through the service worker's pushManager with the
 * companion's VAPID public key (GET /api/v1/me/push), and give the subscription to the companion
 * (PUT /api/v1/me/push). Off: tell the companion (DELETE /api/v1/me/push?endpoint=...) and end the
 * subscription in the browser. Every state is said in words in a live region; a refused permission
 * or a browser without push is said plainly, and check-ins still wait in the app either way.
 */

const WORKER_WAIT_MS = 5000;

function supported() {
  return "serviceWorker" in navigator && "PushManager" in self && "Notification" in self;
}

/** The applicationServerKey: the base64url public key as bytes. */
export function keyBytes(base64url) {
  const padded = base64url.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (base64url.length % 4)) % 4);
  const raw = atob(padded);
  return Uint8Array.from(raw, (c) => c.charCodeAt(0));
}

async function registration() {
  const timeout = new Promise((resolve) => setTimeout(() => resolve(null), WORKER_WAIT_MS));
  return Promise.race([navigator.serviceWorker.ready, timeout]);
}

async function currentSubscription() {
  if (!supported()) return null;
  const reg = await registration();
  return reg ? reg.pushManager.getSubscription() : null;
}

/** On signing out: this browser stops getting the patient's notifications. */
export async function forgetDevice(api, { tellCompanion = true } = {}) {
  try {
    const subscription = await currentSubscription();
    if (!subscription) return;
    if (tellCompanion) {
      await api(`/api/v1/me/push?endpoint=${encodeURIComponent(subscription.endpoint)}`, { method: "DELETE" }).catch(() => undefined);
    }
    await subscription.unsubscribe();
  } catch (error) {
    // Nothing to undo: the companion expires a subscription the push service no longer knows.
  }
}

const TEXT = {
  unsupported: "This browser cannot show notifications. Your check-ins still wait for you here.",
  unavailable: "Notifications are not available from your clinic yet. Your check-ins still wait for you here.",
  blocked: "Notifications are blocked for this site in your browser’s settings, so none can come. Allow them there, then turn this on. Your check-ins still wait for you here.",
  refused: "You did not allow notifications, so none will come. Your check-ins still wait for you here.",
  on: "Notifications are on. We will let you know on this device when a check-in is ready.",
  off: "Notifications are off on this device.",
  offline: "You are offline, so notifications could not be changed. Please try again when you are back online.",
  failed: "Notifications could not be turned on in this browser. Your check-ins still wait for you here.",
};

/** The Notifications section of the settings screen. */
export function notificationsSection({ h, api }) {
  const status = h("p", { class: "message info", id: "notifications-status", role: "status", "aria-live": "polite" }, "Checking notifications…");
  const toggle = h("input", {
    type: "checkbox", id: "notifications", role: "switch", disabled: true, "aria-describedby": "notifications-status",
  });
  const label = h("label", { class: "switch", for: "notifications" }, toggle, h("span", {}, "Tell me when a check-in is ready"));
  let publicKey = null;

  function say(kind, text) {
    status.className = `message ${kind}`;
    status.textContent = text;
  }

  async function turnOn() {
    const permission = await Notification.requestPermission();
    if (permission !== "granted") {
      toggle.checked = false;
      say(permission === "denied" ? "error" : "info", permission === "denied" ? TEXT.blocked : TEXT.refused);
      return;
    }
    const reg = await registration();
    if (!reg) throw new Error("no service worker");
    let subscription = await reg.pushManager.getSubscription();
    if (!subscription) {
      subscription = await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(publicKey) });
    }
    await api("/api/v1/me/push", { method: "PUT", body: subscription.toJSON() });
    toggle.checked = true;
    say("ok", TEXT.on);
  }

  async function turnOff() {
    const subscription = await currentSubscription();
    if (subscription) {
      await api(`/api/v1/me/push?endpoint=${encodeURIComponent(subscription.endpoint)}`, { method: "DELETE" });
      await subscription.unsubscribe().catch(() => undefined);
    }
    toggle.checked = false;
    say("info", TEXT.off);
  }

  toggle.addEventListener("change", async () => {
    const wanted = toggle.checked;
    toggle.disabled = true;
    say("info", wanted ? "Turning notifications on…" : "Turning notifications off…");
    try {
      if (wanted) await turnOn();
      else await turnOff();
    } catch (error) {
      if (error && error.status === 401) return;
      toggle.checked = !wanted;
      say("error", error && error.status === 0 ? TEXT.offline : (wanted ? TEXT.failed : (error.detail || TEXT.offline)));
    } finally {
      toggle.disabled = false;
    }
  });

  (async () => {
    if (!supported()) {
      say("info", TEXT.unsupported);
      return;
    }
    let pushState;
    try {
      pushState = await api("/api/v1/me/push");
    } catch (error) {
      say("info", error.status === 0 ? TEXT.offline : TEXT.unavailable);
      return;
    }
    if (!pushState.available || !pushState.public_key) {
      say("info", TEXT.unavailable);
      return;
    }
    publicKey = pushState.public_key;
    if (Notification.permission === "denied") {
      say("error", TEXT.blocked);
      return;
    }
    const subscription = await currentSubscription().catch(() => null);
    toggle.checked = Boolean(subscription) && Notification.permission === "granted";
    toggle.disabled = false;
    say(toggle.checked ? "ok" : "info", toggle.checked ? TEXT.on : TEXT.off);
  })();

  return h("section", { "aria-labelledby": "notifications-title" },
    h("h2", { id: "notifications-title" }, "Notifications"),
    h("p", { class: "hint" }, "A notification says only that a check-in is ready, never your answers. Anything about your safety still comes by text and here in the app."),
    label,
    status);
}
