"""Release due prompts to patients."""

from __future__ import annotations

from companion.scheduling.due import release_due
from jobs.context import JobContext, with_heartbeat

JOB_ID = "release-prompts"
INTERVAL = 30
BATCH = 500


async def release_all(ctx: JobContext) -> int:
    """Release every due prompt, in batches of one unit of work each."""
    return await ctx.in_batches(lambda session: release_due(session, ctx.clock, BATCH, ctx.settings), BATCH)


@with_heartbeat(JOB_ID, INTERVAL)
async def run(ctx: JobContext) -> int:
    total = await release_all(ctx)
    if total:
        ctx.waker.wake()
    return total
