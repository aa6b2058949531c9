"""While the inbound queue is short, one process answers the rings (listener.py): the one holding
the lead lock. A full batch calls the others in, and the lead passes on when its holder goes."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from companion.messaging.listener import OutboxListener
from companion.messaging.wakeup import INBOUND_CHANNEL, Waker


async def _ring(engine: AsyncEngine, payload: str = "") -> None:
    async with engine.connect() as conn:
        await conn.execute(text("SELECT pg_notify(:c, :p)"), {"c": INBOUND_CHANNEL, "p": payload})
        await conn.commit()


async def _rung(waker: Waker) -> bool:
    return await waker.wait(1.0)


async def _until(condition: object, seconds: float = 5.0) -> None:
    for _ in range(int(seconds / 0.05)):
        if condition():  # type: ignore[operator]
            return
        await asyncio.sleep(0.05)
    raise AssertionError("not within the time")


async def test_one_process_answers_a_ring_and_a_full_batch_calls_all(engine: AsyncEngine, is_postgres: bool) -> None:
    if not is_postgres:
        pytest.skip("LISTEN/NOTIFY needs PostgreSQL; on SQLite one process handles everything")
    wakers = [Waker(), Waker()]
    listeners = [OutboxListener(engine, Waker(), waker, lead_every=0.1) for waker in wakers]
    try:
        for listener in listeners:
            assert await listener.start()
        await _until(lambda: any(listener.leading for listener in listeners))
        await asyncio.sleep(0.3)  # the other has tried and been refused
        assert [listener.leading for listener in listeners].count(True) == 1
        lead = next(n for n, listener in enumerate(listeners) if listener.leading)
        other = 1 - lead

        await _ring(engine)
        assert await _rung(wakers[lead])
        assert not await _rung(wakers[other])

        await listeners[lead].call_for_help()
        assert await _rung(wakers[lead]) and await _rung(wakers[other])

        # The lead's process goes: the other takes the lead at its next try, and answers.
        await listeners[lead].stop()
        await _until(lambda: listeners[other].leading)
        await _ring(engine)
        assert await _rung(wakers[other])
    finally:
        for listener in listeners:
            await listener.stop()


async def test_a_process_that_handles_no_inbound_never_leads(engine: AsyncEngine, is_postgres: bool) -> None:
    if not is_postgres:
        pytest.skip("LISTEN/NOTIFY needs PostgreSQL")
    listener = OutboxListener(engine, Waker(), None, lead_every=0.05)
    try:
        assert await listener.start()
        await asyncio.sleep(0.3)
        assert not listener.leading
    finally:
        await listener.stop()
