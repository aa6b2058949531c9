"""Read views of check-ins: the patient's pending list and history, the staff timeline and one
check-in read back for staff."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from companion.audit import services as audit
from companion.auth.principals import StaffPrincipal
from companion.checkins.schemas import (
    AskIfRead,
    CheckInRead,
    ChoiceRead,
    MoodTrend,
    PatientHistory,
    PromptRead,
    QuestionnaireSummary,
    QuestionnaireTrend,
    QuestionRead,
    SessionMark,
    Timeline,
    TimelineSession,
    Upcoming,
    UpcomingCheckin,
    UpcomingSession,
)
from companion.checkins.services import answers_of, pending_prompts
from companion.clinical import scoring
from companion.clinical.instruments import Instrument, Question, get_instrument
from companion.clinical.trend_words import trend_sentence
from companion.clock import Clock
from companion.errors import NotFound
from companion.models import Answer, CheckIn, CheckInStatus, Patient, Prompt, PromptStatus, TreatmentSession
from companion.patients.services import get_patient
from companion.safety.evidence import checkin_answers
from companion.safety.schemas import CheckInAnswers


def question_read(question: Question) -> QuestionRead:
    return QuestionRead(
        key=question.key, text=question.app_text, answer_type=question.answer_type.value, min=question.min,
        max=question.max, choices=[ChoiceRead(value=c.value, label=c.label) for c in question.choices],
        optional=question.optional,
        ask_if=AskIfRead(key=question.ask_if.key, equals=question.ask_if.equals) if question.ask_if else None,
    )


def _prompt_read(prompt: Prompt, instrument: Instrument, answered: dict[str, Any]) -> PromptRead:
    assert prompt.id is not None
    questions = [question_read(q) for q in instrument.questions]
    return PromptRead(
        id=prompt.id, instrument=instrument.code, title=instrument.title_for_patient, intro=instrument.app_intro,
        due_at=prompt.due_at, expires_at=prompt.expires_at, questions=questions, answered=answered,
    )


async def pending(session: AsyncSession, clock: Clock, patient_id: int) -> list[PromptRead]:
    reads = []
    for prompt in await pending_prompts(session, clock, patient_id):
        checkin = (
            await session.execute(select(col(CheckIn.id)).where(col(CheckIn.prompt_id) == prompt.id).limit(1))
        ).scalar_one_or_none()
        answered = await answers_of(session, checkin) if checkin is not None else {}
        reads.append(_prompt_read(prompt, get_instrument(prompt.instrument), answered))
    return reads


async def _answers_by_checkin(session: AsyncSession, checkin_ids: list[int]) -> dict[int, dict[str, Any]]:
    by_checkin: dict[int, dict[str, Any]] = defaultdict(dict)
    if checkin_ids:
        rows = await session.execute(
            select(col(Answer.checkin_id), col(Answer.question_key), col(Answer.value))
            .where(col(Answer.checkin_id).in_(checkin_ids))
            .order_by(col(Answer.id))
        )
        for checkin_id, key, value in rows.all():
            by_checkin[checkin_id][key] = value
    return by_checkin


def checkin_read(checkin: CheckIn, answers: dict[str, Any]) -> CheckInRead:
    assert checkin.id is not None
    return CheckInRead(
        id=checkin.id, instrument=checkin.instrument, status=checkin.status, source=checkin.source,
        prompt_id=checkin.prompt_id, started_at=checkin.started_at, completed_at=checkin.completed_at,
        total=checkin.total, band=checkin.band, flags=list(checkin.flags), answers=answers,
    )


async def _checkins(session: AsyncSession, patient_id: int, limit: int) -> list[CheckInRead]:
    rows = list(
        (
            await session.execute(
                select(CheckIn).where(col(CheckIn.patient_id) == patient_id)
                .order_by(col(CheckIn.started_at).desc(), col(CheckIn.id).desc()).limit(limit)
            )
        ).scalars()
    )
    answers = await _answers_by_checkin(session, [c.id for c in rows if c.id is not None])
    return [checkin_read(c, answers.get(c.id or 0, {})) for c in reversed(rows)]


async def _sessions(session: AsyncSession, patient_id: int) -> list[TreatmentSession]:
    rows = await session.execute(
        select(TreatmentSession)
        .where(col(TreatmentSession.patient_id) == patient_id, col(TreatmentSession.cancelled_at).is_(None))
        .order_by(col(TreatmentSession.started_at))
    )
    return list(rows.scalars())


UPCOMING_DAYS = 7


async def upcoming(session: AsyncSession, clock: Clock, patient_id: int) -> Upcoming:
    """Sessions still to come (not cancelled) and the check-ins planned in the next week."""
    now = clock.now()
    sessions = [s for s in await _sessions(session, patient_id) if s.started_at > now]
    prompts = (await session.execute(
        select(Prompt).where(col(Prompt.patient_id) == patient_id, col(Prompt.status) == PromptStatus.PLANNED,
                             col(Prompt.due_at) > now, col(Prompt.due_at) <= now + timedelta(days=UPCOMING_DAYS))
        .order_by(col(Prompt.due_at), col(Prompt.id))
    )).scalars()
    return Upcoming(
        sessions=[UpcomingSession(started_at=s.started_at, modality=s.modality, location=s.location) for s in sessions],
        checkins=[UpcomingCheckin(instrument=p.instrument, title=get_instrument(p.instrument).title_for_patient,
                                  due_at=p.due_at) for p in prompts],
    )


async def history(session: AsyncSession, patient_id: int, limit: int = 500) -> PatientHistory:
    patient = await session.get(Patient, patient_id)
    assert patient is not None
    zone = ZoneInfo(patient.timezone)
    sessions = [
        SessionMark(date=s.started_at.astimezone(zone).date(), started_at=s.started_at)
        for s in await _sessions(session, patient_id)
    ]
    checkins = await _checkins(session, patient_id, limit)
    first_session = sessions[0].started_at if sessions else None
    trends = []
    for code, name, judged in (("phq9", "your PHQ-9", True), ("gad7", "your GAD-7", False)):
        done = [c for c in checkins if c.instrument == code and c.status == CheckInStatus.COMPLETE
                and c.total is not None]
        summary = _summary(done, first_session, judged)
        sentence = trend_sentence(name, summary.baseline, summary.latest, judged=judged) if len(done) > 1 else None
        if sentence is not None:
            trends.append(QuestionnaireTrend(instrument=code, text=sentence))
    return PatientHistory(checkins=checkins, sessions=sessions, trends=trends)


def _summary(completed: list[CheckInRead], first_session: Any, with_response: bool) -> QuestionnaireSummary:
    if not completed:
        return QuestionnaireSummary(baseline=None, latest=None, latest_band=None, response=None, remission=None)
    before = [c for c in completed if first_session is None or (c.completed_at and c.completed_at < first_session)]
    baseline = before[-1].total if before else None
    latest = completed[-1]
    response = None
    if with_response and baseline is not None and latest.total is not None and not (len(before) == len(completed)):
        response = scoring.is_response(baseline, latest.total)
    remission = scoring.is_remission(latest.total) if with_response and latest.total is not None else None
    return QuestionnaireSummary(baseline=baseline, latest=latest.total, latest_band=latest.band,
                                response=response, remission=remission)


async def timeline(session: AsyncSession, clock: Clock, staff: StaffPrincipal, patient_id: int) -> Timeline:
    patient = await get_patient(session, staff.clinic_id, patient_id)
    sessions = await _sessions(session, patient_id)
    checkins = await _checkins(session, patient_id, 1000)
    first_session = sessions[0].started_at if sessions else None

    def completed(code: str) -> list[CheckInRead]:
        return [
            c for c in checkins if c.instrument == code and c.status == CheckInStatus.COMPLETE and c.total is not None
        ]

    moods = completed("mood")
    mood_values = [int(c.total) for c in moods if c.total is not None]
    missed = (
        await session.execute(
            select(func.count()).select_from(Prompt)
            .where(col(Prompt.patient_id) == patient_id, col(Prompt.status) == PromptStatus.EXPIRED)
        )
    ).scalar_one()
    audit.record(session, clock, actor=staff.actor, action="patient.timeline", subject=f"patient:{patient_id}",
                 clinic_id=staff.clinic_id)
    return Timeline(
        patient_id=patient_id,
        reference=patient.reference,
        sessions=[TimelineSession(id=s.id or 0, modality=s.modality, started_at=s.started_at, ended_at=s.ended_at)
                  for s in sessions],
        checkins=checkins,
        mood=MoodTrend(
            latest=mood_values[-1] if mood_values else None,
            baseline=scoring.mood_baseline(mood_values[:-1]) if len(mood_values) > 1 else None,
            points=[(c.completed_at or c.started_at, int(c.total or 0)) for c in moods],
        ),
        phq9=_summary(completed("phq9"), first_session, True),
        gad7=_summary(completed("gad7"), first_session, False),
        missed_checkins=int(missed),
    )


async def staff_checkin(
    session: AsyncSession, clock: Clock, staff: StaffPrincipal, patient_id: int, checkin_id: int
) -> CheckInAnswers:
    """One check-in of a patient of the caller's clinic: every question of its instrument in
    order, with its wording and the answer; the read is audited."""
    await get_patient(session, staff.clinic_id, patient_id)
    checkin = await session.get(CheckIn, checkin_id)
    if checkin is None or checkin.patient_id != patient_id:
        raise NotFound("check-in not found")
    read = checkin_answers(checkin, await answers_of(session, checkin_id))
    audit.record(session, clock, actor=staff.actor, action="patient.checkin", subject=f"patient:{patient_id}",
                 clinic_id=staff.clinic_id, detail={"checkin": checkin_id, "items": len(read.items)})
    return read
