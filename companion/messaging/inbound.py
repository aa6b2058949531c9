"""Inbound SMS: store once per MessageSid, then route to the staff-command entry point, the
consent keywords, the patient-message entry point, or a generic reply for unknown numbers."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from companion.checkins.conversation import handle_patient_message
from companion.clock import Clock
from companion.messaging import consent, texts
from companion.messaging.outbox import record_twiml_reply
from companion.messaging.policy import Purpose
from companion.messaging.replies import Keyword, classify_keyword, is_conditional_opt_in
from companion.models import Clinic, InboundMessage, Patient, StaffMember
from companion.settings import Settings
from companion.staff.commands import handle_staff_command, is_staff_command
from companion.validation import normalise_phone

log = logging.getLogger("companion.sms.inbound")

MAX_BODY = 1600


@dataclass(frozen=True)
class InboundResult:
    duplicate: bool
    replies: list[str]


def _phone(value: str) -> str:
    try:
        return normalise_phone(value)
    except ValueError:
        return value.strip()[:32]


async def _store_once(session: AsyncSession, clock: Clock, params: Mapping[str, str]) -> InboundMessage | None:
    """Insert the message unless its MessageSid is stored already (the same message delivered twice,
    even at once, is stored once)."""
    values = {
        "message_sid": params["MessageSid"][:64],
        "from_phone": _phone(params.get("From", "")),
        "to_phone": _phone(params.get("To", "")),
        "body": params.get("Body", "")[:MAX_BODY],
        "received_at": clock.now(),
        "sender_kind": "unknown",
        "needs_review": False,
    }
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = (
        insert(InboundMessage)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["message_sid"])
        .returning(InboundMessage.id)
    )
    inserted = (await session.execute(statement)).scalar_one_or_none()
    if inserted is None:
        return None
    return await session.get(InboundMessage, inserted)


async def _find_staff(session: AsyncSession, phone: str) -> StaffMember | None:
    rows = await session.execute(
        select(StaffMember).where(StaffMember.phone == phone, StaffMember.active.is_(True)).limit(1)  # type: ignore[attr-defined]
    )
    return rows.scalar_one_or_none()


async def _find_patient(session: AsyncSession, phone: str, to_phone: str) -> Patient | None:
    """A number may be enrolled at more than one clinic: prefer the clinic whose number was texted."""
    rows = await session.execute(
        select(Patient, Clinic.sms_sender)
        .join(Clinic, Clinic.id == Patient.clinic_id)
        .where(Patient.phone == phone)
        .order_by(Patient.created_at.desc())  # type: ignore[attr-defined]
    )
    candidates = rows.all()
    if not candidates:
        return None
    for patient, sender in candidates:
        if sender and sender == to_phone:
            return patient
    active = [p for p, _ in candidates if p.status != "discharged"]
    return (active or [candidates[0][0]])[0]


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


async def receive(
    session: AsyncSession, clock: Clock, settings: Settings, params: Mapping[str, str]
) -> InboundResult:
    inbound = await _store_once(session, clock, params)
    if inbound is None:
        log.info("duplicate inbound message ignored")
        return InboundResult(duplicate=True, replies=[])
    body = inbound.body
    replies: list[str]
    purpose = Purpose.NOTICE
    staff = await _find_staff(session, inbound.from_phone)
    patient = None
    if staff is not None and (is_staff_command(body) or await _find_patient(session, inbound.from_phone,
                                                                          inbound.to_phone) is None):
        inbound.sender_kind, inbound.staff_id, inbound.clinic_id = "staff", staff.id, staff.clinic_id
        replies = [await handle_staff_command(session, clock, staff, body)]
    elif (patient := await _find_patient(session, inbound.from_phone, inbound.to_phone)) is not None:
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
                replies = []  # stored for the care team, but no message goes to an opted-out patient
    else:
        inbound.sender_kind, inbound.needs_review = "unknown", True
        replies = [texts.UNKNOWN_SENDER]
    inbound.reply_body = "\n".join(replies) or None
    for reply in replies:
        record_twiml_reply(
            session, clock, to_phone=inbound.from_phone, body=reply, purpose=purpose, clinic_id=inbound.clinic_id,
            patient_id=inbound.patient_id, staff_id=inbound.staff_id,
        )
    log.info("inbound message %s from a %s handled", inbound.id, inbound.sender_kind)
    return InboundResult(duplicate=False, replies=replies)
