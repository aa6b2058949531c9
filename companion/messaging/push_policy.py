"""What a push becomes after each try, and the payload it carries. Pure: no I/O.

The rules are those of docs/push.md ("Delivery"): the push service's 201 (or another 2xx) is sent;
404 and 410 say the subscription is gone, which expires it; 429, 5xx, a timeout or a connection
error is tried again after 5 s, 10 s, 20 s ... until the attempts run out; any other answer (400,
401, 403, 413 ...) is given up at once. An expired or given-up push falls back to SMS above
transport, where the patient allows it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from companion.messaging.policy import Purpose, backoff

# Push carries routine prompts and reminders only; a safety reply and anything urgent is SMS.
PUSH_PURPOSES: frozenset[Purpose] = frozenset({Purpose.PROMPT, Purpose.REMINDER})

EXPIRED_STATUSES = frozenset({404, 410})
# RFC 8030: a push message of more than 4096 octets may be refused; ours are a small fraction of it.
MAX_PAYLOAD = 3000


@dataclass(frozen=True)
class PushResult:
    """What one hand-over to the push service came to. ``http_status`` is None for a timeout or a
    connection error."""

    http_status: int | None
    detail: str = ""


@dataclass(frozen=True)
class PushDecision:
    action: Literal["sent", "retry", "expire", "give_up"]
    retry_at: datetime | None = None
    reason: str = ""


def decide_push(
    result: PushResult, attempts: int, now: datetime, *, max_attempts: int, retry_base: float = 5.0
) -> PushDecision:
    """``attempts`` counts the attempt that just ended."""
    status = result.http_status
    if status is not None and 200 <= status < 300:
        return PushDecision("sent", reason=f"accepted {status}")
    if status in EXPIRED_STATUSES:
        return PushDecision("expire", reason=f"subscription gone ({status})")
    retryable = status is None or status == 429 or status >= 500
    if not retryable:
        return PushDecision("give_up", reason=f"refused ({status})")
    if attempts >= max_attempts:
        return PushDecision("give_up", reason=f"gave up after {attempts} attempts")
    return PushDecision("retry", retry_at=now + backoff(attempts, base=retry_base),
                        reason="timed out" if status is None else f"temporary error {status}")


def payload(*, title: str, body: str, url: str, tag: str) -> bytes:
    """The JSON the service worker shows (companion/web/static/app/sw.js, its ``push`` handler)."""
    data = json.dumps({"title": title, "body": body, "url": url, "tag": tag}, separators=(",", ":")).encode()
    if len(data) > MAX_PAYLOAD:
        raise ValueError("a push payload must stay under 3,000 bytes")
    return data
