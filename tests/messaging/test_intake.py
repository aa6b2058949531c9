"""The intake: webhooks waiting at one moment share one commit, and none is answered before its row is stored."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, create_async_engine

from companion.clock import FrozenClock
from companion.conversations.router import Conversations, reads_as_risk
from companion.db import create_sessionmaker
from companion.messaging import inbound
from companion.messaging.inbound_worker import InboundProcessor
from companion.messaging.intake import InboundIntake
from companion.messaging.wakeup import Waker
from companion.models import InboundMessage
from companion.protocols import ProtocolSource
from companion.settings import Settings
from tests.conftest import World

CLINIC_NUMBER = "+15005550006"


def webhook(sid: int, body: str = "feeling ok", sender: str = "+12025550142") -> dict[str, str]:
    return {"MessageSid": f"SM{sid:032d}", "From": sender, "To": CLINIC_NUMBER, "Body": body}


class CountingStore:
    """inbound.store_rows, counting its calls; it refuses any batch that holds ``poison``."""

    def __init__(self, poison: str | None = None) -> None:
        self.batches: list[int] = []
        self.poison = poison
        self.real = inbound.store_rows

    async def __call__(self, conn: AsyncConnection, rows: Sequence[Mapping[str, Any]], *, notify: bool) -> set[str]:
        self.batches.append(len(rows))
        if any(row["message_sid"] == self.poison for row in rows):
            raise RuntimeError("refused by the database")
        return await self.real(conn, rows, notify=notify)


async def _stored(session: AsyncSession) -> list[InboundMessage]:
    query = select(InboundMessage).order_by(InboundMessage.id).execution_options(populate_existing=True)
    return list((await session.execute(query)).scalars())


async def test_webhooks_arriving_together_share_commits_and_each_is_stored_once(
    engine: AsyncEngine, clock: FrozenClock, session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = CountingStore()
    monkeypatch.setattr(inbound, "store_rows", store)
    intake = InboundIntake(engine, clock, triage=reads_as_risk, notify=False)
    results = await asyncio.gather(*(intake.store(webhook(i)) for i in range(50)))
    assert all(r.new and not r.urgent for r in results)
    assert sum(store.batches) == 50 and len(store.batches) < 50
    stored = await _stored(session)
    assert sorted(m.message_sid for m in stored) == sorted(webhook(i)["MessageSid"] for i in range(50))


async def test_the_same_message_twice_in_one_batch_is_new_once(
    engine: AsyncEngine, clock: FrozenClock, session: AsyncSession
) -> None:
    intake = InboundIntake(engine, clock, triage=reads_as_risk, notify=False)
    results = await asyncio.gather(*(intake.store(webhook(7)) for _ in range(3)), intake.store(webhook(8)))
    assert [r.new for r in results] == [True, False, False, True]
    assert len(await _stored(session)) == 2
    again = await intake.store(webhook(7))
    assert not again.new


async def test_a_batch_that_fails_is_stored_row_by_row_and_only_the_bad_row_fails(
    engine: AsyncEngine, clock: FrozenClock, session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    poison = webhook(3)["MessageSid"]
    monkeypatch.setattr(inbound, "store_rows", CountingStore(poison))
    intake = InboundIntake(engine, clock, triage=reads_as_risk, notify=False)
    results = await asyncio.gather(*(intake.store(webhook(i)) for i in range(6)), return_exceptions=True)
    assert isinstance(results[3], RuntimeError)
    assert all(not isinstance(r, BaseException) and r.new for i, r in enumerate(results) if i != 3)
    assert sorted(m.message_sid for m in await _stored(session)) == sorted(
        webhook(i)["MessageSid"] for i in range(6) if i != 3
    )


async def test_a_webhook_whose_caller_went_away_is_still_stored(
    engine: AsyncEngine, clock: FrozenClock, session: AsyncSession
) -> None:
    intake = InboundIntake(engine, clock, triage=reads_as_risk, notify=False)
    task = asyncio.create_task(intake.store(webhook(1)))
    await asyncio.sleep(0)  # the row is handed over
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert await intake.store(webhook(2))  # the writer finishes the earlier batch first
    assert len(await _stored(session)) == 2


async def test_a_nul_in_the_text_is_kept_as_a_replacement_character(
    engine: AsyncEngine, clock: FrozenClock, session: AsyncSession
) -> None:
    intake = InboundIntake(engine, clock, triage=reads_as_risk, notify=False)
    assert (await intake.store(webhook(1, body="low\x00 today"))).new
    [stored] = await _stored(session)
    assert stored.body == "low\ufffd today"


async def test_only_urgent_messages_ring_an_urgent_only_waker(engine: AsyncEngine, clock: FrozenClock) -> None:
    waker = Waker()
    intake = InboundIntake(engine, clock, triage=reads_as_risk, notify=False, waker=waker, wake_for_urgent_only=True)
    assert not (await intake.store(webhook(1, body="fine thanks"))).urgent
    assert not await waker.wait(0.05)
    assert (await intake.store(webhook(2, body="i want to kill myself"))).urgent
    assert await waker.wait(0.05)
    assert not (await intake.store(webhook(2, body="i want to kill myself"))).new
    assert not await waker.wait(0.05)  # a repeat delivery rings nothing


async def test_an_urgent_only_worker_leaves_ordinary_messages_to_the_scheduler(
    engine: AsyncEngine, clock: FrozenClock, settings: Settings, session: AsyncSession, world: World,
    protocols: ProtocolSource,
) -> None:
    clinic = await world.clinic()
    await world.patient(clinic, phone="+12025550142")
    await world.patient(clinic, reference="P-1043", phone="+12025550143")
    intake = InboundIntake(engine, clock, triage=reads_as_risk, notify=False)
    await intake.store(webhook(1, body="fine thanks", sender="+12025550143"))
    await intake.store(webhook(2, body="first note", sender="+12025550142"))
    await intake.store(webhook(3, body="i want to kill myself", sender="+12025550142"))
    await intake.store(webhook(4, body="another note", sender="+12025550143"))
    sessionmaker = create_sessionmaker(engine)
    urgent = InboundProcessor(sessionmaker, clock, Conversations(clock, settings, protocols), urgent_only=True)
    # The crisis, and the same number's earlier message before it so its replies stay in order.
    assert await urgent.drain() == 2
    assert [(m.body, m.status) for m in await _stored(session)] == [
        ("fine thanks", "received"),
        ("first note", "handled"),
        ("i want to kill myself", "handled"),
        ("another note", "received"),
    ]
    assert await InboundProcessor(sessionmaker, clock, Conversations(clock, settings, protocols)).drain() == 2


async def test_without_a_database_every_waiting_webhook_fails_rather_than_hangs(clock: FrozenClock) -> None:
    unreachable = create_async_engine("postgresql+asyncpg://postgres@127.0.0.1:9/nowhere")
    try:
        intake = InboundIntake(unreachable, clock, triage=reads_as_risk, notify=False)
        results = await asyncio.wait_for(
            asyncio.gather(*(intake.store(webhook(i)) for i in range(3)), return_exceptions=True), timeout=30
        )
        assert all(isinstance(r, OSError) for r in results)
    finally:
        await unreachable.dispose()


async def test_the_writer_keeps_its_connection_for_the_next_webhook_until_closed(
    engine: AsyncEngine, clock: FrozenClock, session: AsyncSession
) -> None:
    checkouts: list[object] = []
    listener = lambda *_: checkouts.append(1)  # noqa: E731
    event.listen(engine.sync_engine, "checkout", listener)
    intake = InboundIntake(engine, clock, triage=reads_as_risk, notify=False, linger=60)
    for i in range(3):
        assert (await intake.store(webhook(i))).new
        await asyncio.sleep(0.01)  # each webhook alone, after the previous one was answered
    assert len(checkouts) == 1
    await asyncio.wait_for(intake.close(), timeout=10)  # the lingering writer stops at once
    event.remove(engine.sync_engine, "checkout", listener)
    assert len(await _stored(session)) == 3
