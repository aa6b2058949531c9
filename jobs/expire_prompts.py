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
    streaks = 0
    while True:
        async with ctx.unit_of_work() as session:
            found = await expire_due(session, ctx.clock, BATCH)
            if found:
                for streak in found:
                    await missed_checkins(session, ctx.clock, ctx.protocols, streak.patient_id, streak.missed_in_a_row)
        streaks += len(found)
        if not found:
            break
    return streaks
