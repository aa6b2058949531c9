"""Remind patients about prompts they have not answered."""

from __future__ import annotations

from companion.scheduling.due import send_reminders
from jobs.context import JobContext, with_heartbeat

JOB_ID = "send-reminders"
INTERVAL = 60
BATCH = 500


@with_heartbeat(JOB_ID, INTERVAL)
async def run(ctx: JobContext) -> int:
    return await ctx.in_batches(lambda session: send_reminders(session, ctx.clock, ctx.settings, BATCH), BATCH)
