"""Check-ins: store each answer as it arrives, score, and close the prompt when complete."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import event, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session
from sqlmodel import col

from companion.clinical import scoring
from companion.clinical.instruments import Channel, Instrument, get_instrument, is_complete
from companion.clinical.protocol import Protocol
from companion.clock import Clock
from companion.models import Answer, CheckIn, CheckInStatus, Patient, Prompt, PromptStatus
from companion.safety.judge import Judgement, judge_answer

Source = Literal["sms", "app", "staff"]


@dataclass
class Recorded:
    checkin: CheckIn
    answers: dict[str, Any]
    judgement: Judgement = field(default_factory=Judgement)


# The answers of the check-ins this unit of work started or recorded answers to, by check-in id:
# record_answers is the one writer of answers, so it need not read back what it knows.
_KNOWN_ANSWERS = "checkin_answers"


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _forget_known_answers(session: Session) -> None:
    """Known for one transaction only: after it, another process may have answered too."""
    session.info.pop(_KNOWN_ANSWERS, None)


def _known_answers(session: AsyncSession) -> dict[int, dict[str, Any]]:
    known: dict[int, dict[str, Any]] = session.info.setdefault(_KNOWN_ANSWERS, {})
    return known


async def answers_of(session: AsyncSession, checkin_id: int) -> dict[str, Any]:
    """The answers of a check-in; a later answer to a question supersedes an earlier one."""
    rows = await session.execute(
        select(col(Answer.question_key), col(Answer.value))
        .where(col(Answer.checkin_id) == checkin_id).order_by(col(Answer.id))
    )
    return {key: value for key, value in rows.all()}


async def checkin_for_prompt(
    session: AsyncSession, clock: Clock, patient: Patient, prompt: Prompt, source: Source
) -> CheckIn:
    existing = (
        await session.execute(
            select(CheckIn).where(col(CheckIn.prompt_id) == prompt.id).order_by(col(CheckIn.id)).limit(1)
        )
    ).scalar_one_or_none()
    if existing is not None:
        return existing
    return await start_checkin(session, clock, patient, get_instrument(prompt.instrument), source, prompt)


async def start_checkin(
    session: AsyncSession, clock: Clock, patient: Patient, instrument: Instrument, source: Source,
    prompt: Prompt | None = None, client_ref: str | None = None,
) -> CheckIn:
    now = clock.now()
    assert patient.id is not None
    checkin = CheckIn(
        clinic_id=patient.clinic_id, patient_id=patient.id, prompt_id=prompt.id if prompt else None,
        instrument=instrument.code, instrument_version=instrument.version, source=source, status=CheckInStatus.PARTIAL,
        client_ref=client_ref, started_at=now, updated_at=now,
    )
    session.add(checkin)
    await session.flush()
    assert checkin.id is not None
    _known_answers(session)[checkin.id] = {}
    return checkin


async def record_answers(
    session: AsyncSession,
    clock: Clock,
    protocol: Protocol,
    patient: Patient,
    checkin: CheckIn,
    items: Iterable[tuple[str, Any]],
    source: Source,
    *,
    inbound_message_id: int | None = None,
) -> Recorded:
    """Keep each answer as it arrives, pass it through the judging hook (``protocol``'s rules), then
    rescore.

    Partial answers are kept: an abandoned questionnaire keeps what was answered.
    """
    assert checkin.id is not None and patient.id is not None
    now = clock.now()
    instrument = get_instrument(checkin.instrument)
    known = _known_answers(session)
    answers = dict(known[checkin.id]) if checkin.id in known else await answers_of(session, checkin.id)
    judgement = Judgement()
    # What the patient sent, for the safety reply: the SMS, or the first answer of a submission.
    reply_key = f"sms:{inbound_message_id}" if inbound_message_id is not None else None
    for key, value in items:
        answer = Answer(checkin_id=checkin.id, patient_id=patient.id, question_key=key, value=value,
                        source=source, received_at=now, inbound_message_id=inbound_message_id)
        session.add(answer)
        answers[key] = value
        await session.flush()
        reply_key = reply_key or f"answer:{answer.id}"
        verdict = await judge_answer(session, clock, protocol, patient, checkin, key, value, source, answers,
                                     reply_key=reply_key)
        judgement.replies.extend(verdict.replies)
        judgement.findings.extend(verdict.findings)
        judgement.start_instrument = judgement.start_instrument or verdict.start_instrument
    known[checkin.id] = dict(answers)
    channel: Channel = "sms" if source == "sms" else "app"
    result = scoring.score(instrument.code, answers)
    checkin.total, checkin.band, checkin.flags = result.total, result.band, list(result.flags)
    checkin.updated_at = now
    if checkin.status != CheckInStatus.COMPLETE and is_complete(instrument, answers, channel):
        checkin.status = CheckInStatus.COMPLETE
        checkin.completed_at = now
        if checkin.prompt_id is not None:
            prompt = await session.get(Prompt, checkin.prompt_id)
            if prompt is not None and prompt.status in {PromptStatus.PLANNED, PromptStatus.OPEN}:
                prompt.status = PromptStatus.ANSWERED
                prompt.answered_at = now
                prompt.current_question = None
    return Recorded(checkin, answers, judgement)


async def newest_open_prompt(session: AsyncSession, clock: Clock, patient_id: int, channel: str) -> Prompt | None:
    """The newest prompt released on ``channel`` that is still open and unexpired."""
    rows = await session.execute(
        select(Prompt)
        .where(
            col(Prompt.patient_id) == patient_id,
            col(Prompt.status) == PromptStatus.OPEN,
            col(Prompt.channel) == channel,
            col(Prompt.expires_at) > clock.now(),
        )
        .order_by(col(Prompt.released_at).desc(), col(Prompt.id).desc())
        .limit(1)
    )
    return rows.scalar_one_or_none()


async def pending_prompts(session: AsyncSession, clock: Clock, patient_id: int) -> list[Prompt]:
    """What the patient can answer now: released or due, and not expired."""
    now = clock.now()
    rows = await session.execute(
        select(Prompt)
        .where(
            col(Prompt.patient_id) == patient_id,
            or_(
                col(Prompt.status) == PromptStatus.OPEN,
                (col(Prompt.status) == PromptStatus.PLANNED) & (col(Prompt.due_at) <= now),
            ),
            col(Prompt.expires_at) > now,
        )
        .order_by(col(Prompt.due_at), col(Prompt.id))
    )
    return list(rows.scalars())
