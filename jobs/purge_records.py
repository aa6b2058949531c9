"""Delete the SMS and audit rows past each clinic's retention periods, a bounded batch per
transaction (companion/clinics/retention.py says what is never deleted). Hourly, so a backlog (a
period shortened, a first run on an old database) drains in steps without one long transaction."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from companion.clinics.retention import BATCH, purge_batch
from jobs.context import JobContext, with_heartbeat

JOB_ID = "purge-records"
INTERVAL = 3600


async def purge_all(ctx: JobContext, batch: int = BATCH) -> int:
    """Purge in units of work of at most ``batch`` rows until nothing is left; returns the rows deleted."""

    async def one(session: AsyncSession) -> int:
        return (await purge_batch(session, ctx.clock, batch)).total

    return await ctx.in_batches(one, batch)


@with_heartbeat(JOB_ID, INTERVAL)
async def run(ctx: JobContext) -> int:
    return await purge_all(ctx)
