"""Job heartbeats: each run of a scheduled job leaves its mark, and /ready reads them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from companion.clock import Clock
from companion.models import JobHeartbeat

STALE_AFTER_INTERVALS = 5
MIN_STALE = timedelta(minutes=2)


async def beat(
    session: AsyncSession, clock: Clock, job_id: str, interval_seconds: int, *, started: datetime,
    error: str | None,
) -> None:
    row = await session.get(JobHeartbeat, job_id, with_for_update=True)
    if row is None:
        row = JobHeartbeat(job_id=job_id, runs=0)
        session.add(row)
    row.last_started_at = started
    row.last_finished_at = clock.now()
    row.interval_seconds = interval_seconds
    row.runs = (row.runs or 0) + 1
    row.last_error = error[:300] if error else None
    if error is None:
        row.last_ok_at = row.last_finished_at


@dataclass(frozen=True)
class SchedulerHealth:
    seen: bool
    stalled: list[str]


def is_stale(row: JobHeartbeat, now: datetime) -> bool:
    allowed = max(MIN_STALE, timedelta(seconds=row.interval_seconds * STALE_AFTER_INTERVALS))
    return row.last_finished_at is None or now - row.last_finished_at > allowed


async def scheduler_health(session: AsyncSession, clock: Clock) -> SchedulerHealth:
    rows = list((await session.execute(select(JobHeartbeat))).scalars())
    now = clock.now()
    return SchedulerHealth(seen=bool(rows), stalled=sorted(r.job_id for r in rows if is_stale(r, now)))
