from __future__ import annotations

import asyncio

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from companion.clinical import texts
from companion.clock import FrozenClock
from companion.models import AuditEvent, Clinic, InboundMessage, OutboundMessage, Patient
from tests.conftest import World
from tests.fakes.fake_twilio import FakeTwilio
from tests.messaging.conftest import CLINIC_NUMBER, INBOUND_URL, Sms

PATIENT_PHONE = "+12025550142"
STAFF_PHONE = "+12025550188"


async def _inbound(session: AsyncSession) -> list[InboundMessage]:
    query = select(InboundMessage).order_by(InboundMessage.id).execution_options(populate_existing=True)
    return list((await session.execute(query)).scalars())


async def _outbound(session: AsyncSession) -> list[OutboundMessage]:
    query = select(OutboundMessage).order_by(OutboundMessage.id).execution_options(populate_existing=True)
    return list((await session.execute(query)).scalars())


async def _patient(session: AsyncSession, patient_id: int | None) -> Patient:
    patient = await session.get(Patient, patient_id, populate_existing=True)
    assert patient is not None
    return patient


async def test_the_webhook_stores_and_answers_at_once(
    client: httpx.AsyncClient, fake: FakeTwilio, world: World, session: AsyncSession, sms: Sms
) -> None:
    clinic = await world.clinic()
    await world.patient(clinic, phone=PATIENT_PHONE)
    response = await fake.asend_inbound(INBOUND_URL, PATIENT_PHONE, CLINIC_NUMBER, "feeling ok", client=client)
    assert response.status_code == 200
    assert response.text == '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
    [stored] = await _inbound(session)
    assert (stored.status, stored.priority, stored.sender_kind) == ("received", 5, "unknown")
    assert await sms.handle() == 1
    [stored] = await _inbound(session)
    assert (stored.status, stored.sender_kind, stored.attempts) == ("handled", "patient", 1)


async def test_risk_language_is_handled_before_anything_waiting(
    client: httpx.AsyncClient, fake: FakeTwilio, world: World, session: AsyncSession, sms: Sms
) -> None:
    clinic = await world.clinic()
    await world.patient(clinic, phone=PATIENT_PHONE)
    for body in ("note one", "note two", "i want to kill myself"):
        await fake.asend_inbound(INBOUND_URL, "+12025550777", CLINIC_NUMBER, body, client=client)
    await fake.asend_inbound(INBOUND_URL, PATIENT_PHONE, CLINIC_NUMBER, "i dont want to be alive", client=client)
    assert [m.priority for m in await _inbound(session)] == [5, 5, 0, 0]
    from companion.messaging import inbound

    async with sms.app.state.sessionmaker() as work:
        first = await inbound.handle_next(work, sms.app.state.clock, sms.app.state.conversations)
        assert first is not None and first.body == "note one"  # the same number's earlier message first
        await work.commit()
        second = await inbound.handle_next(work, sms.app.state.clock, sms.app.state.conversations)
        assert second is not None and second.body == "note two"
        await work.commit()
        third = await inbound.handle_next(work, sms.app.state.clock, sms.app.state.conversations)
        assert third is not None and third.body == "i want to kill myself"
        await work.commit()


async def test_same_message_twice_is_stored_and_answered_once(
    client: httpx.AsyncClient, fake: FakeTwilio, world: World, session: AsyncSession, sms: Sms
) -> None:
    clinic = await world.clinic()
    await world.patient(clinic, phone=PATIENT_PHONE)
    sid = "SM" + "1" * 32
    first = await sms.say(PATIENT_PHONE, "feeling ok", message_sid=sid)
    second = await sms.say(PATIENT_PHONE, "feeling ok", message_sid=sid)
    assert first == [texts.PATIENT_MESSAGE_SAVED] and second == []
    assert len(await _inbound(session)) == 1
    assert len(await _outbound(session)) == 1


async def test_same_message_twice_at_once_is_stored_and_answered_once(
    client: httpx.AsyncClient, fake: FakeTwilio, world: World, session: AsyncSession, sms: Sms
) -> None:
    clinic = await world.clinic()
    await world.patient(clinic, phone=PATIENT_PHONE)
    responses = await fake.send_inbound_concurrently(
        INBOUND_URL, PATIENT_PHONE, CLINIC_NUMBER, "at once", copies=3, client=client
    )
    assert all(r.status_code == 200 for r in responses)
    await asyncio.gather(sms.handle(), sms.handle())
    assert len(await _inbound(session)) == 1
    assert len(await _outbound(session)) == 1


