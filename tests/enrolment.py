"""Enrolling a patient who consents, for tests that need their check-ins to flow.

A patient enrolled through the API is pending until they reply YES to the welcome (docs/sms.md,
"Consent"). Tests on the SMS path text YES through the signed webhook (``Sms.say``); others record
the YES as the router does, through the one consent service, with the source a YES leaves."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from companion.clinical.plan import DEFAULT_PLAN, AftercarePlan
from companion.clock import Clock
from companion.consent import services as consent
from companion.models import Patient


async def answers_yes(
    session: AsyncSession, clock: Clock, patient_id: int, plan: AftercarePlan = DEFAULT_PLAN
) -> Patient:
    """The patient replies YES to the welcome: consent recorded (``sms:YES``) and check-ins planned;
    committed."""
    patient = await session.get(Patient, patient_id, populate_existing=True)
    assert patient is not None
    assert await consent.opt_in(session, clock, plan, patient, "sms:YES"), "the patient had already opted in"
    await session.commit()
    return patient
