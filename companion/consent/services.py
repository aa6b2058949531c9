"""SMS consent: opt-in (a new patient's YES to the welcome, or a return after STOP) lets routine
messages flow; opt-out stops them at once.

The one consent service: every opt-out and opt-in, whatever its source (a YES, START or STOP
keyword, the provider reporting a number that opted out, the demo's seeded patients), is recorded
here with its time and source (docs/sms.md, "Consent")."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from companion.audit import services as audit
from companion.clinical.plan import AftercarePlan
from companion.clock import Clock
from companion.messaging import outbox
from companion.messaging.policy import Purpose
from companion.models import Patient, SmsConsent
from companion.safety.hooks import patient_opted_out
from companion.scheduling.services import replan_patient


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
    assert patient.id is not None
    await outbox.cancel_routine(session, clock, patient.id, outbox.OPTED_OUT)
    await replan_patient(session, clock, patient, plan)
    audit.record(session, clock, actor=f"patient:{patient.id}", action="consent.opt_out",
                 subject=f"patient:{patient.id}", clinic_id=patient.clinic_id, detail={"source": source})
    await patient_opted_out(session, clock, patient)
    return True


async def opt_in(session: AsyncSession, clock: Clock, plan: AftercarePlan, patient: Patient, source: str) -> bool:
    """Record the opt-in with its time and source and plan the patient's check-ins: the first
    consent of a new patient (pending: YES or START to the welcome) or a return after an opt-out.
    Returns False when the patient was already opted in."""
    if patient.sms_consent == SmsConsent.OPTED_IN:
        return False
    patient.sms_consent = SmsConsent.OPTED_IN
    patient.sms_consent_changed_at = clock.now()
    patient.sms_consent_source = source
    assert patient.id is not None
    # A welcome still waiting (held by quiet hours) asks for what is now given.
    await outbox.cancel_routine(session, clock, patient.id, "patient opted in", frozenset({Purpose.WELCOME}))
    await replan_patient(session, clock, patient, plan)
    audit.record(session, clock, actor=f"patient:{patient.id}", action="consent.opt_in",
                 subject=f"patient:{patient.id}", clinic_id=patient.clinic_id, detail={"source": source})
    return True
