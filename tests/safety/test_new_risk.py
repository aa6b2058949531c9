"""New risk on an alert that is already open or acknowledged: an event on the alert, a re-escalation
when the risk calls for one (the acknowledger paged first), and the patient's reply once per
message."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from companion.clinical.rules import Finding
from companion.clock import FrozenClock
from companion.models import Alert, AlertPage, AuditEvent, InboundMessage, OutboundMessage, Patient, StaffMember
from companion.protocols import default_protocol
from companion.safety.acknowledgements import acknowledge_by_sms
from companion.safety.alerts import raise_findings
from jobs import dispatch_outbox, escalate_alerts
from jobs.context import JobContext
from tests.conftest import World
from tests.fakes.fake_twilio import FakeTwilio
from tests.messaging.conftest import Sms
from tests.safety.conftest import BACKUP_PHONE, ON_CALL_PHONE, PATIENT_PHONE, Team

PROTOCOL = default_protocol()
SAFETY = PROTOCOL.wording.safety_reply


async def _alerts(session: AsyncSession) -> list[Alert]:
    query = select(Alert).order_by(Alert.id).execution_options(populate_existing=True)
    return list((await session.execute(query)).scalars())


async def _audits(session: AsyncSession, action: str) -> list[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
    return list((await session.execute(query)).scalars())


async def _pages_after(session: AsyncSession, after: int) -> list[OutboundMessage]:
    query = (
        select(OutboundMessage)
        .where(OutboundMessage.purpose == "staff_page", OutboundMessage.id > after)
        .order_by(OutboundMessage.id)
    )
    return list((await session.execute(query)).scalars())


async def _last_message_id(session: AsyncSession) -> int:
    return int((await session.execute(select(func.max(OutboundMessage.id)))).scalar_one() or 0)


def _sent_to_patient(fake: FakeTwilio) -> list[str]:
    return [m.body for m in fake.messages_to(PATIENT_PHONE)]


def _finding(rule_id: str, severity: str, chain: str, safety_reply: str = "safety") -> Finding:
    return Finding(rule_id=rule_id, kind=rule_id, severity=severity, chain=chain,  # type: ignore[arg-type]
                   safety_reply=safety_reply, evidence="test")  # type: ignore[arg-type]


async def test_new_urgent_risk_after_an_acknowledgement_reopens_the_alert_and_pages_the_acknowledger_first(
    sms: Sms, fake: FakeTwilio, ctx: JobContext, team: Team, session: AsyncSession, clock: FrozenClock,
) -> None:
    await sms.say(PATIENT_PHONE, "kms")
    [alert] = await _alerts(session)
    clock.advance(minutes=6)
    await escalate_alerts.run(ctx)  # step 2: on-call and backup
    reply = await sms.say(BACKUP_PHONE, f"ACK {alert.ack_code}")
    assert reply[0].startswith("Acknowledged alert")
    clock.advance(minutes=30)
    before = await _last_message_id(session)
    await sms.say(PATIENT_PHONE, "I want to end my life")
    [alert] = await _alerts(session)
    assert (alert.status, alert.severity, alert.acknowledged_at, alert.acknowledged_by) == ("open", "urgent", None,
                                                                                         None)
    assert (alert.pass_no, alert.step_index, alert.escalation_ended_at) == (1, 0, None)
    assert alert.next_step_at == clock.now() + PROTOCOL.chain("crisis").steps[0].wait
    # The restarted first step pages whoever acknowledged first, then its own target (on call).
    pages = await _pages_after(session, before)
    assert [p.staff_id for p in pages] == [team.backup.id, team.on_call.id]
    assert all(p.body == f"Urgent alert for patient P-1042. Reply ACK {alert.ack_code}" for p in pages)
    rows = list((await session.execute(select(AlertPage).where(AlertPage.pass_no == 2))).scalars())
    assert sorted(r.staff_id for r in rows) == sorted([team.backup.id, team.on_call.id])
    [event] = await _audits(session, "alert.reescalate")
    assert event.detail["acknowledged_by"] == team.backup.id
    assert (event.detail["from_severity"], event.detail["to_severity"]) == ("urgent", "urgent")
    assert event.detail["from_status"] == "acknowledged" and event.detail["rules"]
    [finding_event] = await _audits(session, "alert.finding")
    assert finding_event.detail["severity"] == "urgent" and finding_event.detail["source"] == "sms:message"
    await dispatch_outbox.run(ctx)
    assert _sent_to_patient(fake).count(SAFETY) == 2
    # The climb goes on from there: nobody acknowledges, the second step comes on time.
    clock.advance(minutes=6)
    await escalate_alerts.run(ctx)
    [alert] = await _alerts(session)
    assert (alert.pass_no, alert.step_index) == (1, 1)
    assert {p.staff_id for p in await _pages_after(session, before)} == {team.backup.id, team.on_call.id}
    assert len(await _pages_after(session, before)) == 4
    # And it can be acknowledged again.
    assert (await sms.say(ON_CALL_PHONE, f"ACK {alert.ack_code}"))[0].startswith("Acknowledged alert")


async def test_an_acknowledger_who_is_the_steps_target_is_paged_once(
    sms: Sms, team: Team, session: AsyncSession, clock: FrozenClock,
) -> None:
    await sms.say(PATIENT_PHONE, "kms")
    [alert] = await _alerts(session)
    await sms.say(ON_CALL_PHONE, f"ACK {alert.ack_code}")
    before = await _last_message_id(session)
    clock.advance(minutes=10)
    await sms.say(PATIENT_PHONE, "im going to kill myself tonight")
    pages = await _pages_after(session, before)
    assert [p.staff_id for p in pages] == [team.on_call.id]
    assert (await _alerts(session))[0].status == "open"


async def _high_alert_acknowledged(session: AsyncSession, clock: FrozenClock, team: Team) -> tuple[Patient, Alert]:
    patient = await session.get(Patient, team.patient.id)
    assert patient is not None
    [raised] = await raise_findings(session, clock, PROTOCOL, patient, [_finding("mood_low", "high", "same_day")],
                                    source="sms:checkin:1", reply_key="sms:1")
    staff = await session.get(StaffMember, team.on_call.id)
    assert staff is not None
    reply = await acknowledge_by_sms(session, clock, PROTOCOL, staff, raised.alert.ack_code)
    assert reply.startswith("Acknowledged")
    await session.commit()
    return patient, raised.alert


@pytest.mark.parametrize("chain", ["same_day", "crisis"])
async def test_a_high_alert_acknowledged_then_urgent_risk_of_its_chain_is_reopened_at_urgent(
    chain: str, team: Team, session: AsyncSession, clock: FrozenClock,
) -> None:
    patient, alert = await _high_alert_acknowledged(session, clock, team)
    clock.advance(minutes=20)
    raised = await raise_findings(session, clock, PROTOCOL, patient, [_finding("rule_x", "urgent", chain)],
                                  source="sms:message", reply_key="sms:2")
    await session.commit()
    if chain == "crisis":
        # Another chain: a new alert, and the acknowledged one stays as it was.
        assert [r.opened for r in raised] == [True]
        first, second = await _alerts(session)
        assert (first.status, first.severity) == ("acknowledged", "high")
        assert (second.status, second.severity) == ("open", "urgent")
        return
    [again] = await _alerts(session)
    assert again.id == alert.id and raised[0].opened is False
    assert (again.status, again.severity, again.acknowledged_at) == ("open", "urgent", None)
    assert (again.pass_no, again.step_index) == (1, 0)
    [event] = await _audits(session, "alert.reescalate")
    assert (event.detail["from_severity"], event.detail["to_severity"]) == ("high", "urgent")
    assert event.detail["acknowledged_by"] == team.on_call.id
    pages = await _pages_after(session, 0)
    assert pages[-1].body == f"Urgent alert for patient P-1042. Reply ACK {again.ack_code}"
    assert pages[-1].staff_id == team.on_call.id


async def test_more_severe_risk_on_an_open_alert_raises_it_and_restarts_its_chain(
    team: Team, session: AsyncSession, clock: FrozenClock,
) -> None:
    patient = await session.get(Patient, team.patient.id)
    assert patient is not None
    await raise_findings(session, clock, PROTOCOL, patient, [_finding("mood_low", "high", "same_day")],
                         source="app:checkin:1", reply_key="answer:1")
    clock.advance(minutes=61)
    await raise_findings(session, clock, PROTOCOL, patient, [_finding("rule_x", "urgent", "same_day")],
                         source="app:checkin:2", reply_key="answer:2")
    await session.commit()
    [alert] = await _alerts(session)
    assert (alert.status, alert.severity, alert.pass_no, alert.step_index) == ("open", "urgent", 1, 0)
    [event] = await _audits(session, "alert.reescalate")
    assert event.detail["acknowledged_by"] is None and event.detail["from_status"] == "open"


async def test_two_urgent_messages_on_an_open_alert_get_two_replies_and_no_extra_page(
    sms: Sms, fake: FakeTwilio, ctx: JobContext, team: Team, session: AsyncSession, clock: FrozenClock,
) -> None:
    await sms.say(PATIENT_PHONE, "kms")
    clock.advance(minutes=1)
    await sms.say(PATIENT_PHONE, "im going to kill myself tonight")
    await dispatch_outbox.run(ctx)
    assert _sent_to_patient(fake).count(SAFETY) == 2
    [alert] = await _alerts(session)
    assert (alert.status, alert.pass_no, alert.step_index) == ("open", 1, 0)
    assert [p.staff_id for p in await _pages_after(session, 0)] == [team.on_call.id]
    assert await _audits(session, "alert.reescalate") == []
    assert len(await _audits(session, "alert.finding")) == 1
    # The chain's own schedule pages next, and only then.
    clock.advance(minutes=3)
    await escalate_alerts.run(ctx)
    assert len(await _pages_after(session, 0)) == 1
    clock.advance(minutes=2)
    await escalate_alerts.run(ctx)
    assert len(await _pages_after(session, 0)) == 3


async def test_the_same_message_handled_twice_gets_one_reply(
    sms: Sms, fake: FakeTwilio, ctx: JobContext, team: Team, session: AsyncSession, clock: FrozenClock,
) -> None:
    await sms.say(PATIENT_PHONE, "kms")
    await sms.say(PATIENT_PHONE, "im going to kill myself tonight")
    [alert] = await _alerts(session)
    await sms.say(ON_CALL_PHONE, f"ACK {alert.ack_code}")
    findings = len(alert.findings)
    # Each patient message handled again, as after a crash between handling and recording it.
    patient_messages = InboundMessage.from_phone == PATIENT_PHONE  # type: ignore[arg-type]
    await session.execute(update(InboundMessage).where(patient_messages).values(status="received"))
    await session.commit()
    assert await sms.handle() == 2
    statuses = (await session.execute(select(InboundMessage.status).where(patient_messages))).scalars().all()
    assert set(statuses) == {"handled"}
    await dispatch_outbox.run(ctx)
    assert _sent_to_patient(fake).count(SAFETY) == 2
    [alert] = await _alerts(session)
    assert len(alert.findings) == findings
    assert alert.status == "acknowledged"  # a repeat is not new risk
    assert await _audits(session, "alert.reescalate") == []


async def test_routine_risk_joining_an_acknowledged_alert_is_only_an_event(
    team: Team, session: AsyncSession, clock: FrozenClock,
) -> None:
    patient, _ = await _high_alert_acknowledged(session, clock, team)
    before = await _last_message_id(session)
    await raise_findings(session, clock, PROTOCOL, patient, [_finding("rule_r", "routine", "same_day", "none")],
                         source="sms:message", reply_key="sms:3")
    await session.commit()
    [again] = await _alerts(session)
    assert (again.status, again.severity) == ("acknowledged", "high")
    assert await _last_message_id(session) == before  # no page, no reply
    [event] = await _audits(session, "alert.finding")
    assert event.detail == {"rules": ["rule_r"], "severity": "routine", "source": "sms:message"}
    assert again.findings[-1]["rule_id"] == "rule_r"


async def test_an_app_check_in_with_urgent_risk_on_an_open_alert_gets_one_reply_per_submission(
    sms: Sms, client: httpx.AsyncClient, world: World, fake: FakeTwilio, ctx: JobContext, team: Team,
    session: AsyncSession,
) -> None:
    await sms.say(PATIENT_PHONE, "kms")
    submission = {"instrument": "mood", "answers": {"mood": 1, "note": "im going to kill myself tonight"},
                  "client_ref": "risk-000001"}
    for _ in range(2):  # sent again, as an offline app does
        response = await client.post("/api/v1/me/checkins", headers=world.patient_headers(team.patient),
                                     json=submission)
        assert response.status_code in {200, 201}, response.text
    await dispatch_outbox.run(ctx)
    assert _sent_to_patient(fake).count(SAFETY) == 2
    crisis = [a for a in await _alerts(session) if a.kind == "crisis"]
    assert len(crisis) == 1 and crisis[0].status == "open"
