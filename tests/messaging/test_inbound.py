from __future__ import annotations

import asyncio

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from companion.clock import FrozenClock
from companion.messaging import texts
from companion.models import AuditEvent, Clinic, InboundMessage, OutboundMessage, Patient
from tests.conftest import World
from tests.fakes.fake_twilio import FakeTwilio
from tests.messaging.conftest import CLINIC_NUMBER, INBOUND_URL

PATIENT_PHONE = "+12025550142"
STAFF_PHONE = "+12025550188"


async def _inbound(session: AsyncSession) -> list[InboundMessage]:
    session.expire_all()
    return list((await session.execute(select(InboundMessage).order_by(InboundMessage.id))).scalars())


async def _outbound(session: AsyncSession) -> list[OutboundMessage]:
    session.expire_all()
    return list((await session.execute(select(OutboundMessage).order_by(OutboundMessage.id))).scalars())


async def _patient(session: AsyncSession, patient_id: int | None) -> Patient:
    session.expire_all()
    patient = await session.get(Patient, patient_id)
    assert patient is not None
    return patient


def _reply(response: httpx.Response) -> str:
    text = response.text
    start, end = text.find("<Message>"), text.find("</Message>")
    return "" if start < 0 else text[start + 9 : end]


async def test_same_message_twice_is_stored_and_answered_once(
    client: httpx.AsyncClient, fake: FakeTwilio, world: World, session: AsyncSession
) -> None:
    clinic = await world.clinic()
    await world.patient(clinic, phone=PATIENT_PHONE)
    sid = "SM" + "1" * 32
    first = await fake.asend_inbound(INBOUND_URL, PATIENT_PHONE, CLINIC_NUMBER, "feeling ok", sid, client=client)
    second = await fake.asend_inbound(INBOUND_URL, PATIENT_PHONE, CLINIC_NUMBER, "feeling ok", sid, client=client)
    assert first.status_code == second.status_code == 200
    assert _reply(first) and not _reply(second)
    assert len(await _inbound(session)) == 1
    assert len(await _outbound(session)) == 1


async def test_same_message_twice_at_once_is_stored_and_answered_once(
    client: httpx.AsyncClient, fake: FakeTwilio, world: World, session: AsyncSession
) -> None:
    clinic = await world.clinic()
    await world.patient(clinic, phone=PATIENT_PHONE)
    responses = await fake.send_inbound_concurrently(
        INBOUND_URL, PATIENT_PHONE, CLINIC_NUMBER, "at once", copies=3, client=client
    )
    assert all(r.status_code == 200 for r in responses)
    assert sum(1 for r in responses if _reply(r)) == 1
    assert len(await _inbound(session)) == 1
    assert len(await _outbound(session)) == 1


@pytest.mark.parametrize("word", ["STOP", "stop", " Stop. ", "STOPALL", "unsubscribe", "Cancel", "END", "quit",
                                  "REVOKE", "optout"])
async def test_opt_out_keywords_record_consent_and_cancel_routine_messages(
    client: httpx.AsyncClient, fake: FakeTwilio, world: World, session: AsyncSession, clock: FrozenClock,
    word: str,
) -> None:
    clinic = await world.clinic()
    patient = await world.patient(clinic, phone=PATIENT_PHONE)
    for purpose in ("prompt", "reminder", "safety_reply"):
        session.add(OutboundMessage(clinic_id=clinic.id, patient_id=patient.id, to_phone=PATIENT_PHONE,
                                    purpose=purpose, body="x", due_at=clock.now()))
    await session.commit()
    response = await fake.asend_inbound(INBOUND_URL, PATIENT_PHONE, CLINIC_NUMBER, word, client=client)
    assert response.status_code == 200 and _reply(response) == ""
    patient = await _patient(session, patient.id)
    assert patient.sms_consent == "opted_out"
    assert patient.sms_consent_changed_at == clock.now()
    assert patient.sms_consent_source == f"sms:{word.strip().upper()}"
    statuses = {m.purpose: m.status for m in await _outbound(session)}
    assert statuses == {"prompt": "cancelled", "reminder": "cancelled", "safety_reply": "pending"}
    stored = (await _inbound(session))[0]
    assert stored.keyword == "opt_out"
    actions = [e.action for e in (await session.execute(select(AuditEvent))).scalars()]
    assert "consent.opt_out" in actions


@pytest.mark.parametrize("word", ["START", "unstop", "YES"])
async def test_opt_in_keywords(
    client: httpx.AsyncClient, fake: FakeTwilio, world: World, session: AsyncSession, word: str
) -> None:
    clinic = await world.clinic()
    patient = await world.patient(clinic, phone=PATIENT_PHONE)
    await fake.asend_inbound(INBOUND_URL, PATIENT_PHONE, CLINIC_NUMBER, "STOP", client=client)
    response = await fake.asend_inbound(INBOUND_URL, PATIENT_PHONE, CLINIC_NUMBER, word, client=client)
    assert "check-in messages again" in _reply(response)
    patient = await _patient(session, patient.id)
    assert patient.sms_consent == "opted_in"


async def test_yes_from_an_opted_in_patient_is_not_a_keyword(
    client: httpx.AsyncClient, fake: FakeTwilio, world: World, session: AsyncSession
) -> None:
    clinic = await world.clinic()
    await world.patient(clinic, phone=PATIENT_PHONE)
    await fake.asend_inbound(INBOUND_URL, PATIENT_PHONE, CLINIC_NUMBER, "yes", client=client)
    stored = (await _inbound(session))[0]
    assert stored.keyword is None and stored.sender_kind == "patient"


