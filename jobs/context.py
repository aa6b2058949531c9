"""What every job needs, built once per scheduler process."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from functools import wraps

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from companion.clock import Clock
from companion.conversations.delivery import DeliveryReactions
from companion.conversations.router import Conversations
from companion.db import session_scope
from companion.messaging.dispatcher import Dispatcher
from companion.messaging.gateways import SmsGateway
from companion.messaging.inbound_worker import InboundProcessor
from companion.messaging.push_dispatcher import PushDispatcher
from companion.messaging.push_gateway import PushGateway
from companion.messaging.wakeup import WAKER_KEY, Waker
from companion.protocols import ProtocolSource
from companion.scheduling import heartbeat
from companion.settings import Settings

log = logging.getLogger("companion.jobs")


@dataclass
class JobContext:
    """``protocols`` gives the safety protocol each job hands the services it calls."""

    settings: Settings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    clock: Clock
    gateway: SmsGateway
    protocols: ProtocolSource
    waker: Waker = field(default_factory=Waker)
    inbound_waker: Waker = field(default_factory=Waker)
    dispatcher: Dispatcher | None = None
    inbound: InboundProcessor | None = None
    # None when push is off (no VAPID key: docs/push.md).
    push_gateway: PushGateway | None = None
    push_dispatcher: PushDispatcher | None = None

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[AsyncSession]:
        """A transaction whose urgent messages ring this process's dispatcher after commit."""
        async with session_scope(self.sessionmaker) as session:
            session.info[WAKER_KEY] = self.waker
            yield session

    async def in_batches(self, work: Callable[[AsyncSession], Awaitable[int]], batch: int) -> int:
        """Run ``work`` (which handles at most ``batch`` rows) in units of work until it handles
        fewer than ``batch``; returns how many it handled in all."""
        total = 0
        while True:
            async with self.unit_of_work() as session:
                count = await work(session)
            total += count
            if count < batch:
                return total

    def get_inbound(self) -> InboundProcessor:
        if self.inbound is None:
            handler = Conversations(self.clock, self.settings, self.protocols)
            self.inbound = InboundProcessor(self.sessionmaker, self.clock, handler, self.waker,
                                            batch_size=self.settings.inbound_batch_size, routine=handler.routine)
        return self.inbound

    def get_dispatcher(self) -> Dispatcher:
        if self.dispatcher is None:
            events = DeliveryReactions(self.clock, self.protocols)
            self.dispatcher = Dispatcher(self.engine, self.gateway, self.clock, events=events,
                                         retry_base_seconds=self.settings.send_retry_base_seconds)
        return self.dispatcher

    def get_push_dispatcher(self) -> PushDispatcher | None:
        if self.push_dispatcher is None and self.push_gateway is not None:
            self.push_dispatcher = PushDispatcher(
                self.engine, self.push_gateway, self.clock, events=DeliveryReactions(self.clock, self.protocols),
                max_attempts=self.settings.push_max_attempts, retry_base_seconds=self.settings.send_retry_base_seconds,
                ttl_seconds=self.settings.push_ttl_seconds,
            )
        return self.push_dispatcher


Job = Callable[[JobContext], Awaitable[object]]


def with_heartbeat(job_id: str, interval_seconds: int) -> Callable[[Job], Job]:
    """Record each run of a job in its heartbeat row; a failure is logged and recorded, and the
    next scheduled run simply tries again (jobs keep no state of their own)."""

    def decorate(job: Job) -> Job:
        @wraps(job)
        async def run(ctx: JobContext) -> object:
            started = ctx.clock.now()
            error = None
            result: object = None
            try:
                result = await job(ctx)
            except Exception as exc:
                # The type, not the message: a database error's message quotes its parameters.
                error = type(exc).__name__
                log.error("job %s failed (%s)", job_id, error, exc_info=True)
            try:
                async with session_scope(ctx.sessionmaker) as session:
                    await heartbeat.beat(session, ctx.clock, job_id, interval_seconds, started=started, error=error)
            except Exception:
                log.exception("could not record the heartbeat of %s", job_id)
            return result

        return run

    return decorate
