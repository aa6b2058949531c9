"""Shared helpers for the check-in tests."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from companion.clinical.instruments import get_instrument
from companion.clock import FrozenClock
from companion.models import Patient, Prompt
from companion.scheduling.release import release_prompt


async def make_prompt(
    session: AsyncSession, clock: FrozenClock, patient_id: int, instrument: str, *, release: bool = True,
    slot: str | None = None, expires_in: timedelta = timedelta(hours=48),
) -> Prompt:
    patient = await session.get(Patient, patient_id)
    assert patient is not None
    prompt = Prompt(
        clinic_id=patient.clinic_id, patient_id=patient_id, instrument=instrument,
        instrument_version=get_instrument(instrument).version, slot=slot or f"test:{instrument}:{clock.now():%H%M%S}",
        due_at=clock.now(), expires_at=clock.now() + expires_in,
    )
    session.add(prompt)
    await session.flush()
    if release:
        await release_prompt(session, clock, patient, prompt)
    await session.commit()
    return prompt
