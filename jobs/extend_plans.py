"""Plan the coming days for every active patient: every hour, so a session that has just
started gets its post-session check planned long before it is due (the run inserts only what is
missing, so the nightly extension is one of these runs)."""

from __future__ import annotations

from companion.scheduling.services import extend_plans
from jobs.context import JobContext, with_heartbeat

JOB_ID = "extend-plans"
INTERVAL = 3600


@with_heartbeat(JOB_ID, INTERVAL)
async def run(ctx: JobContext) -> int:
    async with ctx.unit_of_work() as session:
        stored = await ctx.protocols.stored(session)
        per_clinic = {clinic_id: protocol.aftercare for clinic_id, protocol in stored.items()}
        return await extend_plans(session, ctx.clock, ctx.protocols.seed().aftercare, per_clinic=per_clinic)
