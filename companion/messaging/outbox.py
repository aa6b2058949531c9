"""Writing outgoing messages: a row in the same transaction as its cause. A voice page is a row too
(``channel = "voice"``, its body what the call says; docs/sms.md, "Voice pages")."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from companion.clock import Clock
from companion.messaging.policy import PRIORITY, URGENT, Purpose, clip_body
from companion.messaging.wakeup import notify_after_commit
from companion.models import MessageChannel, MessageStatus, MessageVia, OutboundMessage, Patient, SmsConsent
from companion.models.base import table_of


def message_row(
    *,
    now: datetime,
    to_phone: str,
    purpose: Purpose,
    body: str,
    clinic_id: int | None,
    patient: Patient | None = None,
    staff_id: int | None = None,
    due_at: datetime | None = None,
    dedupe_key: str | None = None,
    channel: MessageChannel = MessageChannel.SMS,
) -> dict[str, Any]:
    """The outbox row for one message. A message to a patient who opted out of SMS is stored as
    ``suppressed`` and never sent."""
    suppressed = patient is not None and patient.sms_consent == SmsConsent.OPTED_OUT
    return {
        "clinic_id": clinic_id,
        "patient_id": patient.id if patient is not None else None,
        "staff_id": staff_id,
        "to_phone": to_phone,
        "purpose": purpose.value,
        "body": clip_body(body),
        "priority": PRIORITY[purpose],
        "status": MessageStatus.SUPPRESSED if suppressed else MessageStatus.PENDING,
        "due_at": due_at or now,
        "dedupe_key": dedupe_key,
        "channel": channel.value,
        "created_at": now,
    }


async def enqueue(
    session: AsyncSession,
    clock: Clock,
    *,
    to_phone: str,
    purpose: Purpose,
    body: str,
    clinic_id: int | None,
    patient: Patient | None = None,
    staff_id: int | None = None,
    due_at: datetime | None = None,
    dedupe_key: str | None = None,
    channel: MessageChannel = MessageChannel.SMS,
) -> OutboundMessage:
    """Add a message (or a voice call) to the outbox. Urgent purposes wake the dispatcher after commit."""
    now = clock.now()
    message = OutboundMessage(**message_row(
        now=now, to_phone=to_phone, purpose=purpose, body=body, clinic_id=clinic_id, patient=patient,
        staff_id=staff_id, due_at=due_at, dedupe_key=dedupe_key, channel=channel,
    ))
    session.add(message)
    await session.flush()
    if message.status == MessageStatus.PENDING and purpose in URGENT and message.due_at <= now:
        await notify_after_commit(session)
    return message


async def enqueue_rows(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Write many rows made by :func:`message_row` in one statement (for routine batches; rings no
    dispatcher: the caller's job does). A repeated dedupe key fails the transaction, as in enqueue."""
    if rows:
        await session.execute(insert(table_of(OutboundMessage)), rows)


def record_twiml_reply(
    session: AsyncSession, clock: Clock, *, to_phone: str, body: str, purpose: Purpose, clinic_id: int | None,
    patient_id: int | None = None, staff_id: int | None = None,
) -> OutboundMessage:
    """A reply sent in the webhook's TwiML answer is still an outbox row, already handed over."""
    now = clock.now()
    message = OutboundMessage(
        clinic_id=clinic_id, patient_id=patient_id, staff_id=staff_id, to_phone=to_phone, purpose=purpose.value,
        body=clip_body(body), priority=PRIORITY[purpose], status=MessageStatus.SENT, due_at=now, sent_at=now,
        status_at=now, via=MessageVia.TWIML, created_at=now,
    )
    session.add(message)
    return message
