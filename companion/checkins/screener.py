"""Starting an instrument at once because an answer called for it (the C-SSRS screener after
PHQ-9 item 9, or after risk language), on the channel the patient is using; and resuming an SMS
prompt whose next question was not sent (to a patient who had opted out, or a questionnaire the
screener interrupted).

A prompt's ``current_question`` is only ever a question that was sent to the patient, so an SMS
answer is stored only against a question the patient was actually asked."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from companion.checkins.services import answers_of
from companion.clinical.instruments import get_instrument, next_question, sms_messages
from companion.clinical.protocol import Protocol
from companion.clock import Clock
from companion.messaging import outbox
from companion.messaging.policy import Purpose
from companion.models import CheckIn, Patient, Prompt, PromptChannel, PromptStatus, SmsConsent
from companion.safety.judge import judge_undelivered

SCREENER_EXPIRY = timedelta(hours=24)


def reachable_by_sms(patient: Patient) -> bool:
    return patient.sms_consent != SmsConsent.OPTED_OUT


async def start_now(
    session: AsyncSession, clock: Clock, patient: Patient, instrument_code: str, channel: str, reason: str,
    protocol: Protocol | None = None,
) -> tuple[Prompt, list[str]] | None:
    """Open a prompt for ``instrument_code`` now; returns it and, on SMS, the messages that ask its
    first question. None when one is already open (it is not asked twice).

    On SMS to a patient who opted out nothing is asked: the question is kept in the outbox as not
    deliverable (suppressed), the prompt waits with no current question for a START, and the
    undelivered prompt goes to the safety rules under ``protocol`` (a finding for the care team
    while the patient has an open serious alert)."""
    assert patient.id is not None
    now = clock.now()
    already = (
        await session.execute(
            select(col(Prompt.id)).where(col(Prompt.patient_id) == patient.id,
                                         col(Prompt.instrument) == instrument_code,
                                         col(Prompt.status) == PromptStatus.OPEN, col(Prompt.expires_at) > now).limit(1)
        )
    ).scalar_one_or_none()
    if already is not None:
        return None
    instrument = get_instrument(instrument_code)
    first = next_question(instrument, {}, "sms" if channel == "sms" else "app")
    sent = first is not None and channel == "sms" and reachable_by_sms(patient)
    prompt = Prompt(
        clinic_id=patient.clinic_id, patient_id=patient.id, instrument=instrument.code,
        instrument_version=instrument.version, slot=f"now:{reason}"[:48], status=PromptStatus.OPEN, due_at=now,
        expires_at=now + SCREENER_EXPIRY, released_at=now,
        channel=PromptChannel.SMS if channel == "sms" else PromptChannel.APP,
        current_question=first.key if (first is not None and sent) else None, created_at=now,
    )
    session.add(prompt)
    await session.flush()
    if first is None or channel != "sms":
        return prompt, []
    messages = list(sms_messages(instrument, first))
    if sent:
        return prompt, messages
    for index, body in enumerate(messages):
        await outbox.enqueue(session, clock, to_phone=patient.phone, purpose=Purpose.PROMPT, body=body,
                             clinic_id=patient.clinic_id, patient=patient,
                             dedupe_key=f"prompt:{prompt.id}:{index}")
    if protocol is not None:
        await judge_undelivered(session, clock, protocol, patient)
    return prompt, []


async def resume_sms(session: AsyncSession, clock: Clock, patient: Patient) -> list[str]:
    """The messages that ask the first unanswered question of the patient's open SMS prompt whose
    question was not sent (the screener first), now that it can be sent; that question becomes the
    current one. Nothing when there is none or the patient cannot be reached by SMS."""
    if patient.id is None or not reachable_by_sms(patient):
        return []
    rows = await session.execute(
        select(Prompt)
        .where(col(Prompt.patient_id) == patient.id, col(Prompt.status) == PromptStatus.OPEN,
               col(Prompt.channel) == PromptChannel.SMS, col(Prompt.expires_at) > clock.now(),
               col(Prompt.current_question).is_(None))
        .order_by(col(Prompt.released_at).desc(), col(Prompt.id).desc())
    )
    waiting = sorted(rows.scalars(), key=lambda p: p.instrument != "cssrs")
    for prompt in waiting:
        instrument = get_instrument(prompt.instrument)
        checkin_id = (
            await session.execute(select(col(CheckIn.id)).where(col(CheckIn.prompt_id) == prompt.id)
                                  .order_by(col(CheckIn.id)).limit(1))
        ).scalar_one_or_none()
        answers = await answers_of(session, checkin_id) if checkin_id is not None else {}
        following = next_question(instrument, answers, "sms")
        if following is None:
            continue
        prompt.current_question = following.key
        return list(sms_messages(instrument, following))
    return []
