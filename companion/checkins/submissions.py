"""Check-ins submitted from the app: every answer is validated before anything is stored."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from companion.auth.principals import PatientPrincipal
from companion.checkins import views
from companion.checkins.schemas import CheckInSubmit, CheckInSubmitted, Notice
from companion.checkins.screener import start_now
from companion.checkins.services import Recorded, answers_of, checkin_for_prompt, record_answers, start_checkin
from companion.clinical import rules
from companion.clinical.instruments import (
    AnswerError,
    UnknownInstrument,
    UnknownQuestion,
    get_instrument,
    validate_answer,
)
from companion.clinical.protocol import Protocol
from companion.clock import Clock
from companion.errors import Conflict, InvalidInput, NotFound
from companion.models import Alert, CheckIn, Patient, Prompt, PromptChannel, PromptStatus


def _validated(instrument_code: str, answers: dict[str, Any]) -> list[tuple[str, Any]]:
    try:
        instrument = get_instrument(instrument_code)
    except UnknownInstrument as exc:
        raise InvalidInput(str(exc), field="instrument") from exc
    items: list[tuple[str, Any]] = []
    for key, value in answers.items():
        try:
            question = instrument.question(key)
        except UnknownQuestion as exc:
            raise InvalidInput(f"{key} is not a question of {instrument.code}", field=f"answers.{key}") from exc
        if value is None and question.optional:
            items.append((key, None))
            continue
        try:
            items.append((key, validate_answer(question, value)))
        except AnswerError as exc:
            raise InvalidInput(exc.message, field=f"answers.{key}") from exc
    return items


async def _open_prompt(session: AsyncSession, clock: Clock, patient_id: int, prompt_id: int, instrument: str) -> Prompt:
    prompt = await session.get(Prompt, prompt_id)
    if prompt is None or prompt.patient_id != patient_id:
        raise NotFound("check-in not found")
    if prompt.instrument != instrument:
        raise InvalidInput(f"this check-in asks {prompt.instrument}, not {instrument}", field="instrument")
    now = clock.now()
    closed = prompt.status not in {PromptStatus.OPEN, PromptStatus.PLANNED}
    if closed or prompt.expires_at <= now or prompt.due_at > now:
        raise Conflict("this check-in is closed: it was answered, expired or is not due yet", field="prompt_id")
    return prompt


async def submit(
    session: AsyncSession, clock: Clock, protocol: Protocol, principal: PatientPrincipal, data: CheckInSubmit
) -> tuple[Recorded | None, CheckIn]:
    """Store an app check-in. A repeat of the same ``client_ref`` (an offline retry) stores nothing
    and returns the check-in it made the first time."""
    if data.client_ref:
        earlier = (
            await session.execute(
                select(CheckIn).where(col(CheckIn.patient_id) == principal.patient_id,
                                      col(CheckIn.client_ref) == data.client_ref)
            )
        ).scalar_one_or_none()
        if earlier is not None:
            return None, earlier
    items = _validated(data.instrument, data.answers)
    patient = await session.get(Patient, principal.patient_id)
    assert patient is not None
    if data.prompt_id is not None:
        prompt = await _open_prompt(session, clock, principal.patient_id, data.prompt_id, data.instrument)
        if prompt.status == PromptStatus.PLANNED:
            prompt.status, prompt.released_at, prompt.channel = PromptStatus.OPEN, clock.now(), PromptChannel.APP
        checkin = await checkin_for_prompt(session, clock, patient, prompt, "app")
        if checkin.client_ref is None:
            checkin.client_ref = data.client_ref
    else:
        checkin = await start_checkin(session, clock, patient, get_instrument(data.instrument), "app",
                                      client_ref=data.client_ref)
    recorded = await record_answers(session, clock, protocol, patient, checkin, items, "app")
    if recorded.judgement.start_instrument:
        await start_now(session, clock, patient, recorded.judgement.start_instrument, "app",
                        f"{recorded.judgement.start_instrument}:{checkin.id}")
    return recorded, checkin


def _notice(protocol: Protocol, kind: rules.NoticeKind | None) -> Notice:
    text = protocol.wording.reply_for(kind) if kind is not None else None
    return Notice(kind=kind if text is not None else None, text=text)


async def _earlier_notice(session: AsyncSession, protocol: Protocol, checkin: CheckIn) -> Notice:
    """The notice of a check-in stored earlier (an offline retry whose first answer was lost): from
    the findings its answers raised, as the alerts keep them."""
    source = f"app:checkin:{checkin.id}"
    rows = await session.execute(select(col(Alert.findings)).where(col(Alert.patient_id) == checkin.patient_id))
    replies = [str(f.get("safety_reply", "none")) for findings in rows.scalars() for f in findings or []
               if isinstance(f, dict) and f.get("source") == source]
    return _notice(protocol, rules.reply_kind_of(replies))


async def submitted(
    session: AsyncSession, protocol: Protocol, recorded: Recorded | None, checkin: CheckIn
) -> CheckInSubmitted:
    """The check-in as the app shows it after sending, with the notice the clinic's protocol words
    for its findings (the same choice as the SMS reply: ``rules.reply_kind``)."""
    if recorded is not None:
        answers, notice = recorded.answers, _notice(protocol, rules.reply_kind(recorded.judgement.findings))
    else:
        answers, notice = await answers_of(session, checkin.id or 0), await _earlier_notice(session, protocol, checkin)
    return CheckInSubmitted(**views.checkin_read(checkin, answers).model_dump(), notice=notice)
