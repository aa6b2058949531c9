"""The scheduler process: APScheduler 3 fires the ticks; every job's state lives in the database.

One scheduler process per deployment (a job store is never shared between schedulers); any number
of dispatch workers may run beside it on PostgreSQL, claiming outbox rows with SKIP LOCKED.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from companion.clock import Clock
from companion.db import create_engine, create_sessionmaker
from companion.messaging.dispatch_loop import run_dispatcher
from companion.messaging.gateways import SmsGateway, create_gateway
from companion.messaging.inbound_worker import run_inbound
from companion.messaging.listener import OutboxListener
from companion.messaging.push_gateway import PushGateway, create_push_gateway
from companion.metrics.server import start_metrics_server
from companion.protocols import ProtocolSource
from companion.settings import Settings
from jobs import (
    dispatch_outbox,
    dispatch_push,
    escalate_alerts,
    expire_prompts,
    extend_plans,
    handle_inbound,
    purge_records,
    release_prompts,
    send_digests,
    send_reminders,
    watchdog,
)
from jobs.context import JobContext

log = logging.getLogger("companion.jobs")

TICKS = (handle_inbound, escalate_alerts, release_prompts, send_reminders, expire_prompts, dispatch_outbox,
         dispatch_push, send_digests)


def build_scheduler(ctx: JobContext) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(
        timezone="UTC",
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 60},
    )
    for module in TICKS:
        scheduler.add_job(module.run, IntervalTrigger(seconds=module.INTERVAL), args=[ctx], id=module.JOB_ID,
                          name=module.JOB_ID, replace_existing=True)
    scheduler.add_job(extend_plans.run, CronTrigger(minute=5), args=[ctx], id=extend_plans.JOB_ID,
                      name=extend_plans.JOB_ID, replace_existing=True)
    scheduler.add_job(purge_records.run, CronTrigger(minute=35), args=[ctx], id=purge_records.JOB_ID,
                      name=purge_records.JOB_ID, replace_existing=True)
    # The watchdog reports; it is never retried: a missed run is simply skipped.
    scheduler.add_job(watchdog.run, IntervalTrigger(seconds=watchdog.INTERVAL), args=[ctx], id=watchdog.JOB_ID,
                      name=watchdog.JOB_ID, replace_existing=True, misfire_grace_time=1)
    return scheduler


ROLES = frozenset({"inbound", "dispatch"})


@dataclass
class Workers:
    """The scheduler, the dispatcher loop for urgent messages and the LISTEN connection.

    ``ticks=False`` is a worker process (`companion worker`): the dispatcher and the inbound
    worker only, with no scheduler: any number of them run beside the one scheduler process on
    PostgreSQL, claiming outbox rows and inbound messages with SKIP LOCKED (one number's messages
    still one at a time, in order, under its advisory lock: messaging/inbound.py)."""

    ctx: JobContext
    scheduler: AsyncIOScheduler
    listener: OutboxListener
    stop: asyncio.Event
    loop_task: asyncio.Task[None] | None = None
    inbound_tasks: list[asyncio.Task[None]] = field(default_factory=list)
    ticks: bool = True
    # What a worker process runs (both by default; `companion worker --only inbound` or `dispatch`
    # scales one apart from the other). The scheduler process always runs both.
    roles: frozenset[str] = ROLES

    @classmethod
    def create(cls, ctx: JobContext, *, ticks: bool = True, roles: frozenset[str] = ROLES) -> Workers:
        unknown = roles - ROLES
        if unknown or not roles:
            wanted = ", ".join(sorted(unknown)) or "nothing"
            raise ValueError(f"a worker runs {' and/or '.join(sorted(ROLES))}, not {wanted}")
        roles = ROLES if ticks else roles
        # Only a process that handles inbound messages listens for them (and may lead: listener.py).
        listener = OutboxListener(ctx.engine, ctx.waker, ctx.inbound_waker if "inbound" in roles else None)
        return cls(ctx, build_scheduler(ctx), listener, asyncio.Event(), ticks=ticks, roles=roles)

    async def start(self, *, plan_now: bool = True) -> None:
        await self.listener.start()
        if "dispatch" in self.roles:
            self.loop_task = asyncio.create_task(
                run_dispatcher(self.ctx.get_dispatcher(), self.ctx.waker.wait, self.stop)
            )
        # Several batches are handled at once while the queue is long (each waits on the database
        # most of the time); one number's messages still go one at a time, in order. SQLite has
        # one writer: one loop.
        loops = 1 if self.ctx.settings.is_sqlite else self.ctx.settings.inbound_concurrency
        if "inbound" in self.roles:
            self.inbound_tasks = [asyncio.create_task(
                run_inbound(self.ctx.get_inbound(), self.ctx.inbound_waker.wait, self.stop, loops=loops,
                            call_for_help=self.listener.call_for_help, leading=self.listener.answers_rings)
            )]
        if not self.ticks:
            log.info("worker started: %s%s, no scheduler", "the dispatcher and " if self.loop_task else "",
                     f"inbound handling ({loops} batch(es) at once)" if self.inbound_tasks else "no inbound handling")
            return
        self.scheduler.start()
        if plan_now:
            # Plan at start too, so a fresh deployment does not wait for the night.
            self.scheduler.add_job(extend_plans.run, args=[self.ctx], id="extend-plans-at-start",
                                   replace_existing=True)
        log.info("scheduler started with jobs: %s", ", ".join(j.id for j in self.scheduler.get_jobs()))

    async def shutdown(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        self.stop.set()
        self.ctx.waker.wake()
        self.ctx.inbound_waker.wake()
        for task in (self.loop_task, *self.inbound_tasks):
            if task is not None:
                await task
        await self.listener.stop()
        if self.ctx.push_gateway is not None:
            await self.ctx.push_gateway.close()


def make_context(
    settings: Settings, *, clock: Clock | None = None, gateway: SmsGateway | None = None,
    protocols: ProtocolSource | None = None, push_gateway: PushGateway | None = None,
) -> JobContext:
    """The context of a scheduler process; its protocol is ``settings.protocol_file``'s unless
    ``protocols`` says otherwise."""
    engine = create_engine(settings)
    return JobContext(settings=settings, engine=engine, sessionmaker=create_sessionmaker(engine),
                      clock=clock or Clock(), gateway=gateway or create_gateway(settings),
                      protocols=protocols or ProtocolSource.from_file(settings.protocol_file),
                      push_gateway=push_gateway or create_push_gateway(settings))


async def run_forever(settings: Settings, *, ticks: bool = True, roles: frozenset[str] = ROLES) -> None:
    """`companion jobs` / `python -m jobs` (``ticks``), or `companion worker` (``roles``): run until
    interrupted."""
    ctx = make_context(settings)
    workers = Workers.create(ctx, ticks=ticks, roles=roles)
    await workers.start()
    metrics = None
    # the scheduler's own metrics port; a worker has none (several may share a host)
    if ticks and settings.metrics_enabled and settings.metrics_jobs_port is not None:
        metrics = await start_metrics_server(settings, ctx.sessionmaker, ctx.clock, port=settings.metrics_jobs_port)
    try:
        await asyncio.Event().wait()
    finally:
        if metrics is not None:
            await metrics.stop()
        await workers.shutdown()
        await ctx.gateway.close()
        await ctx.engine.dispose()
