"""A patient enrolled through the API, end to end on the SMS path (signed webhook, real Twilio SDK
against the fake): the welcome, nothing routine until YES, and every safety reply meanwhile."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from companion.clinical import texts
from companion.clock import FrozenClock
from companion.models import Alert, AuditEvent, OutboundMessage, Patient, Prompt
from companion.protocols import default_protocol
from jobs import dispatch_outbox, release_prompts
from jobs.context import JobContext
from tests.conftest import World
from tests.fakes.fake_twilio import FakeTwilio
from tests.messaging.conftest import Sms
from tests.safety.conftest import Team

NEW_PHONE = "+12025550163"
DAY = datetime(2026, 11, 27, 16, 0, tzinfo=UTC)  # 11:00 in New York
SAFETY = default_protocol().wording.safety_reply


async def _enrol(client: httpx.AsyncClient, world: World, team: Team, channel: str = "sms") -> int:
    response = await client.post("/api/v1/patients", headers=world.headers(team.on_call), json={
        "reference": "P-2001", "display_name": "Nova Example", "phone": NEW_PHONE, "timezone": "America/New_York",
        "preferred_checkin_time": "10:00", "channel": channel})
    assert response.status_code == 201, response.text
    assert response.json()["sms_consent"] == "pending"
    return int(response.json()["id"])


async def _patient(session: AsyncSession, pid: int) -> Patient:
    patient = await session.get(Patient, pid, populate_existing=True)
    assert patient is not None
    return patient


async def _rows(session: AsyncSession, pid: int) -> list[OutboundMessage]:
    query = select(OutboundMessage).where(OutboundMessage.patient_id == pid).order_by(OutboundMessage.id)
    return list((await session.execute(query.execution_options(populate_existing=True))).scalars())


async def test_the_welcome_goes_out_and_yes_opts_in_and_plans(
    client: httpx.AsyncClient, fake: FakeTwilio, ctx: JobContext, team: Team, world: World, sms: Sms,
    session: AsyncSession, clock: FrozenClock,
) -> None:
    clock.set(DAY)
    pid = await _enrol(client, world, team)
    await dispatch_outbox.run(ctx)
    [welcome] = [m.body for m in fake.messages_to(NEW_PHONE)]
    assert welcome == texts.welcome(team.clinic.name, daily_days=7, every_days=3, until_day=30)
    for words in (team.clinic.name, "Msg&data rates may apply", "HELP", "STOP", "Reply YES"):
        assert words in welcome
    # Pending: nothing is planned, so nothing is released.
    assert (await session.execute(select(Prompt).where(Prompt.patient_id == pid))).first() is None
    await release_prompts.run(ctx)
    await dispatch_outbox.run(ctx)
    assert len(fake.messages_to(NEW_PHONE)) == 1

    clock.advance(minutes=7)
    replies = await sms.say(NEW_PHONE, "yes")
    assert replies == [texts.consented_reply(team.clinic.name)]
    patient = await _patient(session, pid)
    assert (patient.sms_consent, patient.sms_consent_source, patient.sms_consent_changed_at) == (
        "opted_in", "sms:YES", clock.now())
    [event] = (await session.execute(select(AuditEvent).where(AuditEvent.action == "consent.opt_in"))).scalars().all()
    assert (event.subject, event.detail) == (f"patient:{pid}", {"source": "sms:YES"})
    # YES planned the patient's check-ins: the baseline PHQ-9 is released and its first question sent.
    [baseline] = (await session.execute(select(Prompt).where(Prompt.patient_id == pid))).scalars().all()
    assert baseline.slot == "phq9:baseline"
    await release_prompts.run(ctx)
    await dispatch_outbox.run(ctx)
    handed_over = [r.body for r in await _rows(session, pid) if r.purpose == "prompt" and r.status == "queued"]
    assert handed_over and handed_over[0] in [m.body for m in fake.messages_to(NEW_PHONE)]


async def test_start_opts_in_a_pending_patient_too(
    client: httpx.AsyncClient, team: Team, world: World, sms: Sms, session: AsyncSession, clock: FrozenClock,
) -> None:
    clock.set(DAY)
    pid = await _enrol(client, world, team)
    assert await sms.say(NEW_PHONE, "START") == [texts.consented_reply(team.clinic.name)]
    assert (await _patient(session, pid)).sms_consent_source == "sms:START"


async def test_a_pending_patient_in_crisis_gets_the_safety_reply_and_staff_are_paged(
    client: httpx.AsyncClient, fake: FakeTwilio, ctx: JobContext, team: Team, world: World, sms: Sms,
    session: AsyncSession, clock: FrozenClock,
) -> None:
    clock.set(DAY)
    pid = await _enrol(client, world, team)
    await sms.say(NEW_PHONE, "i am going to kill myself tonight")
    [alert] = (await session.execute(select(Alert).where(Alert.patient_id == pid))).scalars().all()
    assert (alert.severity, alert.kind) == ("urgent", "crisis")
    await dispatch_outbox.run(ctx)
    sent = [m.body for m in fake.messages_to(NEW_PHONE)]
    assert SAFETY in sent
    # The screener's first question is part of the answer to the crisis, not a routine prompt.
    assert any("C-SSRS" in b or "wished you were dead" in b.lower() for b in sent), sent
    assert any(m.body.startswith("Urgent alert") for m in fake.messages_to(team.on_call.phone or ""))
    assert (await _patient(session, pid)).sms_consent == "pending"
    assert not [r for r in await _rows(session, pid) if r.purpose == "safety_reply" and r.status == "suppressed"]


async def test_a_pending_patient_gets_help_and_is_told_how_to_start(
    client: httpx.AsyncClient, team: Team, world: World, sms: Sms, session: AsyncSession, clock: FrozenClock,
) -> None:
    clock.set(DAY)
    pid = await _enrol(client, world, team)
    assert await sms.say(NEW_PHONE, "HELP") == [texts.help_reply(team.clinic.name)]
    assert await sms.say(NEW_PHONE, "who is this?") == [
        texts.PATIENT_MESSAGE_SAVED, texts.consent_hint(team.clinic.name)]
    assert (await _patient(session, pid)).sms_consent == "pending"
    # STOP from a pending patient is an opt-out like any other: the welcome is not answered.
    assert await sms.say(NEW_PHONE, "STOP") == []
    assert (await _patient(session, pid)).sms_consent == "opted_out"


async def test_a_yes_before_the_welcome_goes_out_cancels_it(
    client: httpx.AsyncClient, fake: FakeTwilio, ctx: JobContext, team: Team, world: World, sms: Sms,
    session: AsyncSession, clock: FrozenClock,
) -> None:
    clock.set(datetime(2026, 11, 28, 3, 0, tzinfo=UTC))  # 22:00 in New York: quiet hours hold the welcome
    pid = await _enrol(client, world, team)
    [welcome] = await _rows(session, pid)
    assert (welcome.purpose, welcome.status) == ("welcome", "pending")
    assert welcome.due_at == datetime(2026, 11, 28, 13, 0, tzinfo=UTC)  # 08:00 the next morning
    await sms.say(NEW_PHONE, "YES")
    clock.set(datetime(2026, 11, 28, 13, 1, tzinfo=UTC))
    await dispatch_outbox.run(ctx)
    assert [m.body for m in fake.messages_to(NEW_PHONE)] == [texts.consented_reply(team.clinic.name)]
    assert next(r for r in await _rows(session, pid) if r.purpose == "welcome").status == "cancelled"


async def test_yes_to_the_screener_of_a_pending_patient_is_an_answer_not_consent(
    client: httpx.AsyncClient, team: Team, world: World, sms: Sms, session: AsyncSession, clock: FrozenClock,
) -> None:
    clock.set(DAY)
    pid = await _enrol(client, world, team)
    replies = await sms.say(NEW_PHONE, "i want to die")
    assert replies[-1].startswith("Have you wished you were dead"), replies
    replies = await sms.say(NEW_PHONE, "YES")
    assert replies == ["Saved: yes.", "Have you actually had any thoughts of killing yourself? Reply YES or NO"]
    assert (await _patient(session, pid)).sms_consent == "pending"
    [screener] = (await session.execute(select(Prompt).where(Prompt.patient_id == pid, Prompt.instrument == "cssrs")
                                        .execution_options(populate_existing=True))).scalars().all()
    assert screener.current_question == "cssrs_2"
    # With no question open, YES is the answer to the welcome.
    screener.status = "expired"
    await session.commit()
    assert await sms.say(NEW_PHONE, "YES") == [texts.consented_reply(team.clinic.name)]
    assert (await _patient(session, pid)).sms_consent == "opted_in"
