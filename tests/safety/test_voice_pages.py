"""Voice pages end to end: a crisis by signed SMS webhook raises an alert whose chain pages by voice;
the call goes out through the real Twilio SDK to the fake Twilio, which posts the signed call
statuses and the signed keypad input a person gives; 1 acknowledges as that person, the timeline
says so; a call nobody answers is recorded and the next step still pages on its timer."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from companion.clinical.protocol import Protocol, parse_protocol
from companion.clock import FrozenClock
from companion.messaging import voice
from companion.models import Alert, AlertPage, AuditEvent, OutboundMessage
from companion.protocols.files import DEFAULT_PROTOCOL_FILE
from jobs import dispatch_outbox, escalate_alerts
from jobs.context import JobContext
from tests.conftest import World
from tests.fakes.fake_twilio import FakeTwilio, PlacedCall
from tests.messaging.conftest import CLINIC_NUMBER, PUBLIC, Sms
from tests.safety.conftest import BACKUP_PHONE, ON_CALL_PHONE, PATIENT_PHONE, Team

NIGHT = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)  # 03:00 in New York
CRISIS = "i am going to kill myself tonight"
FIRST_STEP = '''[[chains.crisis.steps]]
notify = ["oncall:on_call_clinician"]
wait_minutes = 5
'''
SECOND_STEP = '''[[chains.crisis.steps]]
notify = ["oncall:on_call_clinician", "oncall:backup_clinician"]
wait_minutes = 10
'''


def _default_with(first: str = "sms", second: str = "sms", first_notify: str | None = None) -> Protocol:
    """The shipped protocol with the crisis chain's first two steps paging ``via`` these (and the
    first step paging ``first_notify`` instead of the on-call clinician)."""
    text = DEFAULT_PROTOCOL_FILE.read_text(encoding="utf-8")
    assert FIRST_STEP in text and SECOND_STEP in text
    step = FIRST_STEP if first_notify is None else FIRST_STEP.replace("oncall:on_call_clinician", first_notify)
    text = text.replace(FIRST_STEP, step + f'via = "{first}"\n', 1)
    text = text.replace(SECOND_STEP, SECOND_STEP + f'via = "{second}"\n', 1)
    return parse_protocol(text.replace('version = "default-2026.1"', 'version = "voice-test"'), "voice-test")


BOTH_FIRST = _default_with(first="both")
VOICE_ONLY = _default_with(first="voice", second="voice")


async def _alert(session: AsyncSession) -> Alert:
    query = select(Alert).execution_options(populate_existing=True)
    [alert] = (await session.execute(query)).scalars().all()
    return alert


async def _row(session: AsyncSession, sid: str) -> OutboundMessage:
    query = select(OutboundMessage).where(OutboundMessage.provider_sid == sid).execution_options(populate_existing=True)
    return (await session.execute(query)).scalar_one()


async def _events(client: httpx.AsyncClient, world: World, team: Team, alert_id: int) -> list[dict[str, object]]:
    response = await client.get(f"/api/v1/alerts/{alert_id}/events", headers=world.headers(team.on_call))
    assert response.status_code == 200, response.text
    return response.json()


def _only_call(fake: FakeTwilio, phone: str) -> PlacedCall:
    [call] = fake.calls_to(phone)
    return call


@pytest.mark.protocol(BOTH_FIRST)
async def test_a_crisis_pages_by_call_and_pressing_1_acknowledges_as_the_person_called(
    client: httpx.AsyncClient, fake: FakeTwilio, ctx: JobContext, team: Team, world: World, session: AsyncSession,
    clock: FrozenClock, sms: Sms,
) -> None:
    clock.set(NIGHT)
    await sms.say(PATIENT_PHONE, CRISIS)
    alert = await _alert(session)
    assert alert.chain["steps"][0]["via"] == "both" and "via" not in alert.chain["steps"][1]
    await dispatch_outbox.run(ctx)
    # "both": the text page and the call, to the on-call clinician only.
    [text] = [m for m in fake.messages_to(ON_CALL_PHONE) if m.body.startswith("Urgent alert")]
    assert text.body == f"Urgent alert for patient P-1042. Reply ACK {alert.ack_code}"
    call = _only_call(fake, ON_CALL_PHONE)
    assert fake.calls_to(BACKUP_PHONE) == [] and call.from_ == CLINIC_NUMBER
    page = (await session.execute(select(AlertPage))).scalar_one()
    assert page.message_id is not None and page.call_message_id is not None
    # What the call says: the severity and the reference, never the patient's words or name.
    said = call.said()
    assert said[0] == "Urgent alert from the companion for patient P 1 0 4 2. Press 1 to acknowledge."
    assert said == [said[0], said[0], voice.NOTHING_PRESSED]  # asked again when nothing is pressed
    assert not any(word in " ".join(said) for word in ("kill", team.patient.display_name, alert.ack_code))
    gather_url = f"{PUBLIC}/webhooks/twilio/voice/gather?message_id={page.call_message_id}"
    assert [g["action"] for g in call.gathers()] == [gather_url, gather_url]
    assert {g["numDigits"] for g in call.gathers()} == {"1"}
    assert call.status_callback == f"{PUBLIC}/webhooks/twilio/voice/status?message_id={page.call_message_id}"
    assert set(call.status_callback_events) == {"initiated", "ringing", "answered", "completed"}
    row = await _row(session, call.sid)
    assert (row.channel, row.status, row.staff_id) == ("voice", "queued", team.on_call.id)

    for status in ("initiated", "ringing", "in-progress"):
        assert (await fake.asend_call_status(call.sid, status, client=client)).status_code == 204
    assert (await _row(session, call.sid)).status == "in-progress"
    answer = await fake.agather(call.sid, "1", client=client)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("application/xml")
    assert "The alert is acknowledged" in answer.text and "<Hangup" in answer.text
    alert = await _alert(session)
    assert (alert.status, alert.acknowledged_by) == ("acknowledged", team.on_call.id)
    [ack] = (await session.execute(select(AuditEvent).where(AuditEvent.action == "alert.ack"))).scalars().all()
    assert (ack.actor, ack.detail) == (f"staff:{team.on_call.id}", {"channel": "voice"})
    await fake.asend_call_status(call.sid, "completed", client=client)
    assert (await _row(session, call.sid)).status == "completed"

    # Acknowledged: the chain stops; nothing more is paged however long nobody else answers.
    clock.advance(minutes=30)
    await escalate_alerts.run(ctx)
    await dispatch_outbox.run(ctx)
    assert len(fake.calls) == 1 and fake.messages_to(BACKUP_PHONE) == []

    events = await _events(client, world, team, alert.id or 0)
    pages = [e for e in events if e["kind"] == "page"]
    assert [(e["by"], e["detail"]["channel"]) for e in pages] == [
        (team.on_call.name, "sms"), (team.on_call.name, "voice")]
    voice_page = pages[1]
    assert voice_page["status"] == "completed"
    assert voice_page["text"] == f"Voice page to {team.on_call.name} (pass 1, step 1): completed"
    [step] = [e for e in events if e["kind"] == "step"]
    assert str(step["text"]).endswith("by SMS and voice call")
    [acknowledged] = [e for e in events if e["kind"] == "acknowledged"]
    assert acknowledged["text"] == f"Acknowledged by {team.on_call.name} by voice call (pressed 1)"
    assert acknowledged["by"] == team.on_call.name


@pytest.mark.protocol(VOICE_ONLY)
async def test_a_call_nobody_answers_is_recorded_and_the_next_step_still_pages_on_its_timer(
    client: httpx.AsyncClient, fake: FakeTwilio, ctx: JobContext, team: Team, world: World, session: AsyncSession,
    clock: FrozenClock, sms: Sms,
) -> None:
    clock.set(NIGHT)
    await sms.say(PATIENT_PHONE, CRISIS)
    await dispatch_outbox.run(ctx)
    first = _only_call(fake, ON_CALL_PHONE)
    assert [m for m in fake.messages_to(ON_CALL_PHONE) if m.body.startswith("Urgent alert")] == []  # voice only
    await fake.asend_call_status(first.sid, "ringing", client=client)
    await fake.asend_call_status(first.sid, "no-answer", client=client)
    row = await _row(session, first.sid)
    assert (row.status, row.needs_attention) == ("no-answer", False)
    # A late "ringing" never moves the call back.
    await fake.asend_call_status(first.sid, "ringing", client=client)
    assert (await _row(session, first.sid)).status == "no-answer"
    alert = await _alert(session)
    assert alert.status == "open" and (alert.pass_no, alert.step_index) == (1, 0)

    clock.advance(minutes=4)
    await escalate_alerts.run(ctx)
    await dispatch_outbox.run(ctx)
    assert len(fake.calls) == 1  # the step's wait is not over
    clock.advance(minutes=1)
    await escalate_alerts.run(ctx)
    await dispatch_outbox.run(ctx)
    # Step 2 calls the on-call clinician again and the backup.
    assert len(fake.calls_to(ON_CALL_PHONE)) == 2
    backup = _only_call(fake, BACKUP_PHONE)
    await fake.asend_call_status(backup.sid, "busy", client=client)
    alert = await _alert(session)
    assert (alert.pass_no, alert.step_index, alert.status) == (1, 1, "open")

    events = await _events(client, world, team, alert.id or 0)
    voice_pages = [(e["by"], e["status"]) for e in events if e["kind"] == "page"]
    assert voice_pages == [(team.on_call.name, "no-answer"), (team.on_call.name, "queued"),
                           (team.backup.name, "busy")]
    assert all(e["detail"]["channel"] == "voice" for e in events if e["kind"] == "page")


@pytest.mark.protocol(VOICE_ONLY)
async def test_a_gather_with_a_bad_signature_is_refused_and_acknowledges_nothing(
    client: httpx.AsyncClient, fake: FakeTwilio, ctx: JobContext, team: Team, session: AsyncSession, sms: Sms,
) -> None:
    await sms.say(PATIENT_PHONE, CRISIS)
    await dispatch_outbox.run(ctx)
    call = _only_call(fake, ON_CALL_PHONE)
    refused = await fake.agather(call.sid, "1", signature="bm90IGEgc2lnbmF0dXJl", client=client)
    assert refused.status_code == 403
    unsigned = await client.post(f"{PUBLIC}/webhooks/twilio/voice/gather", data={"CallSid": call.sid, "Digits": "1"})
    assert unsigned.status_code == 403
    status = await fake.asend_call_status(call.sid, "completed", signature="bm90IGEgc2lnbmF0dXJl", client=client)
    assert status.status_code == 403
    alert = await _alert(session)
    assert alert.status == "open" and alert.acknowledged_by is None
    assert (await _row(session, call.sid)).status == "queued"


@pytest.mark.protocol(VOICE_ONLY)
@pytest.mark.parametrize(("digits", "said"), [
    ("2", "You pressed 2. The alert is not acknowledged."),
    ("", "No key was pressed. The alert is not acknowledged."),
    ("#", "You pressed #. The alert is not acknowledged."),
])
async def test_another_key_acknowledges_nothing_and_the_call_says_so(
    client: httpx.AsyncClient, fake: FakeTwilio, ctx: JobContext, team: Team, session: AsyncSession, sms: Sms,
    digits: str, said: str,
) -> None:
    await sms.say(PATIENT_PHONE, CRISIS)
    await dispatch_outbox.run(ctx)
    call = _only_call(fake, ON_CALL_PHONE)
    answer = await fake.agather(call.sid, digits, client=client)
    assert answer.status_code == 200 and said in answer.text
    assert (await _alert(session)).status == "open"


@pytest.mark.protocol(VOICE_ONLY)
async def test_pressing_1_after_a_colleague_acknowledged_says_who_did(
    client: httpx.AsyncClient, fake: FakeTwilio, ctx: JobContext, team: Team, session: AsyncSession, sms: Sms,
) -> None:
    await sms.say(PATIENT_PHONE, CRISIS)
    await dispatch_outbox.run(ctx)
    call = _only_call(fake, ON_CALL_PHONE)
    alert = await _alert(session)
    [reply] = await sms.say(BACKUP_PHONE, f"ACK {alert.ack_code}")
    assert reply.startswith("Acknowledged")
    answer = await fake.agather(call.sid, "1", client=client)
    assert f"already acknowledged by {team.backup.name}" in answer.text
    alert = await _alert(session)
    assert alert.acknowledged_by == team.backup.id
