"""The scheduled jobs with the clock advanced: release, remind, expire, dispatch, watchdog."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from companion.clinical.plan import DEFAULT_PLAN
from companion.clock import FrozenClock
from companion.models import AuditEvent, JobHeartbeat, OutboundMessage, Patient, Prompt
from companion.scheduling import due
from companion.scheduling.services import replan_patient
from jobs import dispatch_outbox, expire_prompts, extend_plans, release_prompts, send_reminders, watchdog
from jobs.context import JobContext
from jobs.scheduler import build_scheduler
from tests.conftest import World
from tests.fakes.fake_twilio import FakeTwilio
from tests.messaging.conftest import Sms

PHONE = "+12025550142"
START = datetime(2026, 11, 27, 13, 0, tzinfo=UTC)  # 08:00 in New York


async def _patient(world: World, session: AsyncSession, clock: FrozenClock) -> Patient:
    clock.set(START)
    clinic = await world.clinic()
    patient = await world.patient(clinic, phone=PHONE)
    stored = await session.get(Patient, patient.id)
    assert stored is not None
    await replan_patient(session, clock, stored, DEFAULT_PLAN)  # the baseline PHQ-9, due now
    await session.commit()
    return stored


async def _prompt(session: AsyncSession, patient_id: int | None) -> Prompt:
    query = select(Prompt).where(Prompt.patient_id == patient_id).order_by(Prompt.id)
    return (await session.execute(query.execution_options(populate_existing=True))).scalars().first()  # type: ignore[return-value]


async def test_a_due_prompt_is_released_sent_reminded_and_expired(
    ctx: JobContext, world: World, session: AsyncSession, clock: FrozenClock, fake: FakeTwilio
) -> None:
    patient = await _patient(world, session, clock)
    assert await release_prompts.run(ctx) == 1
    await dispatch_outbox.run(ctx)
    clock.advance(seconds=5)
    await dispatch_outbox.run(ctx)
    assert len(fake.messages_to(PHONE)) == 2  # the PHQ-9 intro and its first question
    prompt = await _prompt(session, patient.id)
    assert prompt.status == "open" and prompt.reminder_due_at == START + timedelta(hours=3)

    clock.advance(hours=2)
    assert await send_reminders.run(ctx) == 0
    clock.advance(hours=1)
    assert await send_reminders.run(ctx) == 1
    assert await send_reminders.run(ctx) == 0  # one reminder only
    await dispatch_outbox.run(ctx)
    reminder = fake.messages_to(PHONE)[-1].body
    assert reminder.startswith("Reminder: ") and "?c=" in reminder

    clock.advance(hours=45)
    await expire_prompts.run(ctx)
    assert (await _prompt(session, patient.id)).status == "expired"
    assert await release_prompts.run(ctx) == 0
    assert len(fake.messages_to(PHONE)) == 3


async def test_three_missed_in_a_row_is_a_finding(
    ctx: JobContext, world: World, session: AsyncSession, clock: FrozenClock
) -> None:
    patient = await _patient(world, session, clock)
    for day in range(3):
        session.add(Prompt(clinic_id=patient.clinic_id, patient_id=patient.id, instrument="mood",
                           instrument_version="1", slot=f"mood:test-{day}", status="open",
                           due_at=clock.now() + timedelta(days=day),
                           expires_at=clock.now() + timedelta(days=day, hours=12)))
    await session.commit()
    clock.advance(days=1)
    await expire_prompts.run(ctx)  # the first mood prompt missed; the baseline PHQ-9 is still open
    assert await due.missed_in_a_row(session, patient.id or 0) == 1
    clock.advance(days=3)
    await expire_prompts.run(ctx)
    assert await due.missed_in_a_row(session, patient.id or 0) == 4
    events = list((await session.execute(select(AuditEvent).where(AuditEvent.action == "checkins.missed"))).scalars())
    assert [e.detail["in_a_row"] for e in events] == [4]


async def test_one_run_expires_every_batch_even_with_no_streak_among_them(
    ctx: JobContext, world: World, session: AsyncSession, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock.set(START)
    clinic = await world.clinic()
    patients = [await world.patient(clinic, reference=f"P-{n}", phone=f"+120255501{50 + n}") for n in range(5)]
    for patient in patients:  # one missed check-in each: no streak, nothing for the rules
        session.add(Prompt(clinic_id=clinic.id, patient_id=patient.id, instrument="mood", instrument_version="1",
                           slot="mood:test", status="open", due_at=clock.now(),
                           expires_at=clock.now() + timedelta(hours=12)))
    await session.commit()
    monkeypatch.setattr(expire_prompts, "BATCH", 2)
    clock.advance(days=1)
    assert await expire_prompts.run(ctx) == 0
    statuses = (await session.execute(select(Prompt.status).where(Prompt.clinic_id == clinic.id))).scalars().all()
    assert list(statuses) == ["expired"] * 5
    assert [await due.missed_in_a_row(session, p.id or 0) for p in patients] == [1] * 5


@pytest.mark.parametrize(("history", "missed"), [
    ([], 0),
    (["answered"], 0),
    (["expired"], 1),
    (["answered", "expired", "expired"], 2),  # oldest first: two missed since the last answer
    (["expired", "answered", "cancelled", "expired"], 1),  # a cancelled prompt counts neither way
    (["expired"] * 25, 20),  # counted over the latest twenty closed prompts
])
async def test_missed_in_a_row_read_for_many_patients_at_once_as_for_one(
    world: World, session: AsyncSession, clock: FrozenClock, history: list[str], missed: int
) -> None:
    clock.set(START)
    clinic = await world.clinic()
    patient = await world.patient(clinic, phone=PHONE)
    other = await world.patient(clinic, reference="P-1043", phone="+12025550143")
    for day, status in enumerate(history):
        for who in (patient, other):
            session.add(Prompt(clinic_id=clinic.id, patient_id=who.id, instrument="mood", instrument_version="1",
                               slot=f"mood:test-{day}", status=status, due_at=START + timedelta(days=day),
                               expires_at=START + timedelta(days=day, hours=12)))
    session.add(Prompt(clinic_id=clinic.id, patient_id=other.id, instrument="mood", instrument_version="1",
                       slot="mood:test-last", status="answered", due_at=START + timedelta(days=40),
                       expires_at=START + timedelta(days=40, hours=12)))
    await session.commit()
    many = await due.missed_in_a_row_of(session, [patient.id or 0, other.id or 0])
    assert many.get(patient.id or 0, 0) == missed == await due.missed_in_a_row(session, patient.id or 0)
    assert many[other.id or 0] == 0  # answered since


async def test_reminders_and_prompts_respect_opt_out(
    ctx: JobContext, world: World, session: AsyncSession, clock: FrozenClock, fake: FakeTwilio, sms: Sms,
) -> None:
    await _patient(world, session, clock)
    await sms.say(PHONE, "STOP")
    assert await release_prompts.run(ctx) == 0  # SMS-only and opted out: nothing is planned
    clock.advance(hours=3)
    await send_reminders.run(ctx)
    await dispatch_outbox.run(ctx)
    assert fake.messages_to(PHONE) == []


async def test_a_run_stopped_half_way_loses_and_duplicates_nothing(
    ctx: JobContext, world: World, session: AsyncSession, clock: FrozenClock, fake: FakeTwilio,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock.set(START)
    clinic = await world.clinic()
    for i in range(30):
        await world.patient(clinic, reference=f"P-{i}", phone=f"+1202555{1000 + i}")
    await extend_plans.run(ctx)
    assert (await session.execute(select(func.count()).select_from(Prompt))).scalar_one() == 30

    calls = 0
    original = due.opening_rows

    def dying(*args: Any, **kwargs: Any) -> list[dict[str, Any]]:
        nonlocal calls
        calls += 1
        if calls == 12:
            raise asyncio.CancelledError  # the process stops in the middle of a batch
        return original(*args, **kwargs)

    monkeypatch.setattr(due, "opening_rows", dying)
    with pytest.raises(asyncio.CancelledError):
        await due_release(ctx)
    assert (await session.execute(select(func.count()).select_from(OutboundMessage))).scalar_one() == 0
    monkeypatch.setattr(due, "opening_rows", original)
    stopped = 0

    async def stopping_after_the_prompts(*args: Any, **kwargs: Any) -> None:
        nonlocal stopped
        stopped += 1
        raise asyncio.CancelledError  # the prompts are opened, their messages not yet written

    monkeypatch.setattr(due, "write_messages", stopping_after_the_prompts)
    with pytest.raises(asyncio.CancelledError):
        await due_release(ctx)
    assert stopped == 1
    assert (await session.execute(
        select(func.count()).select_from(Prompt).where(Prompt.status == "planned"))).scalar_one() == 30
    monkeypatch.undo()
    assert await release_prompts.run(ctx) == 30
    assert await release_prompts.run(ctx) == 0
    await dispatch_outbox.run(ctx)
    clock.advance(seconds=5)
    await dispatch_outbox.run(ctx)
    bodies = [(m.to, m.body) for m in fake.messages]
    assert len(bodies) == 60 and len(set(bodies)) == 60


async def due_release(ctx: JobContext) -> None:
    async with ctx.unit_of_work() as session:
        await due.release_due(session, ctx.clock, 500)


async def test_heartbeats_and_a_stalled_scheduler_in_ready(
    ctx: JobContext, client: httpx.AsyncClient, world: World, session: AsyncSession, clock: FrozenClock
) -> None:
    assert (await client.get("/ready")).json()["scheduler"].startswith("not seen")
    await release_prompts.run(ctx)
    await watchdog.run(ctx)
    ready = (await client.get("/ready")).json()
    assert ready["ready"] is True and ready["scheduler"] == "ticking"
    clock.advance(minutes=10)
    response = await client.get("/ready")
    assert response.status_code == 503
    assert "release-prompts" in response.json()["scheduler"]
    beats = {b.job_id: b.runs for b in (await session.execute(select(JobHeartbeat))).scalars()}
    assert beats == {"release-prompts": 1, "watchdog": 1}


async def test_the_watchdog_reports_late_work(
    ctx: JobContext, world: World, session: AsyncSession, clock: FrozenClock
) -> None:
    await _patient(world, session, clock)
    session.add(OutboundMessage(to_phone="+12025550188", purpose="staff_page", body="page", due_at=clock.now()))
    await session.commit()
    clock.advance(minutes=20)
    problems = await watchdog.run(ctx)
    assert any("urgent message" in p for p in problems)
    assert any("not released" in p for p in problems)


async def test_the_scheduler_has_stable_ids_one_instance_and_coalescing(ctx: JobContext) -> None:
    scheduler = build_scheduler(ctx)
    scheduler.start(paused=True)
    jobs = {job.id: job for job in scheduler.get_jobs()}
    scheduler.shutdown(wait=False)
    assert set(jobs) == {"release-prompts", "send-reminders", "expire-prompts", "dispatch-outbox", "extend-plans",
                         "watchdog", "escalate-alerts", "handle-inbound", "send-digests", "dispatch-push",
                         "purge-records"}
    for job in jobs.values():
        assert job.coalesce is True and job.max_instances == 1
    again = build_scheduler(ctx)
    assert {job.id for job in again.get_jobs()} == set(jobs)
