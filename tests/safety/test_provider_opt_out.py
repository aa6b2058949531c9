"""An opt-out the provider reports (Twilio 21610), by status callback or as a send error, has the
outcomes of a STOP: consent recorded with its time and source, audited, the patient's routine
messages cancelled, and whoever was paged for an open serious alert told. An undelivered prompt
during an open alert is still a safety finding."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from companion.clock import FrozenClock
from companion.messaging import outbox
from companion.messaging.policy import Purpose
from companion.models import Alert, AuditEvent, OutboundMessage, Patient
from jobs import dispatch_outbox
from jobs.context import JobContext
from tests.fakes.fake_twilio import FakeTwilio
from tests.messaging.conftest import Sms
from tests.safety.conftest import ON_CALL_PHONE, PATIENT_PHONE, Team

CRISIS = "i want to die, going to do it tonight"


async def _alerts(session: AsyncSession) -> list[Alert]:
    query = select(Alert).order_by(Alert.id).execution_options(populate_existing=True)
    return list((await session.execute(query)).scalars())


async def _open_urgent_alert(sms: Sms, ctx: JobContext, fake: FakeTwilio, session: AsyncSession) -> Alert:
    """A crisis message: an urgent alert, its safety reply sent and the on-call clinician paged."""
    await sms.say(PATIENT_PHONE, CRISIS)
    await dispatch_outbox.run(ctx)
    [alert] = await _alerts(session)
    assert (alert.severity, alert.status) == ("urgent", "open")
    assert any(m.body.startswith("Urgent alert") for m in fake.messages_to(ON_CALL_PHONE))
    return alert


async def _enqueue(session: AsyncSession, clock: FrozenClock, patient: Patient, purpose: Purpose, body: str,
                   due_in: timedelta = timedelta()) -> int:
    stored = await session.get(Patient, patient.id)
    message = await outbox.enqueue(session, clock, to_phone=PATIENT_PHONE, purpose=purpose, body=body,
                                   clinic_id=patient.clinic_id, patient=stored, due_at=clock.now() + due_in)
    await session.commit()
    assert message.id is not None
    return message.id


async def _routine_later(session: AsyncSession, clock: FrozenClock, patient: Patient) -> list[int]:
    return [await _enqueue(session, clock, patient, purpose, f"later {purpose.value}", timedelta(hours=3))
            for purpose in (Purpose.PROMPT, Purpose.REMINDER)]


async def _status(session: AsyncSession, message_id: int) -> str:
    row = await session.get(OutboundMessage, message_id)
    assert row is not None
    await session.refresh(row)
    return row.status


async def _assert_opted_out_as_by_stop(
    session: AsyncSession, ctx: JobContext, fake: FakeTwilio, clock: FrozenClock, patient: Patient, alert: Alert,
    later: list[int],
) -> None:
    stored = await session.get(Patient, patient.id)
    assert stored is not None
    await session.refresh(stored)
    assert (stored.sms_consent, stored.sms_consent_source) == ("opted_out", "provider:21610")
    assert stored.sms_consent_changed_at == clock.now()
    audits = (await session.execute(select(AuditEvent).where(AuditEvent.action == "consent.opt_out"))).scalars().all()
    assert [(a.subject, a.detail) for a in audits] == [(f"patient:{patient.id}", {"source": "provider:21610"})]
    assert [await _status(session, m) for m in later] == ["cancelled", "cancelled"]
    await dispatch_outbox.run(ctx)
    told = [m.body for m in fake.messages_to(ON_CALL_PHONE) if "opted out" in m.body]
    assert f"Patient P-1042 (alert {alert.ack_code}) opted out of SMS: texts to them will not arrive. " \
           "Please call instead." in told
    assert not [m.body for m in fake.messages_to(PATIENT_PHONE) if m.body.startswith("later")]


async def test_an_opt_out_reported_by_status_callback_is_a_stop(
    client: httpx.AsyncClient, sms: Sms, fake: FakeTwilio, ctx: JobContext, team: Team, session: AsyncSession,
    clock: FrozenClock,
) -> None:
    alert = await _open_urgent_alert(sms, ctx, fake, session)
    prompt = await _enqueue(session, clock, team.patient, Purpose.PROMPT, "How is your mood today?")
    later = await _routine_later(session, clock, team.patient)
    await dispatch_outbox.run(ctx)
    [sent] = [m for m in fake.messages_to(PATIENT_PHONE) if m.body == "How is your mood today?"]
    assert await fake.asend_status(sent.sid, "undelivered", 21610, client=client) == 204
    assert await _status(session, prompt) == "undelivered"
    await _assert_opted_out_as_by_stop(session, ctx, fake, clock, team.patient, alert, later)


async def test_an_opt_out_refused_at_send_is_a_stop(
    sms: Sms, fake: FakeTwilio, ctx: JobContext, team: Team, session: AsyncSession, clock: FrozenClock,
) -> None:
    alert = await _open_urgent_alert(sms, ctx, fake, session)
    fake.fail_number(PATIENT_PHONE, 21610)
    prompt = await _enqueue(session, clock, team.patient, Purpose.PROMPT, "How is your mood today?")
    later = await _routine_later(session, clock, team.patient)
    await dispatch_outbox.run(ctx)
    assert await _status(session, prompt) == "gave_up"
    await _assert_opted_out_as_by_stop(session, ctx, fake, clock, team.patient, alert, later)
    told = [m.body for m in fake.messages_to(ON_CALL_PHONE) if "opted out" in m.body]
    assert len(told) == 1  # one open serious alert, one clinician paged for it


async def test_an_undelivered_prompt_during_an_open_alert_is_a_finding(
    client: httpx.AsyncClient, sms: Sms, fake: FakeTwilio, ctx: JobContext, team: Team, session: AsyncSession,
    clock: FrozenClock,
) -> None:
    await _open_urgent_alert(sms, ctx, fake, session)
    fake.fail_number(PATIENT_PHONE, 30005)
    await _enqueue(session, clock, team.patient, Purpose.PROMPT, "How is your mood today?")
    await dispatch_outbox.run(ctx)
    [sent] = [m for m in fake.messages_to(PATIENT_PHONE) if m.body == "How is your mood today?"]
    await fake.asend_lifecycle(sent.sid, client=client)
    alerts = await _alerts(session)
    assert [(a.severity, a.kind, a.status) for a in alerts] == [("urgent", "crisis", "open"),
                                                                ("high", "same_day", "open")]
    assert [(f["rule_id"], f["source"]) for f in alerts[1].findings] == [
        ("undelivered_during_alert", "provider:undelivered")]
    stored = await session.get(Patient, team.patient.id)
    assert stored is not None
    await session.refresh(stored)
    assert stored.sms_consent != "opted_out"


async def test_an_undelivered_prompt_without_an_open_alert_raises_nothing(
    client: httpx.AsyncClient, fake: FakeTwilio, ctx: JobContext, team: Team, session: AsyncSession,
    clock: FrozenClock,
) -> None:
    fake.fail_number(PATIENT_PHONE, 30005)
    await _enqueue(session, clock, team.patient, Purpose.PROMPT, "How is your mood today?")
    await dispatch_outbox.run(ctx)
    [sent] = fake.messages_to(PATIENT_PHONE)
    await fake.asend_lifecycle(sent.sid, client=client)
    assert await _alerts(session) == []
