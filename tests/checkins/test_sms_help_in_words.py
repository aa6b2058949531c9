"""By SMS: help asked for in words gets the safety reply and a same-day alert; HELP alone stays the
keyword; help asked for a task is an ordinary message."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from companion.clinical import texts
from companion.models import Alert, OutboundMessage
from companion.protocols import default_protocol
from tests.conftest import World
from tests.messaging.conftest import Sms

PHONE = "+12025550142"


async def _alerts(session: AsyncSession) -> list[Alert]:
    return list((await session.execute(select(Alert).execution_options(populate_existing=True))).scalars())


async def _safety_replies(session: AsyncSession) -> list[str]:
    query = select(OutboundMessage.body).where(OutboundMessage.purpose == "safety_reply")
    return list((await session.execute(query)).scalars())


@pytest.mark.parametrize("text", ["please help", "i need someone to talk to", "can someone help me"])
async def test_a_plea_in_words_gets_the_safety_reply_and_a_same_day_alert(
    world: World, session: AsyncSession, sms: Sms, text: str
) -> None:
    clinic = await world.clinic()
    await world.patient(clinic, phone=PHONE)
    await sms.say(PHONE, text)
    [alert] = await _alerts(session)
    assert (alert.severity, alert.kind) == ("high", "same_day")
    assert await _safety_replies(session) == [default_protocol().wording.safety_reply]


async def test_help_alone_stays_the_keyword(world: World, session: AsyncSession, sms: Sms) -> None:
    clinic = await world.clinic()
    await world.patient(clinic, phone=PHONE)
    [reply] = await sms.say(PHONE, "HELP")
    assert texts.NOT_EMERGENCY in reply
    assert await _alerts(session) == [] and await _safety_replies(session) == []


async def test_help_with_a_task_is_an_ordinary_message(world: World, session: AsyncSession, sms: Sms) -> None:
    clinic = await world.clinic()
    await world.patient(clinic, phone=PHONE)
    await sms.say(PHONE, "can someone help me with a ride")
    assert await _alerts(session) == [] and await _safety_replies(session) == []
