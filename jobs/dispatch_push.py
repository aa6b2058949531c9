"""The push tick: send the web pushes that are due (docs/push.md). Pushes are routine prompts and
reminders only, so a tick is soon enough."""

from __future__ import annotations

from jobs.context import JobContext, with_heartbeat

JOB_ID = "dispatch-push"
INTERVAL = 5


@with_heartbeat(JOB_ID, INTERVAL)
async def run(ctx: JobContext) -> int:
    dispatcher = ctx.get_push_dispatcher()
    if dispatcher is None:
        return 0
    return await dispatcher.drain()
