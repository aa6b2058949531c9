"""What an inbound SMS means and what is said back: the one place that decides.

A stored message is routed to the staff-command entry point, the consent keywords, the
patient-message entry point (the risk scan, the open prompt, the screener), or a generic reply for
unknown numbers. Every reply leaves by one route: queued in the outbox here, in the handling
transaction. The transport below (``companion.messaging.inbound``) claims messages and calls
``Conversations`` for each; it knows nothing of what they mean.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from companion.checkins.screener import resume_sms
from companion.checkins.services import newest_open_prompt
from companion.clinical import texts
from companion.clinical.language import RiskLevel, assess
from companion.clinical.replies import Keyword, classify_keyword, is_conditional_opt_in
from companion.clock import Clock
from companion.consent import services as consent
from companion.conversations.patient_messages import handle_patient_message
from companion.conversations.routine import handle_routine
from companion.conversations.staff_commands import handle_staff_command, is_staff_command
from companion.messaging import outbox
from companion.messaging.policy import Purpose
from companion.models import (
    Clinic,
    InboundMessage,
    Patient,
    PatientChannel,
    PatientStatus,
    SenderKind,
    SmsConsent,
    StaffMember,
)
from companion.protocols import ProtocolSource
from companion.settings import Settings


def reads_as_risk(body: str) -> bool:
    """The transport's ordering hint: any concept of risk in the text puts it first in the queue."""
    return assess(body).level is not RiskLevel.none


class Conversations:
    """The handler the inbound transport calls for each stored message."""

    def __init__(self, clock: Clock, settings: Settings, protocols: ProtocolSource) -> None:
        self.clock = clock
        self.settings = settings
        self.protocols = protocols

    async def __call__(self, session: AsyncSession, inbound: InboundMessage) -> list[str]:
        return await route(session, self.clock, self.settings, self.protocols, inbound)

    async def routine(self, session: AsyncSession, messages: Sequence[InboundMessage]) -> list[InboundMessage]:
        """The transport's batch handler: the routine messages of a batch handled set-based
        (``conversations/routine.py``); the others are returned for :meth:`__call__`."""
        return await handle_routine(session, self.clock, self.protocols, messages)


@dataclass(frozen=True)
class Sender:
    staff: StaffMember | None
    patient: Patient | None


async def _find_sender(session: AsyncSession, phone: str, to_phone: str) -> Sender:
    """A number may be enrolled at more than one clinic: prefer the clinic whose number was texted.

    One statement for a patient's number (whether it is also an active staff member's rides along);
    a number no patient has costs a second, for the staff member."""
    staff_id = (
        select(col(StaffMember.id)).where(col(StaffMember.phone) == phone, col(StaffMember.active).is_(True))
        .order_by(col(StaffMember.id)).limit(1).scalar_subquery()
    )
    rows = (
        await session.execute(
            select(Patient, Clinic, staff_id)
            .join(Clinic, col(Clinic.id) == col(Patient.clinic_id))
            .where(col(Patient.phone) == phone)
            .order_by(col(Patient.created_at).desc())
        )
    ).all()
    patient = None
    if rows:
        # The clinic rides along too: its name is at hand for the replies that need it.
        patient = next((p for p, clinic, _ in rows if clinic.sms_sender and clinic.sms_sender == to_phone), None)
        if patient is None:
            active = [p for p, _, _ in rows if p.status != PatientStatus.DISCHARGED]
            patient = (active or [rows[0][0]])[0]
        found_staff = rows[0][2]
        staff = await session.get(StaffMember, found_staff) if found_staff is not None else None
    else:
        staff = (await session.execute(
            select(StaffMember).where(col(StaffMember.phone) == phone, col(StaffMember.active).is_(True))
            .order_by(col(StaffMember.id)).limit(1)
        )).scalar_one_or_none()
    return Sender(staff, patient)


async def _clinic_name(session: AsyncSession, clinic_id: int) -> str:
    clinic = await session.get(Clinic, clinic_id)
    return clinic.name if clinic is not None else "Your clinic"


