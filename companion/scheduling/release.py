"""Releasing a due prompt to the patient: by SMS one question at a time, or in the app."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from companion.clinical.instruments import get_instrument, next_question, sms_messages
from companion.clock import Clock
from companion.messaging import outbox
from companion.messaging.outbox import Recipient
from companion.messaging.policy import Purpose
from companion.models import Patient, PatientChannel, PatientStatus, Prompt, PromptChannel, PromptStatus, SmsConsent

SPACING_SECONDS = 3


class Reachable(Protocol):
    """What releasing reads of a patient: a Patient, or a patient's row read for a batch."""

    @property
    def channel(self) -> str: ...
    @property
    def sms_consent(self) -> str: ...
    @property
    def status(self) -> str: ...


def reaches_by_sms(patient: Reachable) -> bool:
    return (
        patient.channel in {PatientChannel.SMS, PatientChannel.BOTH}
        and patient.sms_consent == SmsConsent.OPTED_IN
        and patient.status == PatientStatus.ACTIVE
    )


@dataclass(frozen=True)
class Opening:
    """How a prompt opens: its channel, the question asked first by SMS and that question's
    messages (the instrument's intro, then the question), or none in the app."""

    channel: str
    question: str | None
    bodies: tuple[str, ...]


@lru_cache(maxsize=64)
def opening(instrument_code: str, by_sms: bool) -> Opening:
    """By SMS one question at a time, starting with the first; in the app (a patient not reached
    by SMS, or an instrument with nothing to ask by SMS) it shows among today's check-ins."""
    if not by_sms:
        return Opening(PromptChannel.APP, None, ())
    instrument = get_instrument(instrument_code)
    first = next_question(instrument, {}, "sms")
    if first is None:
        return Opening(PromptChannel.APP, None, ())
    return Opening(PromptChannel.SMS, first.key, tuple(sms_messages(instrument, first)))


def opening_rows(
    now: datetime, prompt_id: int | None, patient: Recipient, phone: str, clinic_id: int, opened: Opening
) -> list[dict[str, Any]]:
    """The outbox rows of a prompt opened by SMS. An intro and its first question are two
    messages; the question is held back a few seconds so they arrive in order (one dispatch batch
    sends in parallel). Idempotent per prompt and question (the dedupe key)."""
    return [
        outbox.message_row(
            now=now, to_phone=phone, purpose=Purpose.PROMPT, body=body, clinic_id=clinic_id, patient=patient,
            dedupe_key=f"prompt:{prompt_id}:{opened.question}:{index}",
            due_at=now + timedelta(seconds=SPACING_SECONDS * index),
        )
        for index, body in enumerate(opened.bodies)
    ]


async def release_prompt(session: AsyncSession, clock: Clock, patient: Patient, prompt: Prompt) -> None:
    """Open one prompt (:func:`opening`) and write its messages; idempotent per prompt and question.
    (A batch of due prompts is released set-based: scheduling.due.release_due.)"""
    if prompt.status != PromptStatus.PLANNED:
        return
    now = clock.now()
    opened = opening(prompt.instrument, reaches_by_sms(patient))
    prompt.status = PromptStatus.OPEN
    prompt.released_at = now
    prompt.channel = opened.channel
    if opened.question is None:
        return
    prompt.current_question = opened.question
    await write_messages(session, opening_rows(now, prompt.id, patient, patient.phone, patient.clinic_id, opened))


async def write_messages(session: AsyncSession, messages: list[dict[str, Any]]) -> None:
    """Write the outbox rows of opened prompts (:func:`opening_rows`). A prompt is not urgent, so no
    wake-up is rung: the release job rings the dispatcher after its run."""
    await outbox.enqueue_rows(session, messages)
