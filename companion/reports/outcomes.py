"""A clinic's outcomes (clinical/outcomes.py over every patient's course) and their CSV export,
one row per patient, audited as a read of the patients it names."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from companion.audit import services as audit
from companion.auth.principals import StaffPrincipal
from companion.clinical.outcomes import figures, outcomes
from companion.clinical.scoring import is_remission, is_response
from companion.clock import Clock
from companion.reports.courses import clinic_courses
from companion.reports.csv_text import csv_text
from companion.reports.schemas import OutcomesRead

CSV_HEADER = ("patient_reference", "modality", "baseline_phq9", "baseline_at", "latest_phq9", "latest_at",
              "change", "response", "remission", "prompts_answered", "prompts_expired", "adherence")


async def clinic_outcomes(session: AsyncSession, clock: Clock, staff: StaffPrincipal) -> OutcomesRead:
    courses, _ = await clinic_courses(session, staff.clinic_id, clock.now())
    return OutcomesRead.of(outcomes(courses))


async def outcomes_csv(session: AsyncSession, clock: Clock, staff: StaffPrincipal) -> str:
    courses, references = await clinic_courses(session, staff.clinic_id, clock.now())
    rows = []
    for course in courses:
        one = figures([course])
        baseline = course.phq9[0] if course.phq9 else None
        latest = course.phq9[-1] if len(course.phq9) >= 2 else None
        rows.append((
            references[course.patient_id], course.modality,
            baseline[1] if baseline else None, baseline[0] if baseline else None,
            latest[1] if latest else None, latest[0] if latest else None,
            latest[1] - baseline[1] if baseline and latest else None,
            ("yes" if is_response(baseline[1], latest[1]) else "no") if baseline and latest else None,
            ("yes" if is_remission(latest[1]) else "no") if latest else None,
            one.answered, one.expired, None if one.adherence is None else round(one.adherence, 3),
        ))
    audit.record(session, clock, actor=staff.actor, action="outcomes.export", subject=f"clinic:{staff.clinic_id}",
                 clinic_id=staff.clinic_id, detail={"patients": len(rows)})
    return csv_text(CSV_HEADER, rows)
