"""Alerts end to end: the safety reply, pages, the climb, acknowledgement and resolution."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from companion.clinical.escalation import Chain, Step, Target
from companion.clock import FrozenClock
from companion.models import Alert, AlertPage, AuditEvent, OutboundMessage
from companion.protocols import ProtocolSource, default_protocol
from jobs import dispatch_outbox, escalate_alerts
from jobs.context import JobContext
from tests.checkins.helpers import make_prompt
from tests.fakes.fake_twilio import FakeTwilio
from tests.messaging.conftest import CLINIC_NUMBER, INBOUND_URL, Sms
from tests.safety.conftest import BACKUP_PHONE, ON_CALL_PHONE, PATIENT_PHONE, Team

NIGHT = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)  # 03:00 in New York
SAFETY = default_protocol().wording.safety_reply


_sms: Sms | None = None


@pytest.fixture(autouse=True)
def _bind_sms(sms: Sms) -> None:
    global _sms
    _sms = sms


async def _say(fake: FakeTwilio, client: httpx.AsyncClient, body: str, phone: str = PATIENT_PHONE) -> list[str]:
    assert _sms is not None
    return await _sms.say(phone, body)


def _pages(fake: FakeTwilio, phone: str) -> list[str]:
    return [m.body for m in fake.messages_to(phone) if m.body.startswith("Urgent alert")]


async def _alerts(session: AsyncSession) -> list[Alert]:
    query = select(Alert).order_by(Alert.id).execution_options(populate_existing=True)
    return list((await session.execute(query)).scalars())


async def test_a_crisis_message_at_3am_gets_the_safety_reply_and_pages_at_once(
    client: httpx.AsyncClient, fake: FakeTwilio, ctx: JobContext, team: Team, session: AsyncSession,
    clock: FrozenClock,
) -> None:
    clock.set(NIGHT)
    await _say(fake, client, "i cant do this anymore, im going to kill myself tonight")
    [alert] = await _alerts(session)
    assert (alert.severity, alert.kind, alert.status) == ("urgent", "crisis", "open")
    assert alert.protocol_version == default_protocol().version
    assert alert.chain == default_protocol().chain("crisis").to_dict()
    await dispatch_outbox.run(ctx)  # quiet hours do not hold a safety reply or a page
    sent = [m.body for m in fake.messages_to(PATIENT_PHONE)]
    assert sent[0] == SAFETY  # before the screener's questions
    assert sent.count(SAFETY) == 1
    [page] = [m for m in fake.messages_to(ON_CALL_PHONE) if m.body.startswith("Urgent alert")]
    assert page.body == f"Urgent alert for patient P-1042. Reply ACK {alert.ack_code}"
    assert "kill" not in page.body and "Pat" not in page.body
    # A second message with no risk language of its own sends no second safety reply (each urgent
    # or high message does: tests/safety/test_new_risk.py).
    await _say(fake, client, "ok thanks")
    await dispatch_outbox.run(ctx)
    assert [m.body for m in fake.messages_to(PATIENT_PHONE)].count(SAFETY) == 1
    assert len(await _alerts(session)) == 1


async def test_an_overdose_in_plain_words_is_urgent_end_to_end(
    client: httpx.AsyncClient, fake: FakeTwilio, ctx: JobContext, team: Team, session: AsyncSession,
) -> None:
    """A means and an act, with no pronoun and no word of suicide, by signed webhook: an urgent alert
    whose finding shows the words, the safety reply first, and the first page."""
    await _say(fake, client, "3. took 40 of the seroquel and most of a bottle of wine")
    [alert] = await _alerts(session)
    assert (alert.severity, alert.kind) == ("urgent", "crisis")
    [finding] = alert.findings
    assert finding["rule_id"] == "language_intent"
    assert "seroquel" in finding["evidence"]
    await dispatch_outbox.run(ctx)
    assert next(m.body for m in fake.messages_to(PATIENT_PHONE)) == SAFETY
    [page] = [m for m in fake.messages_to(ON_CALL_PHONE) if m.body.startswith("Urgent alert")]
    assert "seroquel" not in page.body


async def test_another_persons_risk_is_a_routine_alert_with_no_page_and_no_screener(
    client: httpx.AsyncClient, fake: FakeTwilio, ctx: JobContext, team: Team, session: AsyncSession,
) -> None:
    """The care team sees it next business day; the patient is not asked the C-SSRS about a friend."""
    replies = await _say(fake, client, "my best friend tried to kill himself last night and i dont know what to do")
    [alert] = await _alerts(session)
    assert (alert.severity, alert.kind) == ("routine", "routine")
    assert alert.findings[0]["rule_id"] == "language_concern"
    await dispatch_outbox.run(ctx)
    assert SAFETY not in [m.body for m in fake.messages_to(PATIENT_PHONE)]
    assert _pages(fake, ON_CALL_PHONE) == []
    assert not any("Have you" in reply for reply in replies)


async def test_an_unacknowledged_alert_climbs_the_whole_chain(
    client: httpx.AsyncClient, fake: FakeTwilio, ctx: JobContext, team: Team, session: AsyncSession,
    clock: FrozenClock,
) -> None:
    clock.set(NIGHT)
    await _say(fake, client, "kms")
    for _ in range(100):
        clock.advance(minutes=1)
        await escalate_alerts.run(ctx)
        await escalate_alerts.run(ctx)  # twice: a step is never executed twice
    await dispatch_outbox.run(ctx)
    # crisis: on-call; on-call + backup; director (on-call's email) -- 3 passes.
    assert len(_pages(fake, ON_CALL_PHONE)) == 9
    assert len(_pages(fake, BACKUP_PHONE)) == 3
    [alert] = await _alerts(session)
    assert (alert.pass_no, alert.step_index, alert.escalation_end_reason) == (3, 2, "exhausted")
    steps = list((await session.execute(select(AuditEvent).where(AuditEvent.action == "alert.step"))).scalars())
    assert [(e.detail["pass"], e.detail["step"]) for e in steps] == [(p, s) for p in (1, 2, 3) for s in (0, 1, 2)]
    from companion.scheduling.watchdog import inspect

    assert any("nobody acknowledged" in p for p in await inspect(session, clock))


async def test_ack_by_sms_stops_the_climb_and_resolve_needs_a_note(
    client: httpx.AsyncClient, fake: FakeTwilio, ctx: JobContext, team: Team, session: AsyncSession,
    clock: FrozenClock,
) -> None:
    await _say(fake, client, "I want to end my life")
    [alert] = await _alerts(session)
    clock.advance(minutes=6)
    await escalate_alerts.run(ctx)  # step 2: on-call and backup
    reply = await _say(fake, client, f"ACK {alert.ack_code}", phone=BACKUP_PHONE)
    assert reply[0].startswith(f"Acknowledged alert {alert.ack_code} for P-1042")
    clock.advance(hours=2)
    await escalate_alerts.run(ctx)
    await dispatch_outbox.run(ctx)
    assert len(_pages(fake, ON_CALL_PHONE)) == 2 and len(_pages(fake, BACKUP_PHONE)) == 1
    again = await _say(fake, client, f"ack {alert.ack_code}", phone=ON_CALL_PHONE)
    assert "already acknowledged by" in again[0]
    no_note = await _say(fake, client, f"RESOLVE {alert.ack_code}", phone=ON_CALL_PHONE)
    assert "note" in no_note[0].lower()
    done = await _say(fake, client, f"RESOLVE {alert.ack_code} called patient, safe with family",
                      phone=ON_CALL_PHONE)
    assert done[0].startswith("Resolved alert")
    [alert] = await _alerts(session)
    assert (alert.status, alert.resolution_note, alert.resolved_by) == (
        "resolved", "called patient, safe with family", team.on_call.id)
    late = await _say(fake, client, f"ACK {alert.ack_code}", phone=BACKUP_PHONE)
    assert "already resolved" in late[0] and late[0].startswith("Thank you")


async def test_a_bare_ack_acknowledges_the_newest_alert_paged_to_that_person(
    client: httpx.AsyncClient, fake: FakeTwilio, team: Team, session: AsyncSession,
) -> None:
    await _say(fake, client, "going to overdose tonight")
    reply = await _say(fake, client, "ACK", phone=ON_CALL_PHONE)
    assert reply[0].startswith("Acknowledged alert")
    assert (await _alerts(session))[0].status == "acknowledged"
    assert (await _say(fake, client, "ACK", phone=ON_CALL_PHONE))[0] == "You have no open alert to acknowledge."


async def test_two_staff_acknowledging_at_once(
    client: httpx.AsyncClient, fake: FakeTwilio, team: Team, session: AsyncSession, clock: FrozenClock,
) -> None:
    await _say(fake, client, "im going to kill myself")
    [alert] = await _alerts(session)
    assert _sms is not None
    before = await _sms._last_id()
    for phone in (ON_CALL_PHONE, BACKUP_PHONE):
        response = await fake.asend_inbound(INBOUND_URL, phone, CLINIC_NUMBER, f"ACK {alert.ack_code}", client=client)
        assert response.status_code == 200
    # Two workers take the two messages at once (on PostgreSQL they really run side by side).
    await asyncio.gather(_sms.handle(), _sms.handle())
    replies = [await _sms.replies_since(before, phone) for phone in (ON_CALL_PHONE, BACKUP_PHONE)]
    firsts = sorted(r[0].split(" ")[0] for r in replies)
    assert firsts == ["Acknowledged", "Thank you."] or firsts == ["Acknowledged", "Thank"]
    acks = list((await session.execute(select(AuditEvent).where(AuditEvent.action == "alert.ack"))).scalars())
    assert len(acks) == 1


async def test_an_edited_protocol_does_not_change_a_running_climb(
    client: httpx.AsyncClient, fake: FakeTwilio, ctx: JobContext, team: Team, session: AsyncSession,
    clock: FrozenClock,
) -> None:
    await _say(fake, client, "i will kill myself")
    edited = default_protocol()
    quick = Chain(name="crisis", steps=(Step(notify=(Target("role", "admin"),), wait=timedelta(minutes=1)),), repeat=1)
    # The scheduler now runs under the edited protocol.
    ctx = replace(ctx, protocols=ProtocolSource.pinned(
        replace(edited, version="edited", chains={**edited.chains, "crisis": quick})))
    clock.advance(minutes=2)
    await escalate_alerts.run(ctx)
    [alert] = await _alerts(session)
    assert (alert.pass_no, alert.step_index) == (1, 0)  # the snapshot still waits its 5 minutes
    clock.advance(minutes=4)
    await escalate_alerts.run(ctx)
    [alert] = await _alerts(session)
    assert (alert.pass_no, alert.step_index, alert.protocol_version) == (1, 1, default_protocol().version)


async def test_a_failed_page_does_not_stop_the_chain_and_a_restart_resumes(
    client: httpx.AsyncClient, fake: FakeTwilio, ctx: JobContext, team: Team, session: AsyncSession,
    clock: FrozenClock,
) -> None:
    fake.fail_number(ON_CALL_PHONE, 21211)
    await _say(fake, client, "gonna end it all tonight")
    await dispatch_outbox.run(ctx)
    query = select(OutboundMessage).where(OutboundMessage.purpose == "staff_page")
    failed = (await session.execute(query)).scalar_one()
    assert failed.status == "gave_up" and failed.needs_attention
    clock.advance(minutes=5)
    # A fresh context, as after a restart: everything it needs is in the rows.
    fresh = JobContext(settings=ctx.settings, engine=ctx.engine, sessionmaker=ctx.sessionmaker, clock=clock,
                       gateway=ctx.gateway, protocols=ProtocolSource.from_file(ctx.settings.protocol_file))
    await escalate_alerts.run(fresh)
    await dispatch_outbox.run(fresh)
    assert len(_pages(fake, BACKUP_PHONE)) == 1
    pages = list((await session.execute(select(AlertPage).order_by(AlertPage.id))).scalars())
    assert [(p.pass_no, p.step_index) for p in pages] == [(1, 0), (1, 1), (1, 1)]


async def test_phq9_item9_starts_the_cssrs_screener_by_sms(
    client: httpx.AsyncClient, fake: FakeTwilio, ctx: JobContext, team: Team, session: AsyncSession,
    clock: FrozenClock,
) -> None:
    await make_prompt(session, clock, team.patient.id or 0, "phq9")
    for answer in ["1", "1", "1", "1", "1", "1", "1", "1"]:
        await _say(fake, client, answer)
    replies = await _say(fake, client, "2")  # item 9
    from companion.clinical.instruments import get_instrument

    cssrs = get_instrument("cssrs")
    assert replies[0].startswith("Saved: 2")
    assert replies[-1] == cssrs.questions[0].sms_text
    [alert] = await _alerts(session)
    assert (alert.severity, alert.kind) == ("high", "same_day")
    await _say(fake, client, "yes")  # 1: wished dead
    await _say(fake, client, "yes")  # 2: thoughts of killing yourself
    await _say(fake, client, "no")  # 3: how
    replies = await _say(fake, client, "yes")  # 4: intention -> high risk at once
    alerts = await _alerts(session)
    # Yes to item 1 showed low risk (routine: the dashboard queue); yes to item 4 shows high risk.
    assert [(a.severity, a.kind) for a in alerts] == [("high", "same_day"), ("routine", "routine"),
                                                       ("urgent", "crisis")]
    assert replies[-1] == cssrs.question("cssrs_5").sms_text
    await dispatch_outbox.run(ctx)
    assert [m.body for m in fake.messages_to(PATIENT_PHONE)].count(SAFETY) == 2  # once per alert


async def test_opting_out_during_an_open_alert_tells_the_care_team(
    client: httpx.AsyncClient, fake: FakeTwilio, ctx: JobContext, team: Team, session: AsyncSession,
) -> None:
    await _say(fake, client, "i want to die, going to do it tonight")
    await _say(fake, client, "STOP")
    await dispatch_outbox.run(ctx)
    told = [m.body for m in fake.messages_to(ON_CALL_PHONE) if "opted out" in m.body]
    assert told == [f"Patient P-1042 (alert {(await _alerts(session))[0].ack_code}) opted out of SMS: texts to "
                    "them will not arrive. Please call instead."]


async def test_alerts_api_lists_acknowledges_and_resolves(
    client: httpx.AsyncClient, fake: FakeTwilio, team: Team, world: object, session: AsyncSession,
) -> None:
    from tests.conftest import World

    assert isinstance(world, World)
    await _say(fake, client, "mood has been 1, i wish i was dead")
    headers = world.headers(team.on_call)
    listed = (await client.get("/api/v1/alerts", headers=headers)).json()
    assert listed and listed[0]["patient_reference"] == "P-1042" and listed[0]["step"] == "pass 1, step 1"
    alert_id = listed[0]["id"]
    acked = await client.post(f"/api/v1/alerts/{alert_id}/ack", headers=headers)
    assert acked.json()["status"] == "acknowledged"
    no_note = await client.post(f"/api/v1/alerts/{alert_id}/resolve", headers=headers, json={"note": ""})
    assert no_note.status_code == 400
    resolved = await client.post(f"/api/v1/alerts/{alert_id}/resolve", headers=headers,
                                 json={"note": "Spoke with patient; safety plan reviewed."})
    assert resolved.json()["status"] == "resolved"
    other = await world.clinic("Other")
    outsider = world.headers(await world.staff(other, "admin"))
    assert (await client.get(f"/api/v1/alerts/{alert_id}", headers=outsider)).status_code == 404
    assert (await client.post(f"/api/v1/alerts/{alert_id}/ack", headers=outsider)).status_code == 404
    assert (await client.get("/api/v1/alerts", headers=outsider)).json() == []


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ({"mood": 2}, [("high", "same_day")]),
        ({"mood": 3}, []),
    ],
)
async def test_app_answers_are_judged_as_they_arrive(
    client: httpx.AsyncClient, team: Team, world: object, session: AsyncSession, answers: dict, expected: list,
) -> None:
    from tests.conftest import World

    assert isinstance(world, World)
    response = await client.post("/api/v1/me/checkins", headers=world.patient_headers(team.patient),
                                 json={"instrument": "mood", "answers": answers})
    assert response.status_code == 201
    assert [(a.severity, a.kind) for a in await _alerts(session)] == expected
