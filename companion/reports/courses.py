"""Every patient's course in a clinic, as the outcomes core reads it (clinical/outcomes.py), in
three set-based queries: first sessions, completed PHQ-9s, prompts answered or expired."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from companion.clinical.outcomes import Course
from companion.models import CheckIn, Patient, Prompt, TreatmentSession
from companion.models.checkin import CheckInStatus, PromptStatus


async def clinic_courses(
    session: AsyncSession, clinic_id: int, now: datetime
) -> tuple[list[Course], dict[int, str]]:
    """The clinic's courses and each patient's reference; a course's modality is that of its first
    session held by ``now`` (not cancelled)."""
    patients: dict[int, str] = {pid: ref for pid, ref in (await session.execute(
        select(col(Patient.id), col(Patient.reference)).where(col(Patient.clinic_id) == clinic_id)
        .order_by(col(Patient.id))
    )).all() if pid is not None}
    first = (
        select(col(TreatmentSession.patient_id), func.min(col(TreatmentSession.started_at)).label("first"))
        .where(col(TreatmentSession.clinic_id) == clinic_id, col(TreatmentSession.cancelled_at).is_(None),
               col(TreatmentSession.started_at) <= now)
        .group_by(col(TreatmentSession.patient_id)).subquery()
    )
    modality = dict((await session.execute(
        select(col(TreatmentSession.patient_id), col(TreatmentSession.modality))
        .join(first, (first.c.patient_id == col(TreatmentSession.patient_id))
              & (first.c.first == col(TreatmentSession.started_at)))
        .where(col(TreatmentSession.cancelled_at).is_(None))
    )).all())
    phq9: dict[int, list[tuple[datetime, int]]] = {}
    for patient_id, completed_at, total in (await session.execute(
        select(col(CheckIn.patient_id), col(CheckIn.completed_at), col(CheckIn.total))
        .where(col(CheckIn.clinic_id) == clinic_id, col(CheckIn.instrument) == "phq9",
               col(CheckIn.status) == CheckInStatus.COMPLETE, col(CheckIn.total).is_not(None))
        .order_by(col(CheckIn.completed_at), col(CheckIn.id))
    )).all():
        if completed_at is not None and total is not None:
            phq9.setdefault(patient_id, []).append((completed_at, total))
    fates: dict[tuple[int, str], list[datetime]] = {}
    for patient_id, status, due_at in (await session.execute(
        select(col(Prompt.patient_id), col(Prompt.status), col(Prompt.due_at))
        .where(col(Prompt.clinic_id) == clinic_id,
               col(Prompt.status).in_((PromptStatus.ANSWERED, PromptStatus.EXPIRED)))
    )).all():
        fates.setdefault((patient_id, status), []).append(due_at)
    courses = [
        Course(patient_id, modality.get(patient_id), phq9.get(patient_id, []),
               answered=fates.get((patient_id, PromptStatus.ANSWERED), []),
               expired=fates.get((patient_id, PromptStatus.EXPIRED), []))
        for patient_id in patients
    ]
    return courses, patients
