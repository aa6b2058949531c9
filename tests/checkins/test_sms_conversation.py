"""Questionnaires by SMS, one question at a time, through the real SDK and the fake Twilio."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from companion.clinical.instruments import get_instrument
from companion.clock import FrozenClock
from companion.messaging.dispatcher import Dispatcher
from companion.models import Answer, CheckIn, InboundMessage, Prompt
from tests.checkins.helpers import make_prompt
from tests.conftest import World
from tests.fakes.fake_twilio import FakeTwilio
from tests.messaging.conftest import Sms

PHONE = "+12025550142"


_sms: Sms | None = None


@pytest.fixture(autouse=True)
def _bind_sms(sms: Sms) -> None:
    global _sms
    _sms = sms


async def _say(fake: FakeTwilio, client: httpx.AsyncClient, body: str) -> list[str]:
    assert _sms is not None
    return await _sms.say(PHONE, body)


async def _checkin(session: AsyncSession, prompt_id: int | None) -> CheckIn:
    query = select(CheckIn).where(CheckIn.prompt_id == prompt_id).execution_options(populate_existing=True)
    return (await session.execute(query)).scalar_one()


async def test_a_whole_phq9_by_sms(
    client: httpx.AsyncClient, fake: FakeTwilio, dispatcher: Dispatcher, world: World, session: AsyncSession,
    clock: FrozenClock,
) -> None:
    clinic = await world.clinic()
    patient = await world.patient(clinic, phone=PHONE)
    prompt = await make_prompt(session, clock, patient.id or 0, "phq9")
    await dispatcher.drain()
    clock.advance(seconds=5)
    await dispatcher.drain()
    sent = [m.body for m in fake.messages_to(PHONE)]
    phq9 = get_instrument("phq9")
    assert sent[-1] == phq9.questions[0].sms_text
    assert len(sent) == 2 and sent[0] == phq9.sms_intro

    answers = ["1", "two", "3/3", "0", "1 ", "Several days", "2", "0", "0"]
    for index, answer in enumerate(answers):
        replies = await _say(fake, client, answer)
        assert replies[0].startswith("Saved:"), replies
        if index < 8:
            assert replies[-1] == phq9.questions[index + 1].sms_text
        else:
            assert replies[-1] == "All done, thank you."
    checkin = await _checkin(session, prompt.id)
    assert (checkin.status, checkin.total, checkin.band, checkin.source) == ("complete", 10, "moderate", "sms")
    stored_prompt = await session.get(Prompt, prompt.id, populate_existing=True)
    assert stored_prompt is not None and stored_prompt.status == "answered"
    stored = list((await session.execute(select(Answer).where(Answer.checkin_id == checkin.id))).scalars())
    assert [a.value for a in stored] == [1, 2, 3, 0, 1, 1, 2, 0, 0]
    assert all(a.inbound_message_id is not None for a in stored)


async def test_an_abandoned_questionnaire_keeps_its_partial_answers(
    client: httpx.AsyncClient, fake: FakeTwilio, world: World, session: AsyncSession, clock: FrozenClock,
) -> None:
    clinic = await world.clinic()
    patient = await world.patient(clinic, phone=PHONE)
    prompt = await make_prompt(session, clock, patient.id or 0, "gad7")
    await _say(fake, client, "2")
    await _say(fake, client, "1")
    clock.advance(hours=49)
    replies = await _say(fake, client, "3")  # the prompt expired: not an answer any more
    assert "saved for your care team" in replies[0]
    checkin = await _checkin(session, prompt.id)
    assert checkin.status == "partial" and checkin.total is None
    values = (await session.execute(select(Answer.value).where(Answer.checkin_id == checkin.id))).scalars().all()
    assert list(values) == [2, 1]


async def test_unreadable_replies_are_asked_again_then_a_link_to_the_app(
    client: httpx.AsyncClient, fake: FakeTwilio, world: World, session: AsyncSession, clock: FrozenClock,
) -> None:
    clinic = await world.clinic()
    patient = await world.patient(clinic, phone=PHONE)
    prompt = await make_prompt(session, clock, patient.id or 0, "mood")
    first = await _say(fake, client, "5-6")
    assert "0 to 10" in first[0]
    second = await _say(fake, client, "11")
    assert "0 to 10" in second[0]
    third = await _say(fake, client, "meh")
    assert third[0].startswith("Let's try the app instead: https://companion.example.org/?c=")
    token = third[0].split("c=", 1)[1]
    redeemed = await client.post("/api/v1/auth/patient/link", json={"token": token})
    assert redeemed.status_code == 200 and redeemed.json()["prompt_id"] == prompt.id
    headers = {"Authorization": f"Bearer {redeemed.json()['access_token']}"}
    pending = await client.get("/api/v1/me/checkins/pending", headers=headers)
    assert [p["id"] for p in pending.json()] == [prompt.id]
    again = await client.post("/api/v1/auth/patient/link", json={"token": token})
    assert again.status_code == 401  # single use
    reviewed = (await session.execute(select(InboundMessage.needs_review))).scalars().all()
    assert list(reviewed) == [True, True, True]


async def test_a_valid_reply_confirms_what_was_stored(
    client: httpx.AsyncClient, fake: FakeTwilio, world: World, session: AsyncSession, clock: FrozenClock,
) -> None:
    clinic = await world.clinic()
    patient = await world.patient(clinic, phone=PHONE)
    prompt = await make_prompt(session, clock, patient.id or 0, "mood")
    assert await _say(fake, client, "seven 🙂") == ["Thanks, mood 7 saved for today.", "All done, thank you."]
    checkin = await _checkin(session, prompt.id)
    assert (checkin.status, checkin.total) == ("complete", 7)
    # The prompt is answered: the next message is a note for the care team, not a new answer.
    assert "care team" in (await _say(fake, client, "8"))[0]


async def test_the_newest_open_prompt_is_answered(
    client: httpx.AsyncClient, fake: FakeTwilio, world: World, session: AsyncSession, clock: FrozenClock,
) -> None:
    clinic = await world.clinic()
    patient = await world.patient(clinic, phone=PHONE)
    older = await make_prompt(session, clock, patient.id or 0, "gad7", slot="older")
    clock.advance(minutes=5)
    newer = await make_prompt(session, clock, patient.id or 0, "mood", slot="newer")
    await _say(fake, client, "6")
    assert (await _checkin(session, newer.id)).total == 6
    assert (await session.execute(select(CheckIn).where(CheckIn.prompt_id == older.id))).first() is None


async def test_an_app_only_patient_gets_no_sms_prompt(
    fake: FakeTwilio, dispatcher: Dispatcher, world: World, session: AsyncSession, clock: FrozenClock,
) -> None:
    clinic = await world.clinic()
    patient = await world.patient(clinic, phone=PHONE)
    from companion.models import Patient

    stored = await session.get(Patient, patient.id)
    assert stored is not None
    stored.channel = "app"
    await session.commit()
    prompt = await make_prompt(session, clock, patient.id or 0, "mood", expires_in=timedelta(hours=12))
    await dispatcher.drain()
    assert fake.messages_to(PHONE) == []
    assert prompt.channel == "app" and prompt.status == "open"


async def test_a_forged_or_expired_link_is_refused(
    client: httpx.AsyncClient, world: World, session: AsyncSession, clock: FrozenClock
) -> None:
    from companion.auth.links import link_token

    clinic = await world.clinic()
    patient = await world.patient(clinic, phone=PHONE)
    prompt = await make_prompt(session, clock, patient.id or 0, "mood", expires_in=timedelta(hours=1))
    token = link_token(world.settings, prompt)
    await session.commit()
    prompt_id, nonce, signature = token.split(".")
    for forged in (f"{int(prompt_id) + 1}.{nonce}.{signature}", f"{prompt_id}.{nonce}.{signature[:-2]}xx",
                   "garbage", f"{prompt_id}.other.{signature}"):
        assert (await client.post("/api/v1/auth/patient/link", json={"token": forged})).status_code == 401
    clock.advance(hours=2)
    assert (await client.post("/api/v1/auth/patient/link", json={"token": token})).status_code == 401
