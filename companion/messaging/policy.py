"""What to do after a send: retry, give up, or settle an uncertain send. Pure: no I/O.

The rules are those of docs/sms.md ("Purposes, priorities and retries"). Twilio error codes:
- retry with backoff: HTTP 429, HTTP 5xx, timeouts and connection errors, 30003 (unreachable handset);
- never retry: 21610 (recipient opted out: record it), 21211 / 21614 (invalid or not a mobile number),
  30006 (landline);
- recorded and surfaced to staff: 30005 (unknown number), 30007 (carrier filtered).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Literal

from companion.models import MessageStatus


class Purpose(StrEnum):
    OTP = "otp"
    PROMPT = "prompt"
    REMINDER = "reminder"
    SAFETY_REPLY = "safety_reply"
    STAFF_PAGE = "staff_page"
    NOTICE = "notice"
    REPLY = "reply"  # an answer to the patient's or staff member's own message
    STAFF_MESSAGE = "staff_message"  # a clinician's own message to a patient, from the dashboard
    STAFF_LINK = "staff_link"  # a staff member's set-your-password link (an invitation or a reset)
    WELCOME = "welcome"  # the enrolment text asking a new patient to reply YES


# Lower sends first.
PRIORITY: dict[Purpose, int] = {
    Purpose.SAFETY_REPLY: 0,
    Purpose.STAFF_PAGE: 0,
    Purpose.OTP: 1,
    Purpose.STAFF_LINK: 1,
    Purpose.REPLY: 2,
    Purpose.STAFF_MESSAGE: 2,
    Purpose.NOTICE: 3,
    Purpose.WELCOME: 3,
    Purpose.PROMPT: 5,
    Purpose.REMINDER: 6,
}

# Sent at once after commit, not at the next tick.
URGENT: frozenset[Purpose] = frozenset({
    Purpose.SAFETY_REPLY, Purpose.STAFF_PAGE, Purpose.OTP, Purpose.STAFF_LINK, Purpose.REPLY, Purpose.STAFF_MESSAGE,
    Purpose.WELCOME,
})

# Sent on the companion's own schedule, not in answer to anyone: only to a patient who has opted
# in to SMS (a patient still pending, who has not replied YES to the welcome, gets none of them),
# and cancelled when a patient opts out, is paused or is discharged (docs/sms.md, "Consent").
ROUTINE: frozenset[Purpose] = frozenset({Purpose.PROMPT, Purpose.REMINDER, Purpose.NOTICE})

# A send whose outcome is unknown (the process died after calling the provider, or the call
# timed out) is settled by purpose:
# - at least once: a staff page, a safety reply, a sign-in code and a staff member's set-your-password
#   link that might not have gone out are sent again; a duplicate is a nuisance, a missing one can
#   cost a life or lock a patient or a clinician out;
# - at most once: a prompt, a reminder, a notice and a reply that might already have gone out are
#   not sent twice; a patient must not get the same question twice.
AT_LEAST_ONCE: frozenset[Purpose] = frozenset({
    Purpose.STAFF_PAGE, Purpose.SAFETY_REPLY, Purpose.OTP, Purpose.STAFF_LINK,
})

MAX_ATTEMPTS: dict[Purpose, int] = {
    Purpose.STAFF_PAGE: 10,
    Purpose.SAFETY_REPLY: 10,
    Purpose.OTP: 4,
    Purpose.STAFF_LINK: 4,
    Purpose.NOTICE: 6,
    Purpose.REPLY: 4,
    Purpose.STAFF_MESSAGE: 4,
    Purpose.WELCOME: 4,
    Purpose.PROMPT: 6,
    Purpose.REMINDER: 4,
}

RETRYABLE_CODES = frozenset({30003, 20429})
OPT_OUT_CODES = frozenset({21610})
PERMANENT_CODES = frozenset({21610, 21211, 21614, 30006, 30005, 30007, 21617, 21612, 21408})
SURFACE_CODES = frozenset({30005, 30007, 21211, 21614, 30006})

MAX_BODY = 1600

# Inbound messages: a text that reads as risk when it arrives is handled before anything waiting.
INBOUND_URGENT = 0
INBOUND_NORMAL = 5


@dataclass(frozen=True)
class SendError:
    """A failed hand-over. ``uncertain`` marks a send the provider may have accepted."""

    http_status: int | None
    code: int | None
    detail: str
    uncertain: bool = False


@dataclass(frozen=True)
class Decision:
    action: Literal["retry", "give_up", "settle_sent"]
    retry_at: datetime | None = None
    opt_out: bool = False
    needs_attention: bool = False
    reason: str = ""


def backoff(attempts: int, *, base: float = 5.0, cap: float = 600.0) -> timedelta:
    """Exponential backoff: 5 s, 10 s, 20 s ... capped at 10 minutes."""
    return timedelta(seconds=min(cap, base * (2 ** max(0, attempts - 1))))


def is_retryable(error: SendError) -> bool:
    if error.code in PERMANENT_CODES:
        return False
    if error.code in RETRYABLE_CODES:
        return True
    if error.http_status is None:  # timeout or connection error
        return True
    return error.http_status == 429 or error.http_status >= 500


def decide(
    purpose: Purpose, error: SendError, attempts: int, now: datetime, *, retry_base: float = 5.0
) -> Decision:
    """``attempts`` counts the attempt that just failed; ``retry_base`` is the first backoff, in seconds."""
    if error.uncertain and purpose not in AT_LEAST_ONCE:
        return Decision("settle_sent", reason="may have been sent; not sent twice")
    if error.code in OPT_OUT_CODES:
        return Decision("give_up", opt_out=True, reason="recipient opted out")
    if not is_retryable(error):
        return Decision("give_up", needs_attention=error.code in SURFACE_CODES or purpose in AT_LEAST_ONCE,
                        reason=f"permanent error {error.code or error.http_status}")
    if attempts >= MAX_ATTEMPTS[purpose]:
        return Decision("give_up", needs_attention=True, reason=f"gave up after {attempts} attempts")
    return Decision("retry", retry_at=now + backoff(attempts, base=retry_base), reason="temporary error")


def settle_stale_claim(purpose: Purpose) -> Literal["resend", "settle_sent"]:
    """A row claimed by a worker that never recorded a result (it died mid-send)."""
    return "resend" if purpose in AT_LEAST_ONCE else "settle_sent"


# Twilio's statuses in the order a message moves through them; a callback never moves a row back.
STATUS_RANK: dict[str, int] = {
    MessageStatus.PENDING: 0,
    MessageStatus.SENDING: 1,
    MessageStatus.ACCEPTED: 2,
    MessageStatus.QUEUED: 2,
    MessageStatus.SCHEDULED: 2,
    MessageStatus.SENT: 4,
    MessageStatus.RECEIVING: 4,
    MessageStatus.RECEIVED: 5,
    MessageStatus.DELIVERED: 5,
    MessageStatus.UNDELIVERED: 5,
    MessageStatus.FAILED: 5,
    MessageStatus.READ: 6,
    MessageStatus.CANCELED: 5,
}

FINAL_STATUSES = frozenset({
    MessageStatus.DELIVERED, MessageStatus.UNDELIVERED, MessageStatus.FAILED, MessageStatus.READ,
    MessageStatus.CANCELED,
})


def should_apply_status(current: str, incoming: str) -> bool:
    """True when a callback's status moves the message forward."""
    if incoming not in STATUS_RANK:
        return False
    if current in {MessageStatus.GAVE_UP, MessageStatus.SUPPRESSED, MessageStatus.CANCELLED, MessageStatus.UNKNOWN}:
        return incoming in FINAL_STATUSES or incoming == MessageStatus.SENT
    return STATUS_RANK[incoming] > STATUS_RANK.get(current, 0)


def clip_body(body: str) -> str:
    """Never send more than 1,600 characters."""
    if len(body) <= MAX_BODY:
        return body
    return body[: MAX_BODY - 1] + "…"
