/*
 * The check-in outbox, shared by the page and the service worker (a classic script, so the service
 * worker can load it with importScripts and the page with a script tag).
 *
 * Every check-in is written here first, with the client_ref made on this device, and is removed
 * only after the companion has answered 2xx with the stored check-in. A check-in made offline
 * therefore waits here until the network is back; sending it again is harmless, because the
 * companion stores one check-in per client_ref. A Web Lock keeps the page and the service worker
 * from sending at the same moment.
 */
(function (scope) {
  "use strict";

  const DB_NAME = "companion";
  const DB_VERSION = 1;
  const OUTBOX = "outbox";
  const META = "meta";
  const LOCK = "companion-outbox";
  const ENDPOINT = "/api/v1/me/checkins";
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

  async function post(body, token) {
    try {
      return await scope.fetch(ENDPOINT, {
        method: "POST",
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

  // Send one entry. Returns {outcome: "sent" | "waiting" | "refused" | "signin" | "offline", checkin?}.
  async function send(entry, token) {
    const response = await post(entry.body, token);
    if (response === null) return { outcome: "offline" };
    if (response.ok) {
      let checkin = null;
      try {
        checkin = await response.json();
      } catch (error) {
        checkin = null;
      }
      // Only the companion's own answer counts as stored (not, say, a captive portal's page).
      if (!checkin || typeof checkin.id !== "number") return { outcome: "waiting" };
      await remove(entry.client_ref);
      return { outcome: "sent", checkin };
    }
    if (response.status === 401) return { outcome: "signin" };
    if ((response.status === 409 || response.status === 404) && entry.body.prompt_id != null) {
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
      if (sent.outcome === "sent") result.sent.push({ entry, checkin: sent.checkin });
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
    put,
    remove,
    list,
    flush,
    setSession,
    getSession,
    clearSession,
  });
})(self);
