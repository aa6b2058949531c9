"""Receiving inbound webhooks: each message committed before Twilio is answered, many per commit.

A webhook hands its row to the intake and waits. A writer stores every row waiting when it is free
in a single INSERT and commit, then answers each waiting webhook; while it waits for its commit,
another writer (up to MAX_WRITERS) takes what arrives meanwhile. Under load a commit carries dozens
of messages; alone a message waits for one commit as before. A batch that fails is stored again row
by row, so one bad message never fails the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from companion.clock import Clock
from companion.messaging import inbound
from companion.messaging.policy import INBOUND_URGENT
from companion.messaging.wakeup import Waker
from companion.observability import metrics as metrics

log = logging.getLogger("companion.sms.inbound")

MAX_BATCH = 200
MAX_WRITERS = 3  # batches committing at once: the next one fills while the last waits for its commit


@dataclass(frozen=True)
class Stored:
    new: bool  # False when this MessageSid was stored already (Twilio delivered it twice)
    urgent: bool  # the text reads as risk


@dataclass
class _Waiting:
    row: dict[str, Any]
    answer: asyncio.Future[bool]


class InboundIntake:
    """Stores webhooks' messages in batches. ``waker`` is rung after a commit that stored a message
    (only an urgent one when ``wake_for_urgent_only``); ``notify`` wakes other processes' workers."""

    def __init__(
        self, engine: AsyncEngine, clock: Clock, *, triage: inbound.Triage, notify: bool,
        waker: Waker | None = None, wake_for_urgent_only: bool = False, linger: float = 0.0,
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.triage = triage
        self.notify = notify
        self.waker = waker
        self.wake_for_urgent_only = wake_for_urgent_only
        self.linger = linger  # seconds a writer keeps its connection for the next webhook
        self._waiting: list[_Waiting] = []
        self._arrived = asyncio.Event()
        self._writers: set[asyncio.Task[None]] = set()
        self._idle = 0  # writers waiting for work

    async def store(self, params: Mapping[str, str]) -> Stored:
        """Store one webhook's message; returns once it is committed (or raises if it cannot be)."""
        row = inbound.row(self.clock, params, self.triage)
        waiting = _Waiting(row, asyncio.get_running_loop().create_future())
        self._waiting.append(waiting)
        self._arrived.set()
        if self._idle == 0 and len(self._writers) < MAX_WRITERS:
            # Every writer is busy committing: another one takes what arrives meanwhile.
            # In a context of its own: it stores other requests' messages too, so its log lines
            # carry no one request's id.
            writer = asyncio.create_task(self._write(), context=contextvars.Context())
            self._writers.add(writer)
            writer.add_done_callback(self._writers.discard)
        # A webhook whose caller went away is still stored: the writer owns the row from here on.
        new = await asyncio.shield(waiting.answer)
        return Stored(new, row["priority"] == INBOUND_URGENT)

    async def close(self) -> None:
        """Let the writers store what waits and give their connections back."""
        self.linger = 0.0
        self._arrived.set()
        await asyncio.gather(*self._writers)

    def _take(self) -> list[_Waiting]:
        batch, self._waiting = self._waiting[:MAX_BATCH], self._waiting[MAX_BATCH:]
        return batch

    async def _next_batch(self) -> list[_Waiting]:
        """What waits now or, when nothing does, what comes within ``linger`` seconds (may be nothing)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.linger
        while not self._waiting and (remaining := deadline - loop.time()) > 0 and self.linger > 0:
            self._arrived.clear()
            self._idle += 1
            try:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._arrived.wait(), remaining)
            finally:
                self._idle -= 1
        return self._take()

    async def _write(self) -> None:
        """Store batches until nobody waits, on one connection held meanwhile (and ``linger`` after)."""
        while self._waiting:
            connected = False
            try:
                async with self._connection() as conn:
                    connected = True
                    while batch := await self._next_batch():
                        try:
                            await self._store(conn, batch)
                        except Exception:
                            log.warning("storing %d inbound messages together failed; storing them one by one",
                                        len(batch))
                            await self._one_by_one(batch)
                            break  # the connection may be broken: take a fresh one for what follows
            except Exception as exc:
                if connected:
                    continue
                log.error("cannot reach the database to store %d inbound messages", len(self._waiting))
                for waiting in self._take():  # their webhooks fail, and Twilio tries them again
                    metrics.webhook_refused("sms", "store_failed")
                    waiting.answer.set_exception(exc)

    @contextlib.asynccontextmanager
    async def _connection(self) -> AsyncIterator[AsyncConnection]:
        async with self.engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                # A batch is one statement there: autocommit makes it one round trip.
                await conn.execution_options(isolation_level="AUTOCOMMIT")
            yield conn

    async def _one_by_one(self, batch: list[_Waiting]) -> None:
        for waiting in batch:
            try:
                async with self._connection() as conn:
                    await self._store(conn, [waiting])
            except Exception as exc:  # this message alone: its webhook fails and Twilio retries
                metrics.webhook_refused("sms", "store_failed")
                waiting.answer.set_exception(exc)

    async def _store(self, conn: AsyncConnection, batch: list[_Waiting]) -> None:
        first: dict[str, _Waiting] = {}
        for waiting in batch:
            first.setdefault(waiting.row["message_sid"], waiting)
        stored = await inbound.store_rows(conn, [w.row for w in first.values()], notify=self.notify)
        metrics.inbound_stored(new=len(stored), duplicate=len(batch) - len(stored))
        for waiting in batch:
            sid = waiting.row["message_sid"]
            waiting.answer.set_result(sid in stored and first[sid] is waiting)
        if self.waker is not None and any(
            not self.wake_for_urgent_only or first[sid].row["priority"] == INBOUND_URGENT for sid in stored
        ):
            self.waker.wake()
