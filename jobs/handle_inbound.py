"""The inbound tick: handle stored messages that no process has handled yet."""

from __future__ import annotations

from jobs.context import JobContext, with_heartbeat

JOB_ID = "handle-inbound"
INTERVAL = 5


@with_heartbeat(JOB_ID, INTERVAL)
async def run(ctx: JobContext) -> int:
    return await ctx.get_inbound().drain(limit=2000)
