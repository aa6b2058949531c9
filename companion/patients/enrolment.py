"""The welcome: the text a new patient is sent at enrolment, asking them to reply YES before any
routine message (docs/sms.md, "Consent"). Recording the YES is the consent service's; this module
only asks, and lets staff ask once more.

An app-only patient is sent no welcome (nothing routine reaches them by SMS; they check in in the
app at once); moving them to SMS, or to SMS and the app, sends it then."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from companion.audit import services as audit
from companion.auth.principals import StaffPrincipal
from companion.clinical import texts
from companion.clinical.plan import AftercarePlan
from companion.clock import Clock
from companion.errors import Conflict
from companion.messaging import outbox
from companion.messaging.policy import Purpose
from companion.models import Clinic, OutboundMessage, Patient, PatientChannel, PatientStatus, SmsConsent
from companion.scheduling.services import timing_of

NOT_PENDING = "the patient has already answered the welcome"
ALREADY_RESENT = "the welcome has already been sent again once"
APP_ONLY = "the patient checks in in the app only: no welcome text is sent"
DISCHARGED = "the patient is discharged"


def welcome_text(clinic_name: str, plan: AftercarePlan) -> str:
    """The welcome in the words of docs/sms.md, with how often check-ins come under ``plan``."""
    default = plan.default
    return texts.welcome(clinic_name, daily_days=default.daily_mood_days, every_days=default.maintenance_every_days,
                         until_day=default.maintenance_until_days)


def wants_welcome(patient: Patient) -> bool:
    """A pending patient who may be texted and has not been sent the welcome yet."""
    return (
        patient.sms_consent == SmsConsent.PENDING
        and patient.channel != PatientChannel.APP
        and patient.status != PatientStatus.DISCHARGED
        and patient.sms_welcome_sent_at is None
    )


async def _send(session: AsyncSession, clock: Clock, plan: AftercarePlan, patient: Patient, attempt: int
                ) -> OutboundMessage:
    assert patient.id is not None
    clinic = await session.get(Clinic, patient.clinic_id)
    name = clinic.name if clinic is not None else "Your clinic"
    # Not an answer to anything the patient sent: held to the end of the patient's quiet hours.
    timing = timing_of(patient)
    due = timing.quiet.move_out(clock.now(), timing.tz)
    return await outbox.enqueue(
        session, clock, to_phone=patient.phone, purpose=Purpose.WELCOME, body=welcome_text(name, plan),
        clinic_id=patient.clinic_id, patient=patient, due_at=due,
        # The token version counts the patient's numbers: a new number is asked afresh.
        dedupe_key=f"welcome:{patient.id}:{patient.token_version}:{attempt}",
    )


def new_number(patient: Patient) -> None:
    """A pending patient's number changed (a wrong number at enrolment, most often): the welcome,
    and the one resend, are for the new number."""
    if patient.sms_consent == SmsConsent.PENDING:
        patient.sms_welcome_sent_at = None
        patient.sms_welcome_resent_at = None


async def send_welcome(session: AsyncSession, clock: Clock, plan: AftercarePlan, patient: Patient) -> bool:
    """Send the welcome if :func:`wants_welcome`; returns whether it was queued."""
    if not wants_welcome(patient):
        return False
    await _send(session, clock, plan, patient, 0)
    patient.sms_welcome_sent_at = clock.now()
    return True


def check_resend(patient: Patient) -> None:
    """409 unless the welcome may be sent again: once, to a pending patient who was sent it."""
    if patient.sms_consent != SmsConsent.PENDING:
        raise Conflict(NOT_PENDING, field="sms_consent")
    if patient.status == PatientStatus.DISCHARGED:
        raise Conflict(DISCHARGED, field="status")
    if patient.channel == PatientChannel.APP or patient.sms_welcome_sent_at is None:
        raise Conflict(APP_ONLY, field="channel")
    if patient.sms_welcome_resent_at is not None:
        raise Conflict(ALREADY_RESENT, field="sms_welcome_resent_at")


async def resend_welcome(
    session: AsyncSession, clock: Clock, plan: AftercarePlan, staff: StaffPrincipal, patient: Patient
) -> Patient:
    """Send the welcome once more (staff, from the dashboard); a second resend is a 409."""
    check_resend(patient)
    message = await _send(session, clock, plan, patient, 1)
    patient.sms_welcome_resent_at = clock.now()
    audit.record(session, clock, actor=staff.actor, action="consent.welcome_resend",
                 subject=f"patient:{patient.id}", clinic_id=staff.clinic_id, detail={"message_id": message.id})
    return patient
