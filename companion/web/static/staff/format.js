// Times in the clinic's own time zone, relative ages, and the words the dashboard uses.

const ZONE_KEY = "companion.staff.zone";
const LOCALE = "en-US";
let zone = sessionStorage.getItem(ZONE_KEY) || Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
const formatters = new Map();

export function setClinicZone(name) {
  if (!name) return;
  try {
    new Intl.DateTimeFormat(LOCALE, { timeZone: name });
  } catch {
    return;
  }
  zone = name;
  sessionStorage.setItem(ZONE_KEY, name);
  formatters.clear();
}

export function clinicZone() {
  return zone;
}

export function hasClinicZone() {
  return Boolean(sessionStorage.getItem(ZONE_KEY));
}

export function forgetClinicZone() {
  sessionStorage.removeItem(ZONE_KEY);
}

function formatter(kind, timeZone = zone) {
  const key = `${kind}|${timeZone}`;
  if (!formatters.has(key)) {
    const options = {
      datetime: { weekday: "short", month: "short", day: "numeric", year: "numeric", hour: "2-digit", minute: "2-digit",
        hourCycle: "h23" },
      date: { month: "short", day: "numeric", year: "numeric" },
      day: { month: "short", day: "numeric" },
      time: { hour: "2-digit", minute: "2-digit", hourCycle: "h23" },
      seconds: { hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" },
      zone: { timeZoneName: "short" },
      parts: {
        year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit",
        hourCycle: "h23",
      },
    }[kind];
    formatters.set(key, new Intl.DateTimeFormat(LOCALE, { ...options, timeZone }));
  }
  return formatters.get(key);
}

export function toDate(value) {
  return value instanceof Date ? value : new Date(value);
}

/** "Fri, Nov 27, 10:04" in clinic time. */
export function dateTime(value) {
  return value ? formatter("datetime").format(toDate(value)) : "";
}

export function dateOnly(value) {
  return value ? formatter("date").format(toDate(value)) : "";
}

/** Month and day without the year: a chart's axis, where the year is in the chart's description. */
export function dayMonth(value) {
  return value ? formatter("day").format(toDate(value)) : "";
}

export function timeOnly(value, { seconds = false } = {}) {
  return value ? formatter(seconds ? "seconds" : "time").format(toDate(value)) : "";
}

/** The clinic zone's short name at that instant, e.g. "EST". */
export function zoneName(value = new Date(), timeZone = zone) {
  const part = formatter("zone", timeZone).formatToParts(toDate(value)).find((p) => p.type === "timeZoneName");
  return part ? part.value : timeZone;
}

/** "12 min ago", "3 h 5 min ago", "2 days 4 h ago". */
export function ago(minutes) {
  const m = Math.max(0, Math.floor(minutes));
  if (m < 1) return "just now";
  if (m < 60) return `${m} min ago`;
  const hours = Math.floor(m / 60);
  if (hours < 24) return m % 60 ? `${hours} h ${m % 60} min ago` : `${hours} h ago`;
  const days = Math.floor(hours / 24);
  const rest = hours % 24;
  const dayWord = days === 1 ? "day" : "days";
  return rest ? `${days} ${dayWord} ${rest} h ago` : `${days} ${dayWord} ago`;
}

/** "in 4 min", "due now". */
export function until(value, now = Date.now()) {
  const minutes = Math.ceil((toDate(value).getTime() - now) / 60000);
  if (minutes <= 0) return "due now";
  if (minutes < 60) return `in ${minutes} min`;
  const hours = Math.floor(minutes / 60);
  return minutes % 60 ? `in ${hours} h ${minutes % 60} min` : `in ${hours} h`;
}

function offsetMinutes(instant, timeZone) {
  const parts = Object.fromEntries(
    formatter("parts", timeZone).formatToParts(instant).map((p) => [p.type, p.value]),
  );
  const asUtc = Date.UTC(+parts.year, +parts.month - 1, +parts.day, +parts.hour % 24, +parts.minute, +parts.second);
  return (asUtc - Math.floor(instant.getTime() / 1000) * 1000) / 60000;
}

/**
 * A wall time typed in a datetime-local field ("2026-11-27T10:30"), read in clinic time -> ISO UTC.
 * A time that occurs twice (clocks going back) is its first occurrence; a time that does not exist
 * (clocks going forward) moves forward by the gap, as the companion's own scheduling does.
 */
export function wallToIso(text, timeZone = zone) {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(text || "");
  if (!match) return null;
  const [, y, mo, d, hh, mm] = match.map(Number);
  const wall = Date.UTC(y, mo - 1, d, hh, mm);
  const hour = 60 * 60 * 1000;
  const before = offsetMinutes(new Date(wall - 12 * hour), timeZone) * 60000;
  const after = offsetMinutes(new Date(wall + 12 * hour), timeZone) * 60000;
  const fits = [wall - before, wall - after].filter((t) => isoToWall(new Date(t), timeZone) === text.slice(0, 16));
  const instant = fits.length ? Math.min(...fits) : wall - before;
  return new Date(instant).toISOString();
}

/** An instant as a datetime-local value in clinic time. */
export function isoToWall(value, timeZone = zone) {
  const parts = Object.fromEntries(
    formatter("parts", timeZone).formatToParts(toDate(value)).map((p) => [p.type, p.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day}T${String(+parts.hour % 24).padStart(2, "0")}:${parts.minute}`;
}

export const SEVERITY = {
  urgent: { label: "Urgent", symbol: "▲", rank: 0 },
  high: { label: "High", symbol: "◆", rank: 1 },
  routine: { label: "Routine", symbol: "●", rank: 2 },
};

const KINDS = { crisis: "Crisis", medical: "Medical", same_day: "Same-day", routine: "Routine" };
const INSTRUMENTS = {
  mood: "Daily mood",
  post_session: "Post-session check",
  phq9: "PHQ-9",
  gad7: "GAD-7",
  cssrs: "C-SSRS screener",
};
const MODALITIES = {
  iv: "IV infusion",
  intranasal: "Intranasal",
  oral: "Oral",
  sublingual: "Sublingual",
  intramuscular: "Intramuscular",
};
const END_REASONS = {
  acknowledged: "stopped: acknowledged",
  resolved: "stopped: resolved",
  exhausted: "chain finished without acknowledgement",
  no_steps: "no pages (dashboard queue only)",
};

export const MODALITY_OPTIONS = Object.entries(MODALITIES);

function words(text) {
  return String(text || "").replace(/_/g, " ");
}

export function kindLabel(kind) {
  return KINDS[kind] || words(kind);
}

export function instrumentLabel(code) {
  return INSTRUMENTS[code] || words(code).toUpperCase();
}

export function modalityLabel(code) {
  return MODALITIES[code] || words(code);
}

export function bandLabel(band) {
  return words(band);
}

function ruleLabel(ruleId) {
  const text = words(ruleId);
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export function endReasonLabel(reason) {
  return END_REASONS[reason] || words(reason);
}

export function statusLabel(status) {
  const text = words(status);
  return text.charAt(0).toUpperCase() + text.slice(1);
}

const SOURCES = {
  sms: "SMS",
  app: "app",
  "sms:message": "SMS message",
  "app:message": "app message",
  "sms:checkin": "SMS check-in",
  "app:checkin": "app check-in",
  "scheduler:missed": "check-in schedule",
  "provider:undelivered": "SMS delivery report",
};

/** "sms" -> "SMS"; a finding's "sms:message" -> "SMS message", "app:checkin:12" -> "app check-in". */
export function sourceLabel(source) {
  const parts = String(source || "").split(":");
  return SOURCES[parts.slice(0, 2).join(":")] || SOURCES[parts[0]] || words(parts.slice(0, 2).join(" "));
}

const RULE_KINDS = {
  cssrs: "C-SSRS screener",
  risk_language: "Risk language",
  post_session_red_flags: "Post-session red flags",
  phq9_item9: "PHQ-9 item 9",
  mood_low: "Low mood",
  mood_drop: "Mood drop below baseline",
  missed_checkins: "Missed check-ins",
  phq9_rise: "PHQ-9 rise",
  gad7_high: "High GAD-7",
  side_effects_strong: "Strong side effects",
  undelivered_prompt_during_alert: "Prompt not delivered during an alert",
};

export function findingLabel(kind, ruleId) {
  return RULE_KINDS[kind] || ruleLabel(kind || ruleId || "finding");
}

export function plural(count, one, many = `${one}s`) {
  return `${count} ${count === 1 ? one : many}`;
}

/** An on-call position's name in words: "on_call_clinician" -> "On call clinician". */
export function positionLabel(name) {
  return statusLabel(name);
}

const WEEKDAYS = { mon: "Mon", tue: "Tue", wed: "Wed", thu: "Thu", fri: "Fri", sat: "Sat", sun: "Sun" };
export const WEEKDAY_OPTIONS = Object.entries(WEEKDAYS);

/** A handoff as stored ("mon 09:00") -> "Mon 09:00". */
export function handoffLabel(handoff) {
  const [day, time] = String(handoff || "").split(" ");
  return `${WEEKDAYS[day] || day || ""} ${time || ""}`.trim();
}

const DELIVERY = {
  pending: "waiting to send", sending: "sending", accepted: "accepted", queued: "queued", scheduled: "scheduled",
  sent: "sent", delivered: "delivered", read: "read", undelivered: "not delivered", failed: "failed",
  gave_up: "given up", cancelled: "withdrawn", canceled: "cancelled by the provider",
  unknown: "may have been sent", suppressed: "not sent: the patient opted out",
};

/** An outbox row's status in words: "undelivered" -> "not delivered". */
export function deliveryLabel(status) {
  return DELIVERY[status] || words(status);
}

const PURPOSES = {
  prompt: "Check-in question", reminder: "Reminder", safety_reply: "Safety reply", reply: "Automatic reply",
  staff_message: "Message from staff",
};

export function purposeLabel(purpose) {
  return PURPOSES[purpose] || statusLabel(purpose);
}
