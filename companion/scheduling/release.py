"""Releasing a due prompt to the patient: by SMS one question at a time, or in the app."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from companion.clinical.instruments import get_instrument, next_question, sms_messages
from companion.clock import Clock
from companion.messaging import outbox
from companion.messaging.policy import Purpose
from companion.models import Patient, PatientChannel, PatientStatus, Prompt, PromptChannel, PromptStatus, SmsConsent

SPACING_SECONDS = 3


def reaches_by_sms(patient: Patient) -> bool:
    return (
        patient.channel in {PatientChannel.SMS, PatientChannel.BOTH}
        and patient.sms_consent == SmsConsent.OPTED_IN
        and patient.status == PatientStatus.ACTIVE
    )


async def release_prompt(
    session: AsyncSession, clock: Clock, patient: Patient, prompt: Prompt, *,
    messages: list[dict[str, Any]] | None = None,
) -> None:
    """Open the prompt. By SMS the first question goes out (with the instrument's intro); in the
    app it shows among today's check-ins. Writing the messages is idempotent per prompt and question.

    The messages are written to the outbox at once or, given ``messages``, added to that list for
    the caller to write with :func:`write_messages` in the same transaction (one statement for a
    whole batch of prompts)."""
    if prompt.status != PromptStatus.PLANNED:
        return
    now = clock.now()
    prompt.status = PromptStatus.OPEN
    prompt.released_at = now
    if not reaches_by_sms(patient):
        prompt.channel = PromptChannel.APP
        return
    instrument = get_instrument(prompt.instrument)
    first = next_question(instrument, {}, "sms")
    if first is None:
        prompt.channel = PromptChannel.APP
        return
    prompt.channel = PromptChannel.SMS
    prompt.current_question = first.key
    rows = [] if messages is None else messages
    # An intro and its first question are two messages; the question is held back a few seconds so
    # they arrive in order (one dispatch batch sends in parallel).
    for index, body in enumerate(sms_messages(instrument, first)):
        rows.append(outbox.message_row(
            now=now, to_phone=patient.phone, purpose=Purpose.PROMPT, body=body, clinic_id=patient.clinic_id,
            patient=patient, dedupe_key=f"prompt:{prompt.id}:{first.key}:{index}",
            due_at=now + timedelta(seconds=SPACING_SECONDS * index),
        ))
    if messages is None:
        await write_messages(session, rows)


async def write_messages(session: AsyncSession, messages: list[dict[str, Any]]) -> None:
    """Write the outbox rows collected by :func:`release_prompt`. A prompt is not urgent, so no
    wake-up is rung: the release job rings the dispatcher after its run."""
    await outbox.enqueue_rows(session, messages)
