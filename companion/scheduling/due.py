"""The recurring work on prompts: release the due ones, remind, expire and count misses.

Each function claims its rows (``FOR UPDATE SKIP LOCKED`` on PostgreSQL) and does its work in the
caller's transaction, so a run stopped half way loses nothing and the next run does the rest;
the outbox's unique dedupe keys make sure no message is written twice.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from companion.auth import links
from companion.clinical.instruments import get_instrument
from companion.clock import Clock
from companion.messaging import outbox
from companion.messaging.policy import Purpose
from companion.models import Patient, PatientStatus, Prompt, PromptChannel, PromptStatus, SmsConsent
from companion.models.base import table_of
from companion.scheduling.push_delivery import (
    active_subscriptions,
    app_sms_text,
    push_rows,
    wants_push,
    write_pushes,
)
from companion.scheduling.release import Opening, opening, opening_rows, reaches_by_sms, write_messages
from companion.settings import Settings

MISSED_IN_A_ROW = 3
#: A missed streak is counted over at most this many of the latest closed prompts.
STREAK_LOOK_BACK = 20


async def _patients(session: AsyncSession, ids: set[int]) -> dict[int, Patient]:
    if not ids:
        return {}
    rows = await session.execute(select(Patient).where(col(Patient.id).in_(ids)))
    return {p.id: p for p in rows.scalars() if p.id is not None}


async def release_due(session: AsyncSession, clock: Clock, limit: int = 500, settings: Settings | None = None) -> int:
    """Release up to ``limit`` due prompts; returns how many were released.

    Set-based: the prompts and their patients are read in one statement, the prompts opened by a
    statement per way they open (release.opening: an instrument by SMS, or the app), and their
    messages written in one statement; so are the pushes to patients who chose the app and turned
    notifications on (given ``settings`` with push on: docs/push.md); a prompt that went to the
    app alone carries its SMS fallback."""
    now = clock.now()
    PR, PA = table_of(Prompt), table_of(Patient)
    rows = (await session.execute(
        select(PR.c.id, PR.c.instrument, PA.c.id.label("patient_id"), PA.c.phone, PA.c.clinic_id, PA.c.channel,
               PA.c.sms_consent, PA.c.status)
        .join(PA, PA.c.id == PR.c.patient_id)
        .where(PR.c.status == PromptStatus.PLANNED, PR.c.due_at <= now, PR.c.expires_at > now)
        .order_by(PR.c.due_at, PR.c.id)
        .limit(limit)
        .with_for_update(of=PR, skip_locked=True)
    )).all()
    if not rows:
        return 0
    ways: dict[Opening, list[int]] = defaultdict(list)
    messages: list[dict[str, Any]] = []
    pushing: list[int] = []
    for row in rows:
        patient = _Reached(row.patient_id, row.channel, row.sms_consent, row.status)
        opened = opening(row.instrument, reaches_by_sms(patient))
        ways[opened].append(row.id)
        if opened.question is not None:
            messages += opening_rows(now, row.id, patient, row.phone, row.clinic_id, opened)
        if wants_push(patient, settings):
            pushing.append(row.id)
    for opened, opened_ids in ways.items():
        await session.execute(
            update(PR)
            .where(PR.c.id.in_(opened_ids), PR.c.status == PromptStatus.PLANNED)
            .values(status=PromptStatus.OPEN, released_at=now, channel=opened.channel,
                    **({"current_question": opened.question} if opened.question is not None else {}))
        )
    await write_messages(session, messages)
    if settings is not None and pushing:
        await _push_released(session, now, settings, pushing)
    return len(rows)


@dataclass(frozen=True)
class _Reached:
    """A patient as releasing reads them (release.Reachable, outbox.Recipient)."""

    id: int
    channel: str
    sms_consent: str
    status: str


async def _push_released(session: AsyncSession, now: datetime, settings: Settings, prompt_ids: list[int]) -> None:
    """The pushes for prompts just released to patients who want them (push_delivery)."""
    prompts = list((await session.execute(
        select(Prompt).where(col(Prompt.id).in_(prompt_ids)).execution_options(populate_existing=True)
    )).scalars())
    patients = await _patients(session, {p.patient_id for p in prompts})
    devices = await active_subscriptions(session, [p.patient_id for p in prompts])
    pushes: list[dict[str, Any]] = []
    for prompt in prompts:
        if devices.get(prompt.patient_id):
            pushes += push_rows(now=now, settings=settings, patient=patients[prompt.patient_id], prompt=prompt,
                                purpose=Purpose.PROMPT, subscriptions=devices[prompt.patient_id],
                                with_fallback=prompt.channel == PromptChannel.APP)
    await write_pushes(session, pushes)


def sms_allowed(patient: Patient) -> bool:
    """Texts may go to the patient whatever channel they chose (an app patient's reminder)."""
    return patient.sms_consent == SmsConsent.OPTED_IN and patient.status == PatientStatus.ACTIVE


def reminder_text(prompt: Prompt, settings: Settings) -> str:
    instrument = get_instrument(prompt.instrument)
    question = instrument.question(prompt.current_question) if prompt.current_question else instrument.questions[0]
    return f"Reminder: {question.sms_text} Or answer in the app: {links.link_url(settings, prompt)}"


async def send_reminders(session: AsyncSession, clock: Clock, settings: Settings, limit: int = 500) -> int:
    """One reminder per unanswered prompt, at its reminder time (already outside quiet hours);
    returns how many reminders were written (SMS and pushes).

    - An SMS prompt: the SMS reminder to a patient reached by SMS, as ever; a patient who chose
      both and turned notifications on gets the push too.
    - A prompt in the app: a push to each of the patient's devices (with the SMS as fallback), or,
      with none, an SMS pointing to the app if the patient consented to texts; otherwise nothing,
      and the check-in shows as missed when it expires (docs/push.md, "No subscription")."""
    now = clock.now()
    prompts = list(
        (
            await session.execute(
                select(Prompt)
                .where(
                    col(Prompt.status) == PromptStatus.OPEN,
                    col(Prompt.reminder_due_at) <= now,
                    col(Prompt.reminded_at).is_(None),
                    col(Prompt.expires_at) > now,
                )
                .order_by(col(Prompt.reminder_due_at), col(Prompt.id))
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        ).scalars()
    )
    patients = await _patients(session, {p.patient_id for p in prompts})
    devices = await active_subscriptions(
        session, [p.patient_id for p in prompts if wants_push(patients[p.patient_id], settings)])
    pushes: list[dict[str, Any]] = []
    sent = 0
    for prompt in prompts:
        prompt.reminded_at = now
        patient = patients[prompt.patient_id]
        subscriptions = devices.get(patient.id or 0, []) if wants_push(patient, settings) else []
        by_sms = prompt.channel == PromptChannel.SMS
        if by_sms and reaches_by_sms(patient):
            body = reminder_text(prompt, settings)
        elif not by_sms and not subscriptions and sms_allowed(patient):
            body = app_sms_text(Purpose.REMINDER, links.link_url(settings, prompt))
        else:
            body = None
        if body is not None:
            await outbox.enqueue(
                session, clock, to_phone=patient.phone, purpose=Purpose.REMINDER, body=body,
                clinic_id=patient.clinic_id, patient=patient, dedupe_key=f"reminder:{prompt.id}",
            )
            sent += 1
        if subscriptions:
            pushes += push_rows(now=now, settings=settings, patient=patient, prompt=prompt, purpose=Purpose.REMINDER,
                                subscriptions=subscriptions, with_fallback=not by_sms)
            sent += 1
    await write_pushes(session, pushes)
    return sent


@dataclass(frozen=True)
class MissedStreak:
    patient_id: int
    missed_in_a_row: int


@dataclass(frozen=True)
class Expired:
    count: int  # prompts expired
    streaks: list[MissedStreak]  # patients now missed MISSED_IN_A_ROW times or more in a row


async def expire_due(session: AsyncSession, clock: Clock, limit: int = 2000) -> Expired:
    """Expire up to ``limit`` prompts past their expiry (an expired prompt counts as missed) and
    find the patients whose latest prompts are now missed ``MISSED_IN_A_ROW`` times or more in a
    row (one statement for the whole batch)."""
    now = clock.now()
    expired = (
        await session.execute(
            update(Prompt)
            .where(
                col(Prompt.id).in_(
                    select(col(Prompt.id))
                    .where(
                        col(Prompt.status).in_((PromptStatus.PLANNED, PromptStatus.OPEN)), col(Prompt.expires_at) <= now
                    )
                    .limit(limit)
                    .with_for_update(skip_locked=True)
                    .scalar_subquery()
                )
            )
            .values(status=PromptStatus.EXPIRED, closed_at=now)
            .returning(col(Prompt.patient_id))
        )
    ).scalars().all()
    counts = await missed_in_a_row_of(session, sorted(set(expired)))
    streaks = [MissedStreak(patient_id, count) for patient_id, count in sorted(counts.items())
               if count >= MISSED_IN_A_ROW]
    return Expired(len(expired), streaks)


def missed_streak(statuses_latest_first: Iterable[str]) -> int:
    """Closed prompts' statuses, most recent first -> how many were missed before the last answered
    one (cancelled prompts do not count either way)."""
    count = 0
    for status in statuses_latest_first:
        if status != PromptStatus.EXPIRED:
            break
        count += 1
    return count


async def missed_in_a_row_of(session: AsyncSession, ids: Sequence[int]) -> dict[int, int]:
    """How many of each patient's most recent closed prompts were missed, counting back to the
    last one answered, over at most STREAK_LOOK_BACK of them; one statement for any number of
    patients (a patient with no closed prompt is left out: none missed)."""
    if not ids:
        return {}
    rank = (
        func.row_number()
        .over(partition_by=col(Prompt.patient_id), order_by=(col(Prompt.due_at).desc(), col(Prompt.id).desc()))
        .label("rank")
    )
    ranked = (
        select(col(Prompt.patient_id), col(Prompt.status), rank)
        .where(
            col(Prompt.patient_id).in_(ids),
            col(Prompt.status).in_((PromptStatus.ANSWERED, PromptStatus.EXPIRED)),
        )
        .subquery()
    )
    rows = await session.execute(
        select(ranked.c.patient_id, ranked.c.status)
        .where(ranked.c.rank <= STREAK_LOOK_BACK)
        .order_by(ranked.c.patient_id, ranked.c.rank)
    )
    statuses: dict[int, list[str]] = defaultdict(list)
    for patient_id, status in rows.all():
        statuses[patient_id].append(status)
    return {patient_id: missed_streak(values) for patient_id, values in statuses.items()}


async def missed_in_a_row(session: AsyncSession, patient_id: int) -> int:
    """:func:`missed_in_a_row_of` for one patient."""
    return (await missed_in_a_row_of(session, [patient_id])).get(patient_id, 0)
