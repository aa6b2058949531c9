"""Ordinary inbound messages handled several to a transaction (messaging/inbound.handle_batch): one
per number per batch, risk first, each number's messages in order, and a batch that fails handled
again one message at a time, without losing or repeating anything."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from companion.clock import FrozenClock
from companion.conversations.router import Conversations, reads_as_risk
from companion.db import create_sessionmaker
from companion.messaging import inbound
from companion.messaging.inbound_worker import InboundProcessor
from companion.messaging.intake import InboundIntake
from companion.models import InboundMessage, OutboundMessage
from companion.protocols import ProtocolSource
from companion.settings import Settings
from tests.conftest import World
from tests.messaging.test_intake import webhook

NUMBERS = [f"+1202555{n:04d}" for n in range(140, 146)]


async def _stored(session: AsyncSession) -> list[InboundMessage]:
    query = select(InboundMessage).order_by(InboundMessage.id).execution_options(populate_existing=True)
    return list((await session.execute(query)).scalars())


async def _replies(session: AsyncSession) -> list[tuple[str, str | None]]:
    rows = await session.execute(
        select(OutboundMessage.to_phone, OutboundMessage.dedupe_key).where(OutboundMessage.purpose == "reply")
        .order_by(OutboundMessage.id)
    )
    return [(phone, key) for phone, key in rows.all()]


@pytest.fixture
async def enrolled(world: World) -> None:
    clinic = await world.clinic()
    for n, phone in enumerate(NUMBERS):
        await world.patient(clinic, reference=f"P-{1042 + n}", phone=phone)


def _processor(engine: AsyncEngine, clock: FrozenClock, settings: Settings, protocols: ProtocolSource,
               size: int) -> InboundProcessor:
    return InboundProcessor(create_sessionmaker(engine), clock, Conversations(clock, settings, protocols),
                            batch_size=size)


async def test_a_batch_takes_each_numbers_earliest_message_risk_first(
    engine: AsyncEngine, clock: FrozenClock, settings: Settings, session: AsyncSession, protocols: ProtocolSource,
    enrolled: None,
) -> None:
    intake = InboundIntake(engine, clock, triage=reads_as_risk, notify=False)
    await intake.store(webhook(1, "first from a", NUMBERS[0]))
    await intake.store(webhook(2, "second from a", NUMBERS[0]))
    await intake.store(webhook(3, "fine thanks", NUMBERS[1]))
    await intake.store(webhook(4, "i want to kill myself", NUMBERS[2]))
    await intake.store(webhook(5, "third from a", NUMBERS[0]))
    handler = Conversations(clock, settings, protocols)
    async with create_sessionmaker(engine)() as work:
        claimed: list[int] = []
        assert await inbound.handle_batch(work, clock, handler, claimed, size=10) == 3
        await work.commit()
    bodies = {m.id: m.body for m in await _stored(session)}
    # The crisis first, then the oldest; one message per number, each number's earliest.
    assert [bodies[i] for i in claimed] == ["i want to kill myself", "first from a", "fine thanks"]
    assert [(m.body, m.status, m.attempts) for m in await _stored(session)] == [
        ("first from a", "handled", 1), ("second from a", "received", 0), ("fine thanks", "handled", 1),
        ("i want to kill myself", "handled", 1), ("third from a", "received", 0),
    ]
    assert await _processor(engine, clock, settings, protocols, 10).drain() == 2
    handled = [m for m in await _stored(session) if m.body.endswith("from a")]
    assert [m.status for m in handled] == ["handled"] * 3
    # Their replies were queued in the order the messages arrived (the clock here stands still, so
    # the order is read from the outbox).
    replied = [int(str(key).split(":")[1]) for to, key in await _replies(session) if to == NUMBERS[0]]
    assert replied == [m.id for m in handled]


async def test_a_batch_of_at_most_its_size(
    engine: AsyncEngine, clock: FrozenClock, settings: Settings, session: AsyncSession, protocols: ProtocolSource,
    enrolled: None,
) -> None:
    intake = InboundIntake(engine, clock, triage=reads_as_risk, notify=False)
    for n, phone in enumerate(NUMBERS):
        await intake.store(webhook(n, "slept ok", phone))
    assert await _processor(engine, clock, settings, protocols, 4).handle_some() == 4
    assert [m.status for m in await _stored(session)].count("handled") == 4
    assert await _processor(engine, clock, settings, protocols, 4).handle_some() == 2


async def test_a_batch_that_fails_is_handled_one_by_one_and_only_the_bad_message_is_counted(
    engine: AsyncEngine, clock: FrozenClock, settings: Settings, session: AsyncSession, protocols: ProtocolSource,
    enrolled: None,
) -> None:
    intake = InboundIntake(engine, clock, triage=reads_as_risk, notify=False)
    for n, phone in enumerate(NUMBERS[:4]):
        await intake.store(webhook(n, "poison" if n == 2 else "slept ok", phone))
    conversations = Conversations(clock, settings, protocols)

    async def handler(work: AsyncSession, message: InboundMessage) -> object:
        if message.body == "poison":
            raise RuntimeError("cannot handle this one")
        return await conversations(work, message)

    processor = InboundProcessor(create_sessionmaker(engine), clock, handler, batch_size=16)
    # The three others once each, and the bad one's three attempts, after which it is set aside.
    assert await processor.drain() == 6
    stored = await _stored(session)
    assert [(m.body, m.status, m.attempts) for m in stored] == [
        ("slept ok", "handled", 1), ("slept ok", "handled", 1), ("poison", "failed", 3), ("slept ok", "handled", 1),
    ]
    assert stored[2].needs_review
    # Each message answered once: nothing of the rolled-back batches stayed.
    assert sorted(await _replies(session)) == sorted((m.from_phone, f"reply:{m.id}:0") for m in stored
                                                     if m.body != "poison")


async def test_workers_batching_at_once_handle_each_message_once_and_each_number_in_order(
    engine: AsyncEngine, clock: FrozenClock, settings: Settings, session: AsyncSession, protocols: ProtocolSource,
    enrolled: None,
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("several workers at once need PostgreSQL (SQLite has one writer)")
    intake = InboundIntake(engine, clock, triage=reads_as_risk, notify=False)
    sid = 0
    for round_ in range(8):
        for phone in NUMBERS:
            sid += 1
            await intake.store(webhook(sid, f"note {round_}", phone))
    workers = [_processor(engine, clock, settings, protocols, 3) for _ in range(4)]
    counts = await asyncio.gather(*(w.drain() for w in workers))
    assert sum(counts) == 8 * len(NUMBERS)
    stored = await _stored(session)
    assert {m.status for m in stored} == {"handled"} and {m.attempts for m in stored} == {1}
    replies = await _replies(session)
    assert len(replies) == len(stored)
    for phone in NUMBERS:
        # Each number's replies were queued in the order its messages arrived.
        ids = [int(str(key).split(":")[1]) for to, key in replies if to == phone]
        assert ids == sorted(ids) and len(ids) == 8
