"""The daily digest of routine alerts, queued when each clinic opens (checked every 15 minutes)."""

from __future__ import annotations

from companion.safety.digests import send_due_digests
from jobs.context import JobContext, with_heartbeat

JOB_ID = "send-digests"
INTERVAL = 900


@with_heartbeat(JOB_ID, INTERVAL)
async def run(ctx: JobContext) -> int:
    async with ctx.unit_of_work() as session:
        return await send_due_digests(session, ctx.clock, ctx.protocols, ctx.settings)
