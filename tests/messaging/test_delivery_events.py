"""What the dispatcher reports upward commits with the result it belongs to, or not at all."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from companion.clock import FrozenClock
from companion.messaging import outbox
from companion.messaging.dispatcher import Dispatcher
from companion.messaging.policy import Purpose
from companion.models import AuditEvent, MessageAttempt, OutboundMessage, Patient
from tests.conftest import World
from tests.delivery import delivery_events
from tests.fakes.fake_twilio import FakeTwilio

PHONE = "+12025550142"


class Refusing:
    """Does all an opt-out does, then fails: as a deadlock or a lost connection would."""

    def __init__(self, clock: FrozenClock) -> None:
        self.reactions = delivery_events(clock)
        self.calls: list[tuple[list[int], str]] = []

    async def opted_out(self, session: AsyncSession, patient_ids: Sequence[int], source: str) -> None:
        self.calls.append((list(patient_ids), source))
        await self.reactions.opted_out(session, patient_ids, source)
        await session.flush()
        raise RuntimeError("the opt-out could not be stored")

    async def undelivered(self, session: AsyncSession, patient_id: int, purpose: Purpose) -> None:
        await self.reactions.undelivered(session, patient_id, purpose)


async def _count(session: AsyncSession, query: object) -> int:
    return int((await session.execute(query)).scalar_one())  # type: ignore[call-overload]


async def test_a_failed_opt_out_keeps_its_result_unwritten_until_both_can_be(
    dispatcher: Dispatcher, fake: FakeTwilio, world: World, session: AsyncSession, clock: FrozenClock
) -> None:
    clinic = await world.clinic()
    patient = await world.patient(clinic, phone=PHONE)
    stored = await session.get(Patient, patient.id)
    fake.fail_number(PHONE, 21610)
    sent = await outbox.enqueue(session, clock, to_phone=PHONE, purpose=Purpose.PROMPT, body="mood?",
                                clinic_id=clinic.id, patient=stored)
    await session.commit()
    refusing = Refusing(clock)
    dispatcher.events = refusing
    with pytest.raises(RuntimeError):
        await dispatcher.run_once()
    assert refusing.calls[0] == ([patient.id], "provider:21610")
    row = await session.get(OutboundMessage, sent.id)
    assert row is not None
    await session.refresh(row)
    assert row.status == "sending"  # the result was not written without its opt-out
    assert await _count(session, select(func.count()).select_from(MessageAttempt)) == 0
    assert await _count(session, select(func.count()).where(AuditEvent.action == "consent.opt_out")) == 0
    assert stored is not None
    await session.refresh(stored)
    assert stored.sms_consent == "opted_in"

    dispatcher.events = delivery_events(clock)
    await dispatcher.run_once()  # the kept result is written, with its opt-out
    await session.refresh(row)
    await session.refresh(stored)
    assert (row.status, row.error_code) == ("gave_up", 21610)
    assert (stored.sms_consent, stored.sms_consent_source) == ("opted_out", "provider:21610")
    assert await _count(session, select(func.count()).where(AuditEvent.action == "consent.opt_out")) == 1
    assert len(fake.messages_to(PHONE)) == 0
