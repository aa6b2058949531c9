"""When a voice page cannot reach its person: a call the provider refuses or that fails pages that
person by SMS instead (once, and only while the alert is open), and a voice step naming somebody
without a phone number fails loud exactly as a text page does (docs/sms.md, "Voice pages")."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from companion.clinical.protocol import check_against_clinic
from companion.clinical.protocol.clinic_check import Member
from companion.clock import FrozenClock
from companion.messaging.gateways import TwilioGateway
from companion.models import AlertPage, AuditEvent, OutboundMessage
from companion.settings import Settings
from jobs import dispatch_outbox
from jobs.context import JobContext
from tests.conftest import World
from tests.fakes.fake_twilio import FakeTwilio
from tests.messaging.conftest import Sms
from tests.safety.conftest import BACKUP_PHONE, ON_CALL_PHONE, PATIENT_PHONE, Team
from tests.safety.test_voice_pages import CRISIS, VOICE_ONLY, _alert, _default_with, _events, _row

NIGHT = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
NO_PHONE = "nophone@demo.clinic"
TO_NO_PHONE = _default_with(first="voice", first_notify=f"staff:{NO_PHONE}")


def _pages_to(fake: FakeTwilio, phone: str) -> list[str]:
    return [m.body for m in fake.messages_to(phone) if m.body.startswith("Urgent alert")]


@pytest.mark.protocol(VOICE_ONLY)
async def test_a_call_that_fails_pages_that_person_by_sms_instead(
    client: httpx.AsyncClient, fake: FakeTwilio, ctx: JobContext, team: Team, world: World, session: AsyncSession,
    clock: FrozenClock, sms: Sms,
) -> None:
    clock.set(NIGHT)
    await sms.say(PATIENT_PHONE, CRISIS)
    await dispatch_outbox.run(ctx)
    [call] = fake.calls_to(ON_CALL_PHONE)
    assert _pages_to(fake, ON_CALL_PHONE) == []
    await fake.asend_call_status(call.sid, "failed", client=client)
    row = await _row(session, call.sid)
    assert (row.status, row.needs_attention) == ("failed", True)
    await dispatch_outbox.run(ctx)
    alert = await _alert(session)
    assert _pages_to(fake, ON_CALL_PHONE) == [f"Urgent alert for patient P-1042. Reply ACK {alert.ack_code}"]
    # The same news twice sends no second text.
    await fake.asend_call_status(call.sid, "failed", client=client)
    await dispatch_outbox.run(ctx)
    assert len(_pages_to(fake, ON_CALL_PHONE)) == 1
    events = await _events(client, world, team, alert.id or 0)
    assert [e["detail"]["channel"] for e in events if e["kind"] == "page"] == ["sms", "voice"]
    [instead] = [e for e in events if e["kind"] == "page_by_sms_instead"]
    assert instead["text"] == f"The voice page to {team.on_call.name} failed: paged by SMS instead"


@pytest.mark.protocol(VOICE_ONLY)
async def test_without_a_number_to_call_from_the_page_goes_by_sms(
    fake: FakeTwilio, ctx: JobContext, team: Team, session: AsyncSession, sms: Sms, settings: Settings,
) -> None:
    """A Messaging Service sends texts but places no calls: the call is refused for good, surfaced,
    and the person is texted instead."""
    texts_only = settings.model_copy(update={"twilio_from_number": None,
                                             "twilio_messaging_service_sid": "MG" + "0" * 32})
    gateway = TwilioGateway(texts_only, timeout=2.0)
    ctx = replace(ctx, gateway=gateway)
    await sms.say(PATIENT_PHONE, CRISIS)
    try:
        await dispatch_outbox.run(ctx)
        assert fake.calls == []
        query = select(OutboundMessage).where(OutboundMessage.channel == "voice")
        [call] = (await session.execute(query)).scalars()
        assert (call.status, call.needs_attention) == ("gave_up", True)
        await dispatch_outbox.run(ctx)
    finally:
        await gateway.close()
    [text] = fake.messages_to(ON_CALL_PHONE)
    assert text.body.startswith("Urgent alert for patient P-1042. Reply ACK") and text.messaging_service_sid
    page = (await session.execute(select(AlertPage))).scalar_one()
    assert page.call_message_id == call.id and page.message_id is not None


@pytest.mark.protocol(VOICE_ONLY)
async def test_a_failed_call_after_the_alert_was_acknowledged_texts_nobody(
    client: httpx.AsyncClient, fake: FakeTwilio, ctx: JobContext, team: Team, session: AsyncSession, sms: Sms,
) -> None:
    await sms.say(PATIENT_PHONE, CRISIS)
    await dispatch_outbox.run(ctx)
    [call] = fake.calls_to(ON_CALL_PHONE)
    alert = await _alert(session)
    await sms.say(BACKUP_PHONE, f"ACK {alert.ack_code}")
    await fake.asend_call_status(call.sid, "failed", client=client)
    await dispatch_outbox.run(ctx)
    assert _pages_to(fake, ON_CALL_PHONE) == []


@pytest.mark.protocol(TO_NO_PHONE)
async def test_a_voice_step_for_somebody_without_a_phone_fails_loud_as_a_text_page_does(
    client: httpx.AsyncClient, fake: FakeTwilio, ctx: JobContext, team: Team, world: World, session: AsyncSession,
    sms: Sms,
) -> None:
    """Nobody the step names can be called: the step is recorded as reaching nobody it names, the
    clinic's clinicians and admins are called instead, and the clinic check names the place."""
    no_phone = await world.staff(team.clinic, "clinician", email=NO_PHONE, phone=None)
    await sms.say(PATIENT_PHONE, CRISIS)
    await dispatch_outbox.run(ctx)
    assert {c.to for c in fake.calls} == {ON_CALL_PHONE, BACKUP_PHONE}
    [step] = (await session.execute(select(AuditEvent).where(AuditEvent.action == "alert.step"))).scalars().all()
    assert step.detail["unreached"] == [f"staff:{NO_PHONE}"] and step.detail["fallback"] is True
    assert step.detail["via"] == "voice" and no_phone.id not in step.detail["paged_staff"]
    alert = await _alert(session)
    events = await _events(client, world, team, alert.id or 0)
    [shown] = [e for e in events if e["kind"] == "step"]
    assert "nobody the step names could be paged" in str(shown["text"])
    assert shown["detail"]["unreached"] == [f"staff:{NO_PHONE}"]
    members = [Member(m.id or 0, m.email, m.role, m.active, m.phone is not None)
               for m in (team.on_call, team.backup, no_phone)]
    problems = check_against_clinic(TO_NO_PHONE, members, "Demo Clinic")
    assert any(p.startswith("chains.crisis.steps[0].notify[0]") and "phone" in p for p in problems), problems