@pytest.mark.parametrize("word", ["STOP", "stop", " Stop. ", "STOPALL", "unsubscribe", "Cancel", "END", "quit",
                                  "REVOKE", "optout"])
async def test_opt_out_keywords_record_consent_and_cancel_routine_messages(
    world: World, session: AsyncSession, clock: FrozenClock, sms: Sms, word: str,
) -> None:
    clinic = await world.clinic()
    patient = await world.patient(clinic, phone=PATIENT_PHONE)
    for purpose in ("prompt", "reminder", "safety_reply"):
        session.add(OutboundMessage(clinic_id=clinic.id, patient_id=patient.id, to_phone=PATIENT_PHONE,
                                    purpose=purpose, body="x", due_at=clock.now()))
    await session.commit()
    assert await sms.say(PATIENT_PHONE, word) == []  # the provider confirms an opt-out itself
    patient = await _patient(session, patient.id)
    assert patient.sms_consent == "opted_out"
    assert patient.sms_consent_changed_at == clock.now()
    assert patient.sms_consent_source == f"sms:{word.strip().upper()}"
    statuses = {m.purpose: m.status for m in await _outbound(session)}
    assert statuses == {"prompt": "cancelled", "reminder": "cancelled", "safety_reply": "pending"}
    assert (await _inbound(session))[0].keyword == "opt_out"
    actions = [e.action for e in (await session.execute(select(AuditEvent))).scalars()]
    assert "consent.opt_out" in actions


@pytest.mark.parametrize("word", ["START", "unstop", "YES"])
async def test_opt_in_keywords(world: World, session: AsyncSession, sms: Sms, word: str) -> None:
    clinic = await world.clinic()
    patient = await world.patient(clinic, phone=PATIENT_PHONE)
    await sms.say(PATIENT_PHONE, "STOP")
    replies = await sms.say(PATIENT_PHONE, word)
    assert len(replies) == 1 and "check-in messages again" in replies[0]
    assert (await _patient(session, patient.id)).sms_consent == "opted_in"


async def test_yes_from_an_opted_in_patient_is_not_a_keyword(world: World, session: AsyncSession, sms: Sms) -> None:
    clinic = await world.clinic()
    await world.patient(clinic, phone=PATIENT_PHONE)
    await sms.say(PATIENT_PHONE, "yes")
    stored = (await _inbound(session))[0]
    assert stored.keyword is None and stored.sender_kind == "patient"


@pytest.mark.parametrize("word", ["HELP", "info", "Help!"])
async def test_help_says_honestly_when_messages_are_read(world: World, sms: Sms, word: str) -> None:
    clinic = await world.clinic()
    await world.patient(clinic, phone=PATIENT_PHONE)
    [reply] = await sms.say(PATIENT_PHONE, word)
    assert texts.NOT_EMERGENCY in reply and "988" in reply


async def test_an_opted_out_patient_gets_no_reply_but_the_message_is_kept(
    world: World, session: AsyncSession, sms: Sms
) -> None:
    clinic = await world.clinic()
    await world.patient(clinic, phone=PATIENT_PHONE)
    await sms.say(PATIENT_PHONE, "STOP")
    assert await sms.say(PATIENT_PHONE, "rough week") == []
    assert [m.body for m in await _inbound(session)] == ["STOP", "rough week"]
    assert await _outbound(session) == []


async def test_staff_ack_reaches_the_staff_command_entry_point(
    world: World, session: AsyncSession, sms: Sms
) -> None:
    clinic = await world.clinic()
    member = await world.staff(clinic, phone=STAFF_PHONE)
    [reply] = await sms.say(STAFF_PHONE, "ack 4821")
    assert "4821" in reply
    stored = (await _inbound(session))[0]
    assert stored.sender_kind == "staff" and stored.staff_id == member.id
    events = list((await session.execute(select(AuditEvent))).scalars())
    assert [(e.action, e.detail.get("code")) for e in events] == [("alert.ack_unmatched", "4821")]


async def test_unknown_number_gets_a_generic_reply_and_is_kept_for_review(
    world: World, session: AsyncSession, sms: Sms
) -> None:
    clinic = await world.clinic()
    await world.patient(clinic, phone=PATIENT_PHONE)
    unknown = await sms.say("+12025550777", "who is this")
    unknown_help = await sms.say("+12025550778", "HELP")
    assert unknown == unknown_help == [texts.UNKNOWN_SENDER]
    stored = await _inbound(session)
    assert [(m.sender_kind, m.needs_review, m.patient_id) for m in stored] == [("unknown", True, None)] * 2


