"""Waking the dispatcher after commit: in process with an event, across processes with
PostgreSQL LISTEN/NOTIFY (the tick is the safety net)."""

from __future__ import annotations

import asyncio

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from companion.db import after_commit

CHANNEL = "companion_outbox"
INBOUND_CHANNEL = "companion_inbound"
WAKER_KEY = "waker"
RUNG_KEY = "_outbox_wake_registered"


class Waker:
    """An in-process doorbell for the dispatcher loop."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def wake(self) -> None:
        self._event.set()

    async def wait(self, seconds: float) -> bool:
        """Wait until rung or ``seconds`` pass; True when rung."""
        try:
            await asyncio.wait_for(self._event.wait(), seconds)
        except TimeoutError:
            return False
        finally:
            self._event.clear()
        return True


async def notify_after_commit(session: AsyncSession) -> None:
    """Ring the doorbell once the current transaction commits.

    On PostgreSQL a NOTIFY inside the transaction is delivered only on commit, to any dispatcher
    in any process; the in-process waker is rung by the commit hook.
    """
    if session.info.get(RUNG_KEY):
        return
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": CHANNEL})
    ring_after_commit(session)


def ring_after_commit(session: AsyncSession) -> None:
    """The in-process half of :func:`notify_after_commit`, for a caller whose own statement sent
    the NOTIFY (:func:`companion.messaging.outbox.enqueue_many`)."""
    if session.info.get(RUNG_KEY):
        return
    session.info[RUNG_KEY] = True

    def ring() -> None:
        session.info.pop(RUNG_KEY, None)
        waker = session.info.get(WAKER_KEY)
        if waker is not None:
            waker.wake()

    after_commit(session, ring)
