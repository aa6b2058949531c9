"""Starting an instrument at once because an answer called for it (the C-SSRS screener after
PHQ-9 item 9, or after risk language), on the channel the patient is using."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from companion.clinical.instruments import get_instrument, next_question, sms_messages
from companion.clock import Clock
from companion.models import Patient, Prompt, PromptChannel, PromptStatus

SCREENER_EXPIRY = timedelta(hours=24)


async def start_now(
    session: AsyncSession, clock: Clock, patient: Patient, instrument_code: str, channel: str, reason: str
) -> tuple[Prompt, list[str]] | None:
    """Open a prompt for ``instrument_code`` now; returns it and, on SMS, the messages that ask its
    first question. None when one is already open (it is not asked twice)."""
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
    prompt = Prompt(
        clinic_id=patient.clinic_id, patient_id=patient.id, instrument=instrument.code,
        instrument_version=instrument.version, slot=f"now:{reason}"[:48], status=PromptStatus.OPEN, due_at=now,
        expires_at=now + SCREENER_EXPIRY, released_at=now,
        channel=PromptChannel.SMS if channel == "sms" else PromptChannel.APP,
        current_question=first.key if (first and channel == "sms") else None, created_at=now,
    )
    session.add(prompt)
    await session.flush()
    messages = list(sms_messages(instrument, first)) if (first and channel == "sms") else []
    return prompt, messages
