/*
 * The outbox, shared by the page and the service worker (a classic script, so the service worker
 * can load it with importScripts and the page with a script tag).
 *
 * Every check-in and every save of the safety plan is written here first, with the client_ref made
 * on this device, and is removed only after the companion has answered 2xx with what it stored.
 * One made offline therefore waits here until the network is back; sending it again is harmless,
 * because the companion stores one check-in, or one version of the plan, per client_ref. Entries
 * are sent in the order they were made. A Web Lock keeps the page and the service worker from
 * sending at the same moment.
 */
(function (scope) {
  "use strict";

  const DB_NAME = "companion";
  const DB_VERSION = 1;
  const OUTBOX = "outbox";
  const META = "meta";
  const LOCK = "companion-outbox";
  const API_CACHE = "companion-api";
  const PLAN_URL = "/api/v1/me/safety-plan";
  // What each kind of entry is sent to, and what in the answer shows the companion stored it.
  const KINDS = {
    checkin: { url: "/api/v1/me/checkins", method: "POST", stored: (body) => typeof body.id === "number" },
    "safety-plan": { url: PLAN_URL, method: "PUT", stored: (body) => typeof body.version === "number" },
  };
  const CHANNEL = "companion-outbox";
  // Tells this context's own change notices from those of the service worker and other tabs.
  const ID = Math.random().toString(36).slice(2);

  function openDb() {
    return new Promise((resolve, reject) => {
      const request = scope.indexedDB.open(DB_NAME, DB_VERSION);
      request.onupgradeneeded = () => {
        const db = request.result;
        if (!db.objectStoreNames.contains(OUTBOX)) db.createObjectStore(OUTBOX, { keyPath: "client_ref" });
        if (!db.objectStoreNames.contains(META)) db.createObjectStore(META);
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }

  async function run(storeName, mode, work) {
    const db = await openDb();
    try {
      return await new Promise((resolve, reject) => {
        // Strict durability: a check-in the patient was told is saved must survive a crash.
        const transaction = db.transaction(storeName, mode, { durability: "strict" });
        const request = work(transaction.objectStore(storeName));
        transaction.oncomplete = () => resolve(request ? request.result : undefined);
        transaction.onerror = () => reject(transaction.error);
        transaction.onabort = () => reject(transaction.error || new Error("the outbox write was aborted"));
      });
    } finally {
      db.close();
    }
  }

  function announce() {
    if (typeof scope.BroadcastChannel !== "function") return;
    const channel = new scope.BroadcastChannel(CHANNEL);
    channel.postMessage({ type: "outbox-changed", from: ID });
    channel.close();
  }

  async function put(entry) {
    await run(OUTBOX, "readwrite", (store) => store.put(entry));
    announce();
    return entry;
  }

  async function remove(clientRef) {
    await run(OUTBOX, "readwrite", (store) => store.delete(clientRef));
    announce();
  }

  async function list(patient) {
    const entries = (await run(OUTBOX, "readonly", (store) => store.getAll())) || [];
    entries.sort((a, b) => String(a.created_at).localeCompare(String(b.created_at)));
    return patient === undefined ? entries : entries.filter((entry) => entry.patient === patient);
  }

  async function setSession(session) {
    await run(META, "readwrite", (store) => store.put(session, "session"));
  }

  async function getSession() {
    return (await run(META, "readonly", (store) => store.get("session"))) || null;
  }

  async function clearSession() {
    await run(META, "readwrite", (store) => store.delete("session"));
  }

  function kindOf(entry) {
    return entry.kind || "checkin";
  }

  // The saved plan, as the companion answered, becomes the copy read offline (the service worker's
  // cache of GET /api/v1/me/safety-plan, kept under its address alone, never with a token).
  async function keepPlan(plan) {
    if (!scope.caches) return;
    try {
      const cache = await scope.caches.open(API_CACHE);
      const body = JSON.stringify(plan);
      await cache.put(new Request(PLAN_URL), new Response(body, { headers: { "Content-Type": "application/json" } }));
    } catch (error) {
      // the next read online refreshes it
    }
  }

  async function post(kind, body, token) {
    try {
      return await scope.fetch(KINDS[kind].url, {
        method: KINDS[kind].method,
        headers: { "Content-Type": "application/json", Accept: "application/json", Authorization: `Bearer ${token}` },
        body: JSON.stringify(body),
        cache: "no-store",
      });
    } catch (error) {
      return null; // no network
    }
  }

  async function detailOf(response) {
    try {
      const body = await response.json();
      return typeof body.detail === "string" ? body.detail : `the companion answered ${response.status}`;
    } catch (error) {
      return `the companion answered ${response.status}`;
    }
  }

  // Send one entry. Returns {outcome: "sent" | "waiting" | "refused" | "signin" | "offline", stored?}.
  async function send(entry, token) {
    const kind = kindOf(entry);
    if (!KINDS[kind]) return { outcome: "waiting" }; // made by a newer version of the app
    const response = await post(kind, entry.body, token);
    if (response === null) return { outcome: "offline" };
    if (response.ok) {
      let stored = null;
      try {
        stored = await response.json();
      } catch (error) {
        stored = null;
      }
      // Only the companion's own answer counts as stored (not, say, a captive portal's page).
      if (!stored || !KINDS[kind].stored(stored)) return { outcome: "waiting" };
      if (kind === "safety-plan") await keepPlan(stored);
      await remove(entry.client_ref);
      return { outcome: "sent", stored };
    }
    if (response.status === 401) return { outcome: "signin" };
    if (kind === "checkin" && (response.status === 409 || response.status === 404) && entry.body.prompt_id != null) {
      // The check-in it answered closed while this one waited (it expired, or was answered by
      // text): keep the answers all the same, as a check-in of their own.
      const body = Object.assign({}, entry.body);
      delete body.prompt_id;
      const moved = Object.assign({}, entry, { body });
      await put(moved);
      return send(moved, token);
    }
    if (response.status === 400 || response.status === 404 || response.status === 422) {
      const refused = Object.assign({}, entry, { state: "refused", error: await detailOf(response) });
      await put(refused);
      return { outcome: "refused", entry: refused };
    }
    return { outcome: "waiting" }; // the companion is busy or unwell: try again later
  }

  async function flushNow() {
    const result = { sent: [], waiting: 0, refused: 0, signin: false, offline: false };
    const session = await getSession();
    const entries = session ? await list(session.patient) : await list();
    if (!session || !session.token) {
      result.signin = entries.length > 0;
      result.waiting = entries.length;
      return result;
    }
    for (const entry of entries) {
      if (entry.state === "refused") {
        result.refused += 1;
        continue;
      }
      if (result.offline || result.signin) {
        result.waiting += 1;
        continue;
      }
      const sent = await send(entry, session.token);
      if (sent.outcome === "sent") {
        result.sent.push(kindOf(entry) === "checkin"
          ? { entry, kind: "checkin", checkin: sent.stored }
          : { entry, kind: kindOf(entry), plan: sent.stored });
      }
      else if (sent.outcome === "refused") result.refused += 1;
      else {
        result.waiting += 1;
        if (sent.outcome === "offline") result.offline = true;
        if (sent.outcome === "signin") result.signin = true;
      }
    }
    return result;
  }

  function flush() {
    const locks = scope.navigator && scope.navigator.locks;
    if (locks && typeof locks.request === "function") return locks.request(LOCK, flushNow);
    return flushNow();
  }

  scope.CompanionOutbox = Object.freeze({
    CHANNEL,
    id: ID,
    kindOf,
    put,
    remove,
    list,
    flush,
    setSession,
    getSession,
    clearSession,
  });
})(self);