@pytest.mark.parametrize("word", ["HELP", "info", "Help!"])
async def test_help_says_honestly_when_messages_are_read(
    client: httpx.AsyncClient, fake: FakeTwilio, world: World, word: str
) -> None:
    clinic = await world.clinic()
    await world.patient(clinic, phone=PATIENT_PHONE)
    response = await fake.asend_inbound(INBOUND_URL, PATIENT_PHONE, CLINIC_NUMBER, word, client=client)
    reply = _reply(response)
    assert texts.NOT_EMERGENCY in reply and "988" in reply


async def test_an_opted_out_patient_gets_no_reply_but_the_message_is_kept(
    client: httpx.AsyncClient, fake: FakeTwilio, world: World, session: AsyncSession
) -> None:
    clinic = await world.clinic()
    await world.patient(clinic, phone=PATIENT_PHONE)
    await fake.asend_inbound(INBOUND_URL, PATIENT_PHONE, CLINIC_NUMBER, "STOP", client=client)
    response = await fake.asend_inbound(INBOUND_URL, PATIENT_PHONE, CLINIC_NUMBER, "rough week", client=client)
    assert _reply(response) == ""
    assert [m.body for m in await _inbound(session)] == ["STOP", "rough week"]
    assert await _outbound(session) == []


async def test_staff_ack_reaches_the_staff_command_entry_point(
    client: httpx.AsyncClient, fake: FakeTwilio, world: World, session: AsyncSession
) -> None:
    clinic = await world.clinic()
    member = await world.staff(clinic, phone=STAFF_PHONE)
    response = await fake.asend_inbound(INBOUND_URL, STAFF_PHONE, CLINIC_NUMBER, "ack 4821", client=client)
    assert "4821" in _reply(response)
    stored = (await _inbound(session))[0]
    assert stored.sender_kind == "staff" and stored.staff_id == member.id
    events = list((await session.execute(select(AuditEvent))).scalars())
    assert [(e.action, e.detail.get("code")) for e in events] == [("alert.ack_unmatched", "4821")]


async def test_unknown_number_gets_a_generic_reply_and_is_kept_for_review(
    client: httpx.AsyncClient, fake: FakeTwilio, world: World, session: AsyncSession
) -> None:
    clinic = await world.clinic()
    await world.patient(clinic, phone=PATIENT_PHONE)
    unknown = await fake.asend_inbound(INBOUND_URL, "+12025550777", CLINIC_NUMBER, "who is this", client=client)
    unknown_help = await fake.asend_inbound(INBOUND_URL, "+12025550778", CLINIC_NUMBER, "HELP", client=client)
    assert _reply(unknown) == _reply(unknown_help) == texts.UNKNOWN_SENDER
    stored = await _inbound(session)
    assert [(m.sender_kind, m.needs_review, m.patient_id) for m in stored] == [("unknown", True, None)] * 2


async def test_patient_messages_are_kept_for_the_care_team(
    client: httpx.AsyncClient, fake: FakeTwilio, world: World, session: AsyncSession
) -> None:
    clinic = await world.clinic()
    patient = await world.patient(clinic, phone=PATIENT_PHONE)
    response = await fake.asend_inbound(INBOUND_URL, PATIENT_PHONE, CLINIC_NUMBER, "slept badly", client=client)
    assert _reply(response) == texts.PATIENT_MESSAGE_SAVED
    stored = (await _inbound(session))[0]
    assert (stored.patient_id, stored.clinic_id, stored.needs_review) == (patient.id, clinic.id, True)
    reply = (await _outbound(session))[0]
    assert (reply.status, reply.via, reply.patient_id) == ("sent", "twiml", patient.id)


async def test_a_number_enrolled_at_two_clinics_goes_to_the_clinic_that_was_texted(
    client: httpx.AsyncClient, fake: FakeTwilio, world: World, session: AsyncSession
) -> None:
    first, second = await world.clinic("First"), await world.clinic("Second")
    stored_second = await session.get(Clinic, second.id)
    assert stored_second is not None
    stored_second.sms_sender = "+15005550009"
    await session.commit()
    await world.patient(first, phone=PATIENT_PHONE)
    theirs = await world.patient(second, phone=PATIENT_PHONE, reference="P-2")
    await fake.asend_inbound(INBOUND_URL, PATIENT_PHONE, "+15005550009", "hi", client=client)
    assert (await _inbound(session))[0].patient_id == theirs.id


async def test_missing_fields_are_a_400(client: httpx.AsyncClient, fake: FakeTwilio) -> None:
    params = {"Body": "x", "From": "+12025550142"}
    response = await client.post("/webhooks/twilio/sms", data=params,
                                 headers={"X-Twilio-Signature": fake.sign(INBOUND_URL, params)})
    assert response.status_code == 400


async def test_inbound_answers_quickly_even_in_bulk(
    client: httpx.AsyncClient, fake: FakeTwilio, world: World, session: AsyncSession
) -> None:
    clinic = await world.clinic()
    await world.patient(clinic, phone=PATIENT_PHONE)
    responses = await asyncio.gather(*(
        fake.asend_inbound(INBOUND_URL, PATIENT_PHONE, CLINIC_NUMBER, f"note {i}", client=client) for i in range(20)
    ))
    assert all(r.status_code == 200 for r in responses)
    assert len(await _inbound(session)) == 20
