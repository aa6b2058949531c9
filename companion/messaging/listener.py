"""Cross-process wake-ups on PostgreSQL: LISTEN on the outbox channel and ring the local waker.

Stored inbound messages ring every process that handles them; while the queue is short only one
of those answers the ring (the one holding the lead lock, a session advisory lock on the listening
connection), so a few messages are handled in one batch, not split among every worker racing for
them. A worker whose batch comes back full (more is waiting) calls the others in
(:meth:`OutboxListener.call_for_help`), and every worker still looks at each tick: a lead that
stops answering delays nothing past the tick, and its lock goes with its connection."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from companion.messaging.wakeup import CHANNEL, INBOUND_CHANNEL, Waker

log = logging.getLogger("companion.dispatch")

LEAD_KEY = "companion_inbound_lead"
MORE = "more"  # the payload that calls every inbound worker in


class OutboxListener:
    """Keeps one connection listening; any commit that queued urgent work rings ``waker``
    (and, when given, a stored inbound message rings ``inbound_waker``)."""

    def __init__(
        self, engine: AsyncEngine, waker: Waker, inbound_waker: Waker | None = None, *, lead_every: float = 2.0
    ) -> None:
        self.engine = engine
        self.waker = waker
        self.inbound_waker = inbound_waker
        self.leading = False  # whether this process answers every inbound ring
        self.lead_every = lead_every
        self._conn: AsyncConnection | None = None
        self._driver: Any = None
        self._lead_task: asyncio.Task[None] | None = None
        self._called_at = 0.0

    def _on_notify(self, *_args: Any) -> None:
        self.waker.wake()

    def _on_inbound(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        if self.inbound_waker is not None and (self.leading or payload == MORE):
            self.inbound_waker.wake()

    async def _take_the_lead(self) -> None:
        """Try for the lead lock now and then until this process holds it (held for as long as
        the listening connection lives)."""
        while not self.leading and self._driver is not None:
            try:
                self.leading = bool(await self._driver.fetchval("SELECT pg_try_advisory_lock(hashtext($1))", LEAD_KEY))
            except Exception:  # the connection is going; the tick still finds the work
                log.debug("could not try for the inbound lead", exc_info=True)
                return
            if self.leading:
                log.info("this process answers inbound rings while the queue is short")
                return
            await asyncio.sleep(self.lead_every)

    def answers_rings(self) -> bool:
        """Whether this process takes every waiting message, not only full batches: it leads, or
        nothing here listens (SQLite: one process, the tick alone)."""
        return self.leading or self._driver is None

    async def call_for_help(self) -> None:
        """Ring every process that handles inbound messages (at most once a second from here): a
        batch came back full, more is waiting."""
        if self.engine.dialect.name != "postgresql" or time.monotonic() - self._called_at < 1.0:
            return
        self._called_at = time.monotonic()
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT pg_notify(:channel, :payload)"),
                               {"channel": INBOUND_CHANNEL, "payload": MORE})
            await conn.commit()

    async def start(self) -> bool:
        """Start listening; False (and the tick alone) where the database has no LISTEN."""
        if self.engine.dialect.name != "postgresql":
            return False
        self._conn = await self.engine.connect()
        raw = await self._conn.get_raw_connection()
        self._driver = raw.driver_connection
        await self._driver.add_listener(CHANNEL, self._on_notify)
        if self.inbound_waker is not None:
            await self._driver.add_listener(INBOUND_CHANNEL, self._on_inbound)
            self._lead_task = asyncio.create_task(self._take_the_lead())
        log.info("listening for outbox wake-ups")
        return True

    async def stop(self) -> None:
        if self._lead_task is not None:
            self._lead_task.cancel()
            await asyncio.gather(self._lead_task, return_exceptions=True)
            self._lead_task = None
        if self._driver is not None:
            try:
                if self.leading:  # the connection goes back to the pool: the lock must not go with it
                    await self._driver.execute("SELECT pg_advisory_unlock(hashtext($1))", LEAD_KEY)
                await self._driver.remove_listener(CHANNEL, self._on_notify)
                if self.inbound_waker is not None:
                    await self._driver.remove_listener(INBOUND_CHANNEL, self._on_inbound)
            except Exception:  # the connection may already be gone: never pooled again
                log.debug("listener already closed")
                if self._conn is not None:
                    await self._conn.invalidate()
            self._driver = None
        self.leading = False
        if self._conn is not None:
            await self._conn.close()
            self._conn = None
