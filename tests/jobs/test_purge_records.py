"""The purge job: every expired row goes, in units of work of at most a batch, and the run beats."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from companion.clock import FrozenClock
from companion.models import AuditEvent, JobHeartbeat, OutboundMessage
from companion.models.base import table_of
from jobs import purge_records
from jobs.context import JobContext
from tests.conftest import World


async def test_the_job_purges_a_backlog_in_batches_and_beats(
    ctx: JobContext, world: World, session: AsyncSession, clock: FrozenClock
) -> None:
    clinic = await world.clinic()
    old, recent = clock.now() - timedelta(days=800), clock.now() - timedelta(days=10)
    async with ctx.engine.begin() as conn:
        await conn.execute(insert(table_of(OutboundMessage)), [
            {"clinic_id": clinic.id, "to_phone": "+12025550142", "purpose": "prompt", "body": "Hi", "priority": 5,
             "status": "delivered", "due_at": at, "attempts": 1, "dedupe_key": f"t:{i}", "created_at": at}
            for i, at in enumerate([old] * 7 + [recent] * 2)
        ])
    assert await purge_records.purge_all(ctx, batch=3) == 7
    count = select(func.count()).select_from(table_of(OutboundMessage))
    assert await session.scalar(count) == 2

    async with ctx.engine.begin() as conn:
        await conn.execute(insert(table_of(AuditEvent)), [
            {"clinic_id": clinic.id, "actor": "staff:1", "action": "patient.read", "subject": "patient:1",
             "at": clock.now() - timedelta(days=2200), "detail": {}}])
    assert await purge_records.run(ctx) == 1
    beat = (await session.execute(select(JobHeartbeat).where(JobHeartbeat.job_id == "purge-records"))).scalar_one()
    assert beat.runs == 1 and beat.last_error is None
