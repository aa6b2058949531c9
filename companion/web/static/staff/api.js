// The dashboard's only way to the companion: the /api/v1 JSON API with a bearer token.
// The token lives in sessionStorage, so it ends with the browser tab.

const SESSION_KEY = "companion.staff.session";
const BASE = "/api/v1";

export class ApiError extends Error {
  constructor(status, message, body = null) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.body = body;
  }

  get forbidden() {
    return this.status === 403;
  }

  /** What a refused protocol is refused for: "place: what" each (a 422's `problems`). */
  get problems() {
    const problems = this.body && Array.isArray(this.body.problems) ? this.body.problems : [];
    return problems.filter((item) => typeof item === "string");
  }

  /** The field names a 400 or 409 points at, e.g. ["note"]. */
  get fields() {
    const extra = this.body && Array.isArray(this.body.extra) ? this.body.extra : [];
    return extra.map((item) => item && item.key).filter(Boolean);
  }
}

let unauthorizedHandler = () => {};

/** Called when the companion answers 401 to a signed-in request (expired or revoked token). */
export function onUnauthorized(handler) {
  unauthorizedHandler = handler;
}

function decodeClaims(token) {
  try {
    const payload = token.split(".")[0].replace(/-/g, "+").replace(/_/g, "/");
    const padded = payload + "=".repeat((4 - (payload.length % 4)) % 4);
    return JSON.parse(atob(padded));
  } catch {
    return {};
  }
}

/** The signed-in staff member, or null. An expired session is forgotten. */
export function getSession() {
  let session = null;
  try {
    session = JSON.parse(sessionStorage.getItem(SESSION_KEY) || "null");
  } catch {
    session = null;
  }
  if (!session || !session.token) return null;
  if (session.expiresAt && Date.parse(session.expiresAt) <= Date.now()) {
    clearSession();
    return null;
  }
  return session;
}

export function updateSession(changes) {
  const session = getSession();
  if (session) sessionStorage.setItem(SESSION_KEY, JSON.stringify({ ...session, ...changes }));
}

export function clearSession() {
  sessionStorage.removeItem(SESSION_KEY);
}

function roleMessage(detail) {
  const base = "You do not have permission to do this with your role";
  return detail ? `${base}: ${detail}.` : `${base}.`;
}

function messageFor(status, body) {
  const detail = body && typeof body.detail === "string" ? body.detail : "";
  switch (status) {
    case 400:
      return detail ? `Please check the form: ${detail}.` : "Please check the form and try again.";
    case 401:
      return detail || "Please sign in.";
    case 403:
      return roleMessage(detail);
    case 404:
      return "Not found: it may have been removed, or it belongs to another clinic.";
    case 409:
      return detail ? `This could not be saved: ${detail}.` : "This conflicts with a recent change; reload and retry.";
    case 422:
      return detail ? `This could not be kept: ${detail}.` : "This could not be kept; check the form and try again.";
    case 423:
      return detail || "This account is locked for a while.";
    case 429:
      return "Too many requests; wait a moment and try again.";
    default:
      return status >= 500
        ? `The companion could not complete this (error ${status}). Try again; if it persists, tell your administrator.`
        : detail || `The request failed (error ${status}).`;
  }
}

/**
 * One request. `body` is sent as JSON; `text` (with `contentType`) is sent as it is, e.g. a
 * protocol file as application/toml. `as: "text"` answers the response's text (a CSV export).
 */
async function send(path, { method = "GET", body, text, contentType = "text/plain", query, token, as = "json" } = {}) {
  let url = BASE + path;
  if (query) {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined && value !== null && value !== "") params.set(key, String(value));
    }
    const search = params.toString();
    if (search) url += `?${search}`;
  }
  const headers = { Accept: "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  let payload;
  if (text !== undefined) {
    headers["Content-Type"] = contentType;
    payload = text;
  } else if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(url, {
      method,
      headers,
      body: payload,
      cache: "no-store",
      credentials: "omit",
    });
  } catch {
    throw new ApiError(0, "The companion could not be reached. Check the connection and try again.");
  }
  if (as === "text" && response.ok) return response.text();
  let data = null;
  if ((response.headers.get("content-type") || "").includes("json")) {
    try {
      data = await response.json();
    } catch {
      data = null;
    }
  }
  if (!response.ok) throw new ApiError(response.status, messageFor(response.status, data), data);
  return data;
}

/** A signed-in call. A 401 forgets the session and hands over to the sign-in page. */
export async function api(path, options = {}) {
  const session = getSession();
  if (!session) {
    unauthorizedHandler("Please sign in.");
    throw new ApiError(401, "Please sign in.");
  }
  try {
    return await send(path, { ...options, token: session.token });
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      clearSession();
      const message = "Your session has ended. Please sign in again.";
      unauthorizedHandler(message);
      throw new ApiError(401, message, error.body);
    }
    throw error;
  }
}

export async function signIn(email, password) {
  let data;
  try {
    data = await send("/auth/staff/login", { method: "POST", body: { email, password } });
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      throw new ApiError(401, "The email or password is incorrect.", error.body);
    }
    if (error instanceof ApiError && error.status === 400) {
      throw new ApiError(400, "Enter your email address and password.", error.body);
    }
    throw error;
  }
  const claims = decodeClaims(data.access_token);
  const session = {
    token: data.access_token,
    role: data.role || claims.r || "staff",
    expiresAt: data.expires_at,
    staffId: typeof claims.s === "number" ? claims.s : null,
    clinicId: typeof claims.c === "number" ? claims.c : null,
    email,
  };
  sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
  return session;
}

/** Spend a set-your-password link (an invitation or a reset); no session needed. Returns the
 * member's email. A used, replaced or expired link answers 401 with the companion's words. */
export async function setPassword(token, password) {
  const data = await send("/auth/staff/setup", { method: "POST", body: { token, password } });
  return data.email;
}

/** The signed-in person's clinic id (from the token, also for a session stored before it was kept). */
export function clinicOf(session) {
  if (!session) return null;
  if (typeof session.clinicId === "number") return session.clinicId;
  const claims = decodeClaims(session.token || "");
  return typeof claims.c === "number" ? claims.c : null;
}

/** What each role may do; the API checks it again on every call. */
export function can(session, action) {
  const role = session ? session.role : null;
  const clinical = role === "admin" || role === "clinician";
  switch (action) {
    case "record-session":
    case "enrol-patient":
    case "manage-patient":
    case "send-message":
    case "review-message":
    case "read-outcomes":
    case "export-record":
    case "edit-safety-plan":
      return clinical;
    case "manage-team":
    case "manage-protocol":
    case "manage-oncall":
    case "read-audit":
      return role === "admin";
    default:
      return Boolean(role);
  }
}
