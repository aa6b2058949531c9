"""SMS consent: opt-out stops routine messages at once; opt-in lets them flow again.

The one consent service: every opt-out and opt-in, whatever its source (a STOP or START keyword,
the provider reporting a number that opted out), is recorded here with its time and source."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from companion.audit import services as audit
from companion.clinical.plan import AftercarePlan
from companion.clock import Clock
from companion.messaging.policy import Purpose
from companion.models import MessageStatus, OutboundMessage, Patient, SmsConsent
from companion.safety.hooks import patient_opted_out
from companion.scheduling.services import replan_patient

ROUTINE = (Purpose.PROMPT.value, Purpose.REMINDER.value, Purpose.NOTICE.value)


async def opt_out(session: AsyncSession, clock: Clock, plan: AftercarePlan, patient: Patient, source: str) -> bool:
    """Record the opt-out with its time and source, cancel the patient's routine messages and tell
    whoever was paged for the patient's open serious alerts. Returns False when the patient was
    already opted out."""
    if patient.sms_consent == SmsConsent.OPTED_OUT:
        return False
    now = clock.now()
    patient.sms_consent = SmsConsent.OPTED_OUT
    patient.sms_consent_changed_at = now
    patient.sms_consent_source = source
    await session.execute(
        update(OutboundMessage)
        .where(
            col(OutboundMessage.patient_id) == patient.id,
            col(OutboundMessage.status) == MessageStatus.PENDING,
            col(OutboundMessage.purpose).in_(ROUTINE),
        )
        .values(status=MessageStatus.CANCELLED, status_at=now, error_detail="patient opted out of SMS")
    )
    await replan_patient(session, clock, patient, plan)
    audit.record(session, clock, actor=f"patient:{patient.id}", action="consent.opt_out",
                 subject=f"patient:{patient.id}", clinic_id=patient.clinic_id, detail={"source": source})
    await patient_opted_out(session, clock, patient)
    return True


async def opt_in(session: AsyncSession, clock: Clock, plan: AftercarePlan, patient: Patient, source: str) -> bool:
    if patient.sms_consent == SmsConsent.OPTED_IN:
        return False
    patient.sms_consent = SmsConsent.OPTED_IN
    patient.sms_consent_changed_at = clock.now()
    patient.sms_consent_source = source
    await replan_patient(session, clock, patient, plan)
    audit.record(session, clock, actor=f"patient:{patient.id}", action="consent.opt_in",
                 subject=f"patient:{patient.id}", clinic_id=patient.clinic_id, detail={"source": source})
    return True
