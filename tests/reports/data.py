"""A patient's course written straight into the database: a session, PHQ-9s, prompts."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from companion.models import Answer, CheckIn, Clinic, Patient, Prompt, TreatmentSession
from tests.conftest import START


async def course(session: AsyncSession, clinic: Clinic, patient: Patient, modality: str, totals: list[int],
                  answered: int, expired: int) -> None:
    session.add(TreatmentSession(patient_id=patient.id, clinic_id=clinic.id, modality=modality,
                                 started_at=START - timedelta(days=30), ended_at=START - timedelta(days=30, hours=-2)))
    for n, total in enumerate(totals):
        checkin = CheckIn(clinic_id=clinic.id, patient_id=patient.id, instrument="phq9", instrument_version="1",
                          source="sms", status="complete", started_at=START - timedelta(days=28 - 7 * n),
                          updated_at=START - timedelta(days=28 - 7 * n),
                          completed_at=START - timedelta(days=28 - 7 * n), total=total, flags={})
        session.add(checkin)
        await session.flush()
        session.add(Answer(checkin_id=checkin.id, patient_id=patient.id, question_key="phq9_1", value=1,
                           source="sms", received_at=checkin.started_at))
    for n in range(answered + expired):
        session.add(Prompt(clinic_id=clinic.id, patient_id=patient.id, instrument="mood", instrument_version="1",
                           slot=f"mood:{n}", status="answered" if n < answered else "expired",
                           due_at=START - timedelta(days=n + 1), expires_at=START - timedelta(days=n)))
    await session.commit()
