"""Status callbacks: move an outbox row forward, never back; retry or surface delivery errors.
A voice page's call statuses (``calls.py``) move its row the same way; a call that failed is
surfaced and reported, never rung again, and one that rang unanswered or busy is only recorded: the
alert's next step comes on its timer.

What a final failure means for the patient (an opt-out the provider reports, an undelivered prompt
or reminder) is reported to the caller's :class:`~companion.messaging.events.DeliveryEvents`."""

from __future__ import annotations

import logging
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import col

from companion.clock import Clock
from companion.messaging.calls import find_call, is_call, should_apply_call_status
from companion.messaging.events import PROVIDER_OPT_OUT, DeliveryEvents
from companion.messaging.policy import Purpose, SendError, decide, should_apply_status
from companion.models import MessageStatus, OutboundMessage

log = logging.getLogger("companion.sms.status")

# Purposes whose final delivery failure is reported upward as undelivered.
REPORTED_UNDELIVERED = frozenset({Purpose.PROMPT, Purpose.REMINDER})


async def apply_status(
    session: AsyncSession, clock: Clock, events: DeliveryEvents, *, sid: str, status: str, error_code: int | None,
    message_id: int | None,
) -> OutboundMessage | None:
    message = (
        await session.execute(select(OutboundMessage).where(col(OutboundMessage.provider_sid) == sid).with_for_update())
    ).scalar_one_or_none()
    if message is None and message_id is not None:
        candidate = await session.get(OutboundMessage, message_id, with_for_update=True)
        if candidate is not None and not is_call(candidate) and candidate.provider_sid in (None, sid):
            message = candidate
            message.provider_sid = sid
    if message is None or is_call(message):
        log.info("status callback for an unknown message ignored (%s)", status)
        return None
    return await _move(session, clock, events, message, status, error_code)


async def apply_call_status(
    session: AsyncSession, clock: Clock, events: DeliveryEvents, *, sid: str, status: str, error_code: int | None,
    message_id: int | None,
) -> OutboundMessage | None:
    """A voice page's status callback (CallSid, CallStatus)."""
    message = await find_call(session, sid, message_id)
    if message is None:
        log.info("status callback for an unknown call ignored (%s)", status)
        return None
    return await _move(session, clock, events, message, status, error_code)


async def _move(
    session: AsyncSession, clock: Clock, events: DeliveryEvents, message: OutboundMessage, status: str,
    error_code: int | None,
) -> OutboundMessage:
    now = clock.now()
    current = message.status
    call = is_call(message)
    if not (should_apply_call_status(current, status) if call else should_apply_status(current, status)):
        return message
    # A compare-and-set: of several callbacks racing with the same news (Twilio retries, or sends
    # two at once), one moves the row and acts on it; the others find it moved (on SQLite too,
    # where the row lock above is not taken).
    moved = await session.execute(
        update(OutboundMessage)
        .where(col(OutboundMessage.id) == message.id, col(OutboundMessage.status) == current)
        .values(status=status, status_at=now, **({"error_code": error_code} if error_code is not None else {}))
        .execution_options(synchronize_session=False)
    )
    if not cast("CursorResult[Any]", moved).rowcount:
        log.info("status callback %s overtaken by another; nothing more to do", status)
        return message
    set_committed_value(message, "status", status)
    set_committed_value(message, "status_at", now)
    if error_code is not None:
        set_committed_value(message, "error_code", error_code)
    if call and status == MessageStatus.FAILED:
        message.needs_attention = True
        message.error_detail = f"the call failed ({error_code})" if error_code is not None else "the call failed"
        assert message.id is not None
        await events.call_failed(session, message.id)
    elif not call and status in {MessageStatus.UNDELIVERED, MessageStatus.FAILED}:
        await _delivery_failed(session, clock, events, message, error_code)
    return message


async def _delivery_failed(
    session: AsyncSession, clock: Clock, events: DeliveryEvents, message: OutboundMessage, error_code: int | None
) -> None:
    purpose = Purpose(message.purpose)
    decision = decide(purpose, SendError(http_status=None, code=error_code, detail="delivery failed"),
                      message.attempts, clock.now())
    if error_code is None:
        # A failure without a code: nothing says a resend would fare better.
        message.needs_attention = purpose in {Purpose.STAFF_PAGE, Purpose.SAFETY_REPLY}
        return
    if decision.action == "retry":
        retry = OutboundMessage(
            clinic_id=message.clinic_id, patient_id=message.patient_id, staff_id=message.staff_id,
            to_phone=message.to_phone, purpose=message.purpose, body=message.body, priority=message.priority,
            status=MessageStatus.PENDING, due_at=message.due_at, next_attempt_at=decision.retry_at,
            attempts=message.attempts, retry_of=message.id, dedupe_key=f"retry-of:{message.id}", created_at=clock.now(),
        )
        session.add(retry)
        message.error_detail = f"delivery failed ({error_code}); retry scheduled"
        return
    message.needs_attention = decision.needs_attention
    message.error_detail = decision.reason[:200]
    if message.patient_id is None:
        return
    if purpose in REPORTED_UNDELIVERED:
        await events.undelivered(session, message.patient_id, purpose)
    if decision.opt_out:
        await events.opted_out(session, [message.patient_id], PROVIDER_OPT_OUT)
