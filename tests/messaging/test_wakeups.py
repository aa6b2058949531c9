"""Urgent messages go out at once after commit, not at the next tick."""

from __future__ import annotations

import asyncio
import time

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from companion.clock import FrozenClock
from companion.db import create_engine, create_sessionmaker, session_scope
from companion.messaging import outbox
from companion.messaging.dispatch_loop import run_dispatcher
from companion.messaging.dispatcher import Dispatcher
from companion.messaging.gateways import TwilioGateway
from companion.messaging.listener import OutboxListener
from companion.messaging.policy import Purpose
from companion.messaging.wakeup import WAKER_KEY, Waker
from companion.settings import Settings
from tests.conftest import World
from tests.delivery import delivery_events
from tests.fakes.fake_twilio import FakeTwilio

PAGE_TO = "+12025550188"


async def _page(engine: AsyncEngine, clock: FrozenClock, waker: Waker | None) -> None:
    async with session_scope(create_sessionmaker(engine)) as session:
        if waker is not None:
            session.info[WAKER_KEY] = waker
        await outbox.enqueue(session, clock, to_phone=PAGE_TO, purpose=Purpose.STAFF_PAGE,
                             body="Urgent alert for patient P-1042. Reply ACK 4821", clinic_id=None)


async def _time_to_send(
    settings: Settings, engine: AsyncEngine, clock: FrozenClock, fake: FakeTwilio, *, cross_process: bool
) -> float:
    waker = Waker()
    gateway = TwilioGateway(settings)
    stop = asyncio.Event()
    listener = OutboxListener(engine, waker)
    loop = None
    try:
        if cross_process:
            assert await listener.start()
        dispatcher = Dispatcher(engine, gateway, clock, events=delivery_events(clock))
        loop = asyncio.create_task(run_dispatcher(dispatcher, waker.wait, stop, tick=30))
        await asyncio.sleep(0.2)  # the loop is idle, waiting for its (long) tick
        started = time.monotonic()
        if cross_process:
            # Another process: its own engine, no shared waker; only NOTIFY can wake us.
            other = create_engine(settings)
            try:
                await _page(other, clock, None)
            finally:
                await other.dispose()
        else:
            await _page(engine, clock, waker)
        await fake.await_for(lambda m: m.to == PAGE_TO, timeout=5)
        return time.monotonic() - started
    finally:
        stop.set()
        waker.wake()
        if loop is not None:
            await loop
        await listener.stop()
        await gateway.close()


async def test_in_process_wake(
    settings: Settings, engine: AsyncEngine, clock: FrozenClock, fake: FakeTwilio, world: World
) -> None:
    assert await _time_to_send(settings, engine, clock, fake, cross_process=False) < 2


async def test_cross_process_wake_with_listen_notify(
    settings: Settings, engine: AsyncEngine, clock: FrozenClock, fake: FakeTwilio, world: World, is_postgres: bool
) -> None:
    if not is_postgres:
        pytest.skip("LISTEN/NOTIFY needs PostgreSQL; on SQLite one process runs the dispatcher")
    assert await _time_to_send(settings, engine, clock, fake, cross_process=True) < 2
