"""Inbound SMS, in two halves.

Receiving (the webhook, through intake.py): store the message once per MessageSid and answer
Twilio once it is committed. The text is scanned for risk language on the way in, so a message
that reads as risk is handled before anything else waiting (and by the API that stored it).

Handling (a worker, woken after commit): route the stored message to the staff-command entry
point, the consent keywords, the patient-message entry point, or a generic reply for unknown
numbers; queue the replies in the outbox. Messages from one number are handled one at a time and
in order, whichever worker takes them.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import TextClause, select, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from companion.checkins.conversation import handle_patient_message
from companion.clock import Clock
from companion.messaging import consent, outbox, texts
from companion.messaging.policy import INBOUND_NORMAL, INBOUND_URGENT, Purpose
from companion.messaging.replies import Keyword, classify_keyword, is_conditional_opt_in
from companion.messaging.wakeup import INBOUND_CHANNEL
from companion.models import Clinic, InboundMessage, Patient, StaffMember
from companion.safety.language import RiskLevel, assess
from companion.settings import Settings
from companion.staff.commands import handle_staff_command, is_staff_command
from companion.validation import normalise_phone

log = logging.getLogger("companion.sms.inbound")

MAX_BODY = 1600

T = InboundMessage.__table__  # type: ignore[attr-defined]


@lru_cache(maxsize=16_384)
def _phone(value: str) -> str:
    """E.164 when the number parses; otherwise the text as sent (kept for a person to read).
    Cached: the same few numbers text again and again, and parsing is the slow part of storing."""
    try:
        return normalise_phone(value)
    except ValueError:
        return value.strip()[:32]


def row(clock: Clock, params: Mapping[str, str]) -> dict[str, Any]:
    """The row a webhook stores: its text is scanned for risk language here, so a message that reads
    as risk is handled before anything else waiting."""
    body = params.get("Body", "")[:MAX_BODY].replace("\x00", "\ufffd")
    # Only an ordering hint: any concept of risk goes first. What the message means is judged when
    # it is handled, by the clinic's protocol, whatever its priority.
    risky = assess(body).level is not RiskLevel.none
    return {
        "message_sid": params["MessageSid"][:64],
        "from_phone": _phone(params.get("From", "")),
        "to_phone": _phone(params.get("To", "")),
        "body": body,
        "received_at": clock.now(),
        "sender_kind": "unknown",
        "needs_review": False,
        "status": "received",
        "priority": INBOUND_URGENT if risky else INBOUND_NORMAL,
        "attempts": 0,
    }


async def store_rows(conn: AsyncConnection, rows: Sequence[Mapping[str, Any]], *, notify: bool) -> set[str]:
    """Store the rows in one transaction, skipping any MessageSid stored already (the same message
    delivered twice, even at once, is stored once). Returns the MessageSids stored now.

    ``notify`` wakes the inbound workers of every process (PostgreSQL NOTIFY, delivered on commit).
    On PostgreSQL this is one statement (on an autocommit connection, one round trip)."""
    if not rows:
        return set()
    if conn.dialect.name == "postgresql":
        columns = tuple(rows[0])
        result = await conn.execute(_pg_store(columns, notify), {c: [row[c] for row in rows] for c in columns})
        stored = set(result.scalars())
        await conn.commit()
        return stored
    statement = sqlite_insert(T).on_conflict_do_nothing(index_elements=["message_sid"]).returning(T.c.message_sid)
    async with conn.begin():
        return set((await conn.execute(statement, list(rows))).scalars())


@lru_cache(maxsize=4)
def _pg_store(columns: tuple[str, ...], notify: bool) -> TextClause:
    """INSERT ... SELECT FROM unnest(one array per column): one prepared statement for any batch."""
    dialect = postgresql.dialect()
    arrays = ", ".join(f"CAST(:{c} AS {T.c[c].type.compile(dialect=dialect)}[])" for c in columns)
    ring = f", pg_notify('{INBOUND_CHANNEL}', '')" if notify else ""
    return text(
        f"WITH stored AS (INSERT INTO {T.name} ({', '.join(columns)}) SELECT * FROM unnest({arrays}) "
        f"ON CONFLICT (message_sid) DO NOTHING RETURNING message_sid) SELECT message_sid{ring} FROM stored"
    )


@dataclass(frozen=True)
class Sender:
    staff: StaffMember | None
    patient: Patient | None


async def _find_sender(session: AsyncSession, phone: str, to_phone: str) -> Sender:
    """A number may be enrolled at more than one clinic: prefer the clinic whose number was texted."""
    staff = (
        await session.execute(
            select(StaffMember).where(StaffMember.phone == phone, StaffMember.active.is_(True)).limit(1)  # type: ignore[attr-defined]
        )
    ).scalar_one_or_none()
    rows = (
        await session.execute(
            select(Patient, Clinic.sms_sender)
            .join(Clinic, Clinic.id == Patient.clinic_id)
            .where(Patient.phone == phone)
            .order_by(Patient.created_at.desc())  # type: ignore[attr-defined]
        )
    ).all()
    patient = None
    if rows:
        patient = next((p for p, sender in rows if sender and sender == to_phone), None)
        if patient is None:
            active = [p for p, _ in rows if p.status != "discharged"]
            patient = (active or [rows[0][0]])[0]
    return Sender(staff, patient)


async def _clinic_name(session: AsyncSession, clinic_id: int) -> str:
    clinic = await session.get(Clinic, clinic_id)
    return clinic.name if clinic is not None else "Your clinic"


async def _patient_keyword(
    session: AsyncSession, clock: Clock, patient: Patient, keyword: Keyword, body: str
) -> str | None:
    source = f"sms:{body.strip().upper()[:20]}"
    if keyword is Keyword.OPT_OUT:
        await consent.opt_out(session, clock, patient, source)
        from companion.safety.hooks import patient_opted_out

        await patient_opted_out(session, clock, patient)
        return None  # the provider confirms the opt-out itself
    if keyword is Keyword.OPT_IN:
        await consent.opt_in(session, clock, patient, source)
        return texts.opted_in_reply(await _clinic_name(session, patient.clinic_id))
    return texts.help_reply(await _clinic_name(session, patient.clinic_id))


async def route(session: AsyncSession, clock: Clock, settings: Settings, inbound: InboundMessage) -> list[str]:
    """Handle one stored message; returns the replies (already queued in the outbox)."""
    body = inbound.body
    sender = await _find_sender(session, inbound.from_phone, inbound.to_phone)
    staff, patient = sender.staff, sender.patient
    replies: list[str]
    if staff is not None and (patient is None or is_staff_command(body)):
        inbound.sender_kind, inbound.staff_id, inbound.clinic_id = "staff", staff.id, staff.clinic_id
        replies = [await handle_staff_command(session, clock, staff, body)]
    elif patient is not None:
        inbound.sender_kind, inbound.patient_id, inbound.clinic_id = "patient", patient.id, patient.clinic_id
        keyword = classify_keyword(body)
        if keyword is Keyword.OPT_IN and is_conditional_opt_in(body) and patient.sms_consent != "opted_out":
            keyword = None  # YES is an opt-in only for an opted-out patient; otherwise it is an answer
        if keyword is not None:
            inbound.keyword = keyword.value
            reply = await _patient_keyword(session, clock, patient, keyword, body)
            replies = [reply] if reply else []
        else:
            replies = await handle_patient_message(session, clock, settings, patient, inbound)
            if patient.sms_consent == "opted_out":
                replies = []  # kept for the care team, but nothing goes to an opted-out patient
    else:
        inbound.sender_kind, inbound.needs_review = "unknown", True
        replies = [texts.UNKNOWN_SENDER]
    inbound.reply_body = "\n".join(replies) or None
    for index, reply in enumerate(replies):
        await outbox.enqueue(
            session, clock, to_phone=inbound.from_phone, purpose=Purpose.REPLY, body=reply,
            clinic_id=inbound.clinic_id, patient=patient if inbound.sender_kind == "patient" else None,
            staff_id=inbound.staff_id, dedupe_key=f"reply:{inbound.id}:{index}",
        )
    return replies


async def _lock_number(session: AsyncSession, phone: str) -> None:
    """One number's messages are handled one at a time across workers (PostgreSQL)."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:phone))"), {"phone": phone})


