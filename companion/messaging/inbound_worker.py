"""The worker that handles stored inbound messages, woken after each webhook commits."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from companion.clock import Clock
from companion.db import session_scope
from companion.messaging import inbound
from companion.messaging.wakeup import WAKER_KEY, Waker

log = logging.getLogger("companion.sms.inbound")


class InboundProcessor:
    def __init__(
        self, sessionmaker: async_sessionmaker[AsyncSession], clock: Clock, handler: inbound.Handler,
        outbox_waker: Waker | None = None, *, urgent_only: bool = False, batch_size: int = 1,
        routine: inbound.BatchHandler | None = None,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.clock = clock
        self.handler = handler
        self.outbox_waker = outbox_waker
        self.urgent_only = urgent_only
        # Ordinary messages are handled several to a transaction (messaging/inbound.handle_batch);
        # the urgent-only processor takes one at a time, the quickest way to the first.
        self.batch_size = 1 if urgent_only else batch_size
        self.routine = routine  # what handles the routine part of a batch set-based
        self.waited = 0.0  # how long the last batch's oldest message had waited, in seconds

    async def handle_one(self) -> bool:
        """Handle the next waiting message in its own transaction; False when none waits."""
        claimed: list[int] = []
        try:
            async with session_scope(self.sessionmaker) as session:
                if self.outbox_waker is not None:
                    session.info[WAKER_KEY] = self.outbox_waker
                message = await inbound.handle_next(
                    session, self.clock, self.handler, claimed, urgent_only=self.urgent_only
                )
                return message is not None
        except Exception:
            log.exception("handling inbound message %s failed; it will be tried again", claimed or "?")
            if not claimed:
                raise
            async with session_scope(self.sessionmaker) as session:
                await inbound.give_up_or_retry(session, self.clock, claimed[0])
            return True

    async def handle_some(self) -> int:
        """Handle a batch of waiting messages in one transaction; 0 when none waits. A batch that
        fails is rolled back and its messages handled one at a time, each in its own transaction
        (a message that keeps failing is counted and set aside there, never dropped)."""
        if self.batch_size <= 1:
            return int(await self.handle_one())
        claimed: list[int] = []
        oldest: list[datetime] = []
        try:
            async with session_scope(self.sessionmaker) as session:
                if self.outbox_waker is not None:
                    session.info[WAKER_KEY] = self.outbox_waker
                handled = await inbound.handle_batch(session, self.clock, self.handler, claimed,
                                                     size=self.batch_size, routine=self.routine, oldest=oldest)
            self.waited = max(0.0, (self.clock.now() - oldest[0]).total_seconds()) if oldest else 0.0
            return handled
        except Exception:
            log.warning("a batch of %d inbound messages failed; handling them one at a time", len(claimed),
                        exc_info=True)
            if not claimed:
                raise
        handled = 0
        for _ in claimed:
            if not await self.handle_one():
                break
            handled += 1
        return handled

    async def drain(self, limit: int = 10_000) -> int:
        handled = 0
        while handled < limit:
            some = await self.handle_some()
            if some == 0:
                break
            handled += some
        return handled


# How long the oldest message of a full batch may have waited before more loops and the other
# processes are called in: a quarter of the one second a reply may take at the 99th percentile.
HELP_AFTER = 0.25


async def run_inbound(
    processor: InboundProcessor, wait_for_work: Callable[[float], Awaitable[bool]], stop: asyncio.Event,
    *, tick: float = 2.0, loops: int = 1, call_for_help: Callable[[], Awaitable[None]] | None = None,
    leading: Callable[[], bool] = lambda: True,
) -> None:
    """Handle messages until ``stop`` is set, sleeping until woken or the next tick.

    One loop waits to be woken; while its batches come back full and late (the oldest message
    waited :data:`HELP_AFTER`: more is waiting than one loop keeps up with), up to ``loops``
    batches are handled at once (each waits on the database most of the time). A quiet
    hour wakes one loop per process per ring, not ``loops`` of them racing for the same few
    messages (their empty claims would cost more than the messages); ``call_for_help`` rings the
    other processes when a batch comes back full. A process not ``leading`` (woken by such a call,
    or by its tick) goes back to waiting after a batch short of full: the trickle is the lead's."""
    helpers: set[asyncio.Task[None]] = set()
    try:
        while not stop.is_set():
            handled = await _handle_some(processor)
            if handled >= processor.batch_size > 1 and processor.waited >= HELP_AFTER:
                # A full batch whose oldest message waited: the queue grows faster than one loop
                # takes it (a full batch alone may be a moment's stall, and help splits batches).
                if call_for_help is not None:
                    await _quietly(call_for_help)
                while len(helpers) < loops - 1:
                    helper = asyncio.create_task(_help(processor, stop))
                    helpers.add(helper)
                    helper.add_done_callback(helpers.discard)
            if handled == 0 or (handled < processor.batch_size and not leading()):
                await wait_for_work(tick)
    finally:
        for helper in list(helpers):
            await helper  # each ends after its batch: nothing is left half-handled


async def _help(processor: InboundProcessor, stop: asyncio.Event) -> None:
    """Handle batches beside the waiting loop until one comes back short of full."""
    while not stop.is_set() and await _handle_some(processor) >= processor.batch_size:
        pass  # (while helping, a full batch is reason enough to go on)


async def _quietly(call: Callable[[], Awaitable[None]]) -> None:
    try:
        await call()
    except Exception:  # the others still look at their tick
        log.warning("could not call the other inbound workers in", exc_info=True)


async def _handle_some(processor: InboundProcessor) -> int:
    try:
        return await processor.handle_some()
    except Exception:
        log.exception("inbound round failed; retrying at the next tick")
        return 0
