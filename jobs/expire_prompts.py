"""Expire prompts past their time; missed check-ins in a row go to the safety rules."""

from __future__ import annotations

from companion.safety.hooks import missed_checkins
from companion.scheduling.due import expire_due
from jobs.context import JobContext, with_heartbeat

JOB_ID = "expire-prompts"
INTERVAL = 60
BATCH = 2000


@with_heartbeat(JOB_ID, INTERVAL)
async def run(ctx: JobContext) -> int:
    """Expire in batches until a batch comes back short (each its own unit of work, with the
    findings for its missed streaks); returns how many streaks were found."""
    streaks = 0
    while True:
        async with ctx.unit_of_work() as session:
            expired = await expire_due(session, ctx.clock, BATCH)
            for streak in expired.streaks:
                await missed_checkins(session, ctx.clock, ctx.protocols, streak.patient_id, streak.missed_in_a_row)
        streaks += len(expired.streaks)
        if expired.count < BATCH:
            return streaks