async def test_patient_messages_are_kept_for_the_care_team(world: World, session: AsyncSession, sms: Sms) -> None:
    clinic = await world.clinic()
    patient = await world.patient(clinic, phone=PATIENT_PHONE)
    assert await sms.say(PATIENT_PHONE, "slept badly") == [texts.PATIENT_MESSAGE_SAVED]
    stored = (await _inbound(session))[0]
    assert (stored.patient_id, stored.clinic_id, stored.needs_review) == (patient.id, clinic.id, True)
    reply = (await _outbound(session))[0]
    assert (reply.status, reply.purpose, reply.patient_id) == ("pending", "reply", patient.id)


async def test_a_number_enrolled_at_two_clinics_goes_to_the_clinic_that_was_texted(
    world: World, session: AsyncSession, sms: Sms
) -> None:
    first, second = await world.clinic("First"), await world.clinic("Second")
    stored_second = await session.get(Clinic, second.id)
    assert stored_second is not None
    stored_second.sms_sender = "+15005550009"
    await session.commit()
    await world.patient(first, phone=PATIENT_PHONE)
    theirs = await world.patient(second, phone=PATIENT_PHONE, reference="P-2")
    await sms.say(PATIENT_PHONE, "hi", to="+15005550009")
    assert (await _inbound(session))[0].patient_id == theirs.id


async def test_missing_fields_are_a_400(client: httpx.AsyncClient, fake: FakeTwilio) -> None:
    params = {"Body": "x", "From": "+12025550142"}
    response = await client.post("/webhooks/twilio/sms", data=params,
                                 headers={"X-Twilio-Signature": fake.sign(INBOUND_URL, params)})
    assert response.status_code == 400


async def test_a_message_whose_handling_keeps_failing_is_set_aside_not_lost(
    world: World, session: AsyncSession, sms: Sms, monkeypatch: pytest.MonkeyPatch
) -> None:
    clinic = await world.clinic()
    await world.patient(clinic, phone=PATIENT_PHONE)
    from companion.conversations import router

    async def broken(*_args: object, **_kwargs: object) -> list[str]:
        raise RuntimeError("something went wrong")

    monkeypatch.setattr(router, "route", broken)
    monkeypatch.setattr(router, "handle_routine", broken)  # the batch fails; then each message alone
    await sms.say(PATIENT_PHONE, "hello")
    [stored] = await _inbound(session)
    assert (stored.status, stored.attempts, stored.needs_review) == ("failed", 3, True)


async def test_inbound_in_bulk(
    client: httpx.AsyncClient, fake: FakeTwilio, world: World, session: AsyncSession, sms: Sms
) -> None:
    clinic = await world.clinic()
    await world.patient(clinic, phone=PATIENT_PHONE)
    responses = await asyncio.gather(*(
        fake.asend_inbound(INBOUND_URL, PATIENT_PHONE, CLINIC_NUMBER, f"note {i}", client=client) for i in range(20)
    ))
    assert all(r.status_code == 200 for r in responses)
    assert await sms.handle() == 20
    assert len(await _inbound(session)) == 20
    assert len(await _outbound(session)) == 20


async def test_workers_handling_at_once_keep_each_numbers_messages_in_order(
    client: httpx.AsyncClient, fake: FakeTwilio, world: World, session: AsyncSession, sms: Sms, is_postgres: bool
) -> None:
    if not is_postgres:
        pytest.skip("SQLite has one writer: one inbound loop handles messages there")
    clinic = await world.clinic()
    phones = [f"+1202555015{i}" for i in range(4)]
    for index, phone in enumerate(phones):
        await world.patient(clinic, reference=f"P-20{index}", phone=phone)
    for n in range(8):
        for phone in phones:
            response = await fake.asend_inbound(INBOUND_URL, phone, CLINIC_NUMBER, f"note {n}", client=client)
            assert response.status_code == 200
    handled = await asyncio.gather(*(sms.handle() for _ in range(4)))
    assert sum(handled) == 32
    stored = await _inbound(session)
    replies = {m.dedupe_key: m.id for m in await _outbound(session)}
    for phone in phones:
        mine = [m for m in stored if m.from_phone == phone]
        assert [m.status for m in mine] == ["handled"] * 8
        # Each reply was queued in the order its message arrived.
        reply_ids = [replies[f"reply:{m.id}:0"] for m in mine]
        assert reply_ids == sorted(reply_ids)