async def handle_next(
    session: AsyncSession, clock: Clock, settings: Settings, claimed: list[int] | None = None,
    *, urgent_only: bool = False,
) -> InboundMessage | None:
    """Handle the next stored message (risk first, then oldest first), in the caller's transaction.

    Returns the message handled, or None when nothing waits; ``claimed`` receives its id before
    handling starts, so a caller can set aside a message whose handling keeps failing.
    ``urgent_only`` looks only at messages that read as risk (handling one may first handle an
    earlier message from the same number, to keep that number's messages in order)."""
    waiting = [InboundMessage.status == "received"]
    if urgent_only:
        waiting.append(InboundMessage.priority == INBOUND_URGENT)
    candidate = (
        await session.execute(
            select(InboundMessage.id, InboundMessage.from_phone)
            .where(*waiting)
            .order_by(InboundMessage.priority, InboundMessage.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
    ).first()
    if candidate is None:
        return None
    await _lock_number(session, candidate.from_phone)
    # The earliest waiting message of that number goes first, so its replies stay in order.
    inbound = (
        await session.execute(
            select(InboundMessage)
            .where(InboundMessage.from_phone == candidate.from_phone, InboundMessage.status == "received")
            .order_by(InboundMessage.id)
            .limit(1)
            .with_for_update()
        )
    ).scalar_one_or_none()
    if inbound is None:
        return None
    if claimed is not None:
        claimed.append(inbound.id or 0)
    # The row (locked above) is written once, when handled: apart from the session meanwhile, the
    # changes routing makes to it are not flushed before every query the handlers run.
    session.expunge(inbound)
    await route(session, clock, settings, inbound)
    # Counted here, with the outcome: a failed attempt rolls back and give_up_or_retry counts it.
    inbound.attempts += 1
    inbound.status = "handled"
    inbound.processed_at = clock.now()
    session.add(inbound)
    log.info("inbound message %s from a %s handled", inbound.id, inbound.sender_kind)
    return inbound


async def give_up_or_retry(session: AsyncSession, clock: Clock, message_id: int, max_attempts: int = 3) -> None:
    """A message whose handling failed is tried again, and after ``max_attempts`` set aside for a
    person to read (never dropped)."""
    inbound = await session.get(InboundMessage, message_id, with_for_update=True)
    if inbound is None or inbound.status != "received":
        return
    inbound.attempts += 1
    if inbound.attempts >= max_attempts:
        inbound.status, inbound.needs_review, inbound.processed_at = "failed", True, clock.now()
