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
    if session.info.get("_outbox_wake_registered"):
        return
    session.info["_outbox_wake_registered"] = True
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        await session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": CHANNEL})

    def ring() -> None:
        session.info.pop("_outbox_wake_registered", None)
        waker = session.info.get(WAKER_KEY)
        if waker is not None:
            waker.wake()

    after_commit(session, ring)
