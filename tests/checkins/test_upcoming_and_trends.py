"""What the app shows the patient: what comes next (sessions not yet held, check-ins planned for
the week) and the questionnaires' course in plain words."""

from __future__ import annotations

from datetime import timedelta

from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from companion.models import CheckIn, Prompt, TreatmentSession
from tests.conftest import START, World


async def test_upcoming_lists_sessions_to_come_and_the_weeks_planned_check_ins(
    client: AsyncClient, world: World, session: AsyncSession
) -> None:
    clinic = await world.clinic()
    patient = await world.patient(clinic)
    other = await world.patient(clinic, reference="P-2", phone="+12025550177")
    for days, cancelled in ((-3, False), (2, False), (4, True)):
        session.add(TreatmentSession(patient_id=patient.id, clinic_id=clinic.id, modality="intranasal",
                                     started_at=START + timedelta(days=days), location="Room 2",
                                     cancelled_at=START if cancelled else None))
    for n, (instrument, days, status) in enumerate(
        [("phq9", 1, "planned"), ("mood", 3, "planned"), ("mood", 9, "planned"), ("mood", -1, "expired"),
         ("gad7", 2, "cancelled")]
    ):
        session.add(Prompt(clinic_id=clinic.id, patient_id=patient.id, instrument=instrument, instrument_version="1",
                           slot=f"s{n}", status=status, due_at=START + timedelta(days=days),
                           expires_at=START + timedelta(days=days + 1)))
    session.add(Prompt(clinic_id=clinic.id, patient_id=other.id, instrument="mood", instrument_version="1",
                       slot="x", status="planned", due_at=START + timedelta(days=1),
                       expires_at=START + timedelta(days=2)))
    await session.commit()
    body = (await client.get("/api/v1/me/upcoming", headers=world.patient_headers(patient))).json()
    assert [(s["modality"], s["location"]) for s in body["sessions"]] == [("intranasal", "Room 2")]
    assert [(c["instrument"], c["title"]) for c in body["checkins"]] == [
        ("phq9", "Mood questionnaire (PHQ-9)"), ("mood", "Daily mood")]


async def test_the_history_tells_the_phq9_course_in_words(
    client: AsyncClient, world: World, session: AsyncSession
) -> None:
    clinic = await world.clinic()
    patient = await world.patient(clinic)
    session.add(TreatmentSession(patient_id=patient.id, clinic_id=clinic.id, modality="iv",
                                 started_at=START - timedelta(days=20)))
    for days_ago, instrument, total in ((25, "phq9", 18), (10, "phq9", 12), (2, "phq9", 9), (25, "gad7", 10)):
        at = START - timedelta(days=days_ago)
        session.add(CheckIn(clinic_id=clinic.id, patient_id=patient.id, instrument=instrument, instrument_version="1",
                            source="app", status="complete", started_at=at, updated_at=at, completed_at=at,
                            total=total, flags={}))
    await session.commit()
    body = (await client.get("/api/v1/me/history", headers=world.patient_headers(patient))).json()
    assert body["trends"] == [{
        "instrument": "phq9",
        "text": "Since you started, your PHQ-9 went down from 18 to 9: that is a response "
                "(it has fallen by half or more).",
    }]  # one GAD-7 only: no course to tell yet
