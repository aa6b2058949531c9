"""Remind patients about prompts they have not answered."""

from __future__ import annotations

from companion.scheduling.due import send_reminders
from jobs.context import JobContext, with_heartbeat

JOB_ID = "send-reminders"
INTERVAL = 60
BATCH = 500


@with_heartbeat(JOB_ID, INTERVAL)
async def run(ctx: JobContext) -> int:
    total = 0
    while True:
        async with ctx.unit_of_work() as session:
            count = await send_reminders(session, ctx.clock, ctx.settings, BATCH)
        total += count
        if count < BATCH:
            break
    return total