async def _patient_keyword(
    session: AsyncSession, clock: Clock, protocols: ProtocolSource, patient: Patient, keyword: Keyword, body: str
) -> str | None:
    source = f"sms:{body.strip().upper()[:20]}"
    if keyword is Keyword.OPT_OUT:
        plan = (await protocols.for_clinic(session, patient.clinic_id)).aftercare
        await consent.opt_out(session, clock, plan, patient, source)
        return None  # the provider confirms the opt-out itself
    if keyword is Keyword.OPT_IN:
        plan = (await protocols.for_clinic(session, patient.clinic_id)).aftercare
        first = patient.sms_consent == SmsConsent.PENDING
        await consent.opt_in(session, clock, plan, patient, source)
        name = await _clinic_name(session, patient.clinic_id)
        return texts.consented_reply(name) if first else texts.opted_in_reply(name)
    return texts.help_reply(await _clinic_name(session, patient.clinic_id))


async def _yes_is_an_answer(session: AsyncSession, clock: Clock, patient: Patient) -> bool:
    """YES opts in a patient who is not opted in (pending, or opted out), unless it answers a
    question just asked by SMS: a pending patient's screener after a crisis message asks yes/no
    questions, and those answers must reach the screener."""
    if patient.sms_consent == SmsConsent.OPTED_IN:
        return True
    assert patient.id is not None
    prompt = await newest_open_prompt(session, clock, patient.id, "sms")
    return prompt is not None and prompt.current_question is not None


async def route(
    session: AsyncSession, clock: Clock, settings: Settings, protocols: ProtocolSource, inbound: InboundMessage
) -> list[str]:
    """Handle one stored message; returns the replies (already queued in the outbox). The sender's
    clinic's protocol is read from ``protocols`` only for what it governs (staff commands, patient
    messages, and the aftercare plan a STOP or START re-plans by): HELP and unknown senders are
    answered without it."""
    body = inbound.body
    sender = await _find_sender(session, inbound.from_phone, inbound.to_phone)
    staff, patient = sender.staff, sender.patient
    replies: list[str]
    if staff is not None and (patient is None or is_staff_command(body)):
        inbound.sender_kind, inbound.staff_id, inbound.clinic_id = SenderKind.STAFF, staff.id, staff.clinic_id
        protocol = await protocols.for_clinic(session, staff.clinic_id)
        replies = [await handle_staff_command(session, clock, protocol, staff, body)]
    elif patient is not None:
        inbound.sender_kind, inbound.patient_id, inbound.clinic_id = SenderKind.PATIENT, patient.id, patient.clinic_id
        keyword = classify_keyword(body)
        yes = keyword is Keyword.OPT_IN and is_conditional_opt_in(body)
        if yes and await _yes_is_an_answer(session, clock, patient):
            keyword = None
        if keyword is not None:
            inbound.keyword = keyword.value
            reply = await _patient_keyword(session, clock, protocols, patient, keyword, body)
            replies = [reply] if reply else []
            if keyword is Keyword.OPT_IN:
                # An open screener (or questionnaire) waiting since the opt-out resumes where it was.
                replies += await resume_sms(session, clock, patient)
        else:
            replies = await handle_patient_message(
                session, clock, settings, await protocols.for_clinic(session, patient.clinic_id), patient, inbound)
            if patient.sms_consent == SmsConsent.OPTED_OUT:
                replies = []  # kept for the care team, but nothing goes to an opted-out patient
            elif (patient.sms_consent == SmsConsent.PENDING and patient.channel != PatientChannel.APP
                  and replies == [texts.PATIENT_MESSAGE_SAVED]):
                # Judged for risk like any message; an ordinary one is also told how to start.
                replies.append(texts.consent_hint(await _clinic_name(session, patient.clinic_id)))
    else:
        inbound.sender_kind, inbound.needs_review = SenderKind.UNKNOWN, True
        replies = [texts.UNKNOWN_SENDER]
    inbound.reply_body = "\n".join(replies) or None
    await outbox.enqueue_many(session, clock, [
        {"to_phone": inbound.from_phone, "purpose": Purpose.REPLY, "body": reply, "clinic_id": inbound.clinic_id,
         "patient": patient if inbound.sender_kind == SenderKind.PATIENT else None, "staff_id": inbound.staff_id,
         "dedupe_key": f"reply:{inbound.id}:{index}"}
        for index, reply in enumerate(replies)
    ])
    return replies
