"""The watchdog: reports stalled work. It only reports, and is never retried."""

from __future__ import annotations

import logging

from companion.scheduling.watchdog import inspect
from jobs.context import JobContext, with_heartbeat

log = logging.getLogger("companion.watchdog")

JOB_ID = "watchdog"
INTERVAL = 60


@with_heartbeat(JOB_ID, INTERVAL)
async def run(ctx: JobContext) -> list[str]:
    async with ctx.unit_of_work() as session:
        problems = await inspect(session, ctx.clock)
    for problem in problems:
        log.error("watchdog: %s", problem)
    return problems
