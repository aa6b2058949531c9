"""The dispatch tick: send what is due. Urgent messages do not wait for it (see run_dispatcher)."""

from __future__ import annotations

from jobs.context import JobContext, with_heartbeat

JOB_ID = "dispatch-outbox"
INTERVAL = 2


@with_heartbeat(JOB_ID, INTERVAL)
async def run(ctx: JobContext) -> int:
    return await ctx.get_dispatcher().drain(max_rounds=50)
