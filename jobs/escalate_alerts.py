"""Climb the chains of unacknowledged alerts whose next step is due."""

from __future__ import annotations

from companion.safety.escalate import advance_due
from jobs.context import JobContext, with_heartbeat

JOB_ID = "escalate-alerts"
INTERVAL = 15
BATCH = 200


@with_heartbeat(JOB_ID, INTERVAL)
async def run(ctx: JobContext) -> int:
    return await ctx.in_batches(lambda session: advance_due(session, ctx.clock, ctx.protocols, BATCH),
                                BATCH)
