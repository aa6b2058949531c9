"""Writing outgoing messages: a row in the same transaction as its cause. A voice page is a row too
(``channel = "voice"``, its body what the call says; docs/sms.md, "Voice pages")."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlmodel import col

from companion.clock import Clock
from companion.db_unnest import arrays, unnest_insert
from companion.messaging.policy import PRIORITY, ROUTINE, URGENT, Purpose, clip_body
from companion.messaging.wakeup import CHANNEL, RUNG_KEY, notify_after_commit, ring_after_commit
from companion.models import (
    MessageChannel,
    MessageStatus,
    MessageVia,
    OutboundMessage,
    Patient,
    PatientStatus,
    SmsConsent,
)
from companion.models.base import table_of

OPTED_OUT = "patient opted out of SMS"
NOT_CONSENTED = "patient has not replied YES to the welcome"
NOT_ROUTINE = "patient not opted in, paused or discharged"


class Recipient(Protocol):
    """What the outbox reads of a patient: a Patient, or a patient's row read for a batch."""

    @property
    def id(self) -> int | None: ...
    @property
    def sms_consent(self) -> str: ...
    @property
    def status(self) -> str: ...


def withheld(patient: Recipient | None, purpose: Purpose) -> str | None:
    """Why a message to ``patient`` is not to be sent, or None when it may go (docs/sms.md, "Consent").

    An opted-out patient is sent nothing. A routine message (a prompt, a reminder, a notice) goes
    only to an active patient who opted in: not to one still pending (who has not replied YES to
    the welcome), nor to one paused or discharged. Safety replies, replies to the patient's own
    messages, sign-in codes, a clinician's message and the welcome itself are not routine."""
    if patient is None:
        return None
    if patient.sms_consent == SmsConsent.OPTED_OUT:
        return OPTED_OUT
    if purpose in ROUTINE:
        if patient.sms_consent != SmsConsent.OPTED_IN:
            return NOT_CONSENTED
        if patient.status != PatientStatus.ACTIVE:
            return f"patient is {patient.status}"
    return None


def message_row(
    *,
    now: datetime,
    to_phone: str,
    purpose: Purpose,
    body: str,
    clinic_id: int | None,
    patient: Recipient | None = None,
    staff_id: int | None = None,
    due_at: datetime | None = None,
    dedupe_key: str | None = None,
    channel: MessageChannel = MessageChannel.SMS,
) -> dict[str, Any]:
    """The outbox row for one message. A message :func:`withheld` from the patient is stored as
    ``suppressed``, with the reason, and never sent."""
    reason = withheld(patient, purpose)
    return {
        "clinic_id": clinic_id,
        "patient_id": patient.id if patient is not None else None,
        "staff_id": staff_id,
        "to_phone": to_phone,
        "purpose": purpose.value,
        "body": clip_body(body),
        "priority": PRIORITY[purpose],
        "status": MessageStatus.SUPPRESSED if reason else MessageStatus.PENDING,
        "error_detail": reason,
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


async def enqueue_many(session: AsyncSession, clock: Clock, messages: Sequence[Mapping[str, Any]]) -> None:
    """Add several messages to the outbox in one statement: each mapping holds the arguments of
    :func:`enqueue` but ``session`` and ``clock``. Urgent ones wake the dispatcher after commit; on
    PostgreSQL the NOTIFY rides in the same statement (one round trip for a handled batch's
    replies, however many), which is made once for any number of rows (``db_unnest``)."""
    if not messages:
        return
    now = clock.now()
    rows = [message_row(now=now, **message) for message in messages]
    wake = any(
        row["status"] == MessageStatus.PENDING and Purpose(row["purpose"]) in URGENT and row["due_at"] <= now
        for row in rows
    )
    table = table_of(OutboundMessage)
    if session.get_bind().dialect.name != "postgresql":
        await session.execute(insert(table), rows)
        if wake:
            await notify_after_commit(session)
        return
    ring = wake and not session.info.get(RUNG_KEY)
    columns, params = arrays(table, rows)
    await session.execute(unnest_insert(table, columns, notify=CHANNEL if ring else ""), params)
    if ring:
        ring_after_commit(session)


async def enqueue_rows(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Write many rows made by :func:`message_row` in one statement (for routine batches; rings no
    dispatcher: the caller's job does). A repeated dedupe key fails the transaction, as in enqueue."""
    if rows:
        await session.execute(insert(table_of(OutboundMessage)), rows)


async def cancel_routine(
    session: AsyncSession, clock: Clock, patient_id: int, reason: str, purposes: frozenset[Purpose] = ROUTINE
) -> None:
    """Cancel the messages of ``purposes`` still waiting for the patient (routine ones: an opt-out,
    a pause, a discharge; the welcome: the patient opted in before it went)."""
    now = clock.now()
    await session.execute(
        update(OutboundMessage)
        .where(
            col(OutboundMessage.patient_id) == patient_id,
            col(OutboundMessage.status) == MessageStatus.PENDING,
            col(OutboundMessage.purpose).in_([p.value for p in purposes]),
        )
        .values(status=MessageStatus.CANCELLED, status_at=now, error_detail=reason)
    )


async def withhold_claimed(conn: AsyncConnection, ids: list[int], now: datetime) -> None:
    """Before the dispatcher sends the rows ``ids``, suppress those :func:`withheld` from their
    patient now (the patient's consent or status changed after the row was queued): anything to an
    opted-out patient, a routine message to a patient not opted in or not active."""
    T, P = table_of(OutboundMessage), table_of(Patient)
    opted_out = select(P.c.id).where(P.c.sms_consent == SmsConsent.OPTED_OUT)
    await conn.execute(
        update(T)
        .where(T.c.id.in_(ids), T.c.patient_id.in_(opted_out))
        .values(status=MessageStatus.SUPPRESSED, status_at=now, error_detail=OPTED_OUT)
    )
    not_routine = select(P.c.id).where(or_(P.c.sms_consent != SmsConsent.OPTED_IN, P.c.status != PatientStatus.ACTIVE))
    await conn.execute(
        update(T)
        .where(T.c.id.in_(ids), T.c.status == MessageStatus.PENDING, T.c.purpose.in_([p.value for p in ROUTINE]),
               T.c.patient_id.in_(not_routine))
        .values(status=MessageStatus.SUPPRESSED, status_at=now, error_detail=NOT_ROUTINE)
    )


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
