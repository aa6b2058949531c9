"""Reading the gauges' snapshot (a few aggregated queries per scrape) and answering a scrape."""

from __future__ import annotations

import hmac
import logging
from datetime import datetime

from prometheus_client import generate_latest
from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from companion.clock import Clock
from companion.errors import NotAuthenticated, NotFound
from companion.messaging.policy import INBOUND_URGENT, Purpose
from companion.metrics import gauges
from companion.models import (
    Alert,
    AlertStatus,
    InboundMessage,
    InboundStatus,
    JobHeartbeat,
    MessageStatus,
    OutboundMessage,
)
from companion.observability.metrics import REGISTRY
from companion.scheduling.heartbeat import is_stale
from companion.scheduling.watchdog import ESCALATION_LATE
from companion.settings import Settings

log = logging.getLogger("companion.metrics")

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def check_access(settings: Settings, authorization: str | None) -> None:
    """Metrics off: 404, as if there were no such page. A token set: the scrape must bear it."""
    if not settings.metrics_enabled:
        raise NotFound("metrics are not enabled (COMPANION_METRICS_ENABLED)")
    if settings.metrics_token is None:
        return
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), settings.metrics_token.encode()):
        raise NotAuthenticated("metrics need 'Authorization: Bearer <COMPANION_METRICS_TOKEN>'")


def _age(now: datetime, then: datetime | None) -> float:
    return max(0.0, (now - then).total_seconds()) if then is not None else 0.0


async def read_snapshot(session: AsyncSession, clock: Clock) -> gauges.Snapshot:
    now = clock.now()
    inbound = await session.execute(
        select(col(InboundMessage.priority), func.count(), func.min(col(InboundMessage.received_at)))
        .where(col(InboundMessage.status) == InboundStatus.RECEIVED)
        .group_by(col(InboundMessage.priority))
    )
    backlog: dict[str, int] = {}
    oldest: datetime | None = None
    for priority, count, first in inbound:
        key = "urgent" if priority == INBOUND_URGENT else "routine"
        backlog[key] = backlog.get(key, 0) + count
        oldest = first if oldest is None or (first is not None and first < oldest) else oldest

    due_at = case((col(OutboundMessage.due_at) <= now, col(OutboundMessage.due_at)))
    outbox_rows = await session.execute(
        select(col(OutboundMessage.status), col(OutboundMessage.purpose), func.count(), func.min(due_at))
        .where(col(OutboundMessage.status).in_(gauges.COUNTED_OUTBOX_STATUSES))
        .group_by(OutboundMessage.status, OutboundMessage.purpose)
    )
    outbox: dict[tuple[str, str], int] = {}
    oldest_due: dict[str, float] = {}
    for status, purpose, count, first_due in outbox_rows:
        outbox[(status, purpose)] = count
        if status == MessageStatus.PENDING and first_due is not None:
            oldest_due[purpose] = _age(now, first_due)

    is_open = col(Alert.status) == AlertStatus.OPEN
    alert_rows = await session.execute(
        select(
            col(Alert.severity), col(Alert.status), func.count(),
            func.sum(case((is_open & (col(Alert.next_step_at) <= now), 1), else_=0)),
            func.sum(case((is_open & (col(Alert.next_step_at) < now - ESCALATION_LATE), 1), else_=0)),
        )
        .where(col(Alert.status).in_(gauges.ACTIVE_ALERT_STATUSES))
        .group_by(Alert.severity, Alert.status)
    )
    alerts: dict[tuple[str, str], int] = {}
    due: dict[str, int] = {}
    overdue: dict[str, int] = {}
    for severity, status, count, due_now, late in alert_rows:
        alerts[(severity, status)] = count
        due[severity] = due.get(severity, 0) + int(due_now or 0)
        overdue[severity] = overdue.get(severity, 0) + int(late or 0)

    beats = (await session.execute(select(JobHeartbeat))).scalars()
    jobs = [
        gauges.JobBeat(row.job_id, _age(now, row.last_finished_at) if row.last_finished_at else None,
                       is_stale(row, now), row.last_error is not None, row.interval_seconds)
        for row in beats
    ]
    return gauges.Snapshot(
        inbound_backlog=backlog, inbound_oldest_age_seconds=_age(now, oldest), outbox=outbox,
        outbox_oldest_due_age_seconds=oldest_due, alerts=alerts, steps_due=due, steps_overdue=overdue, jobs=jobs,
    )


async def scrape(
    sessionmaker: async_sessionmaker[AsyncSession], clock: Clock, settings: Settings, authorization: str | None
) -> bytes:
    """The exposition text: this process's counters, then the database's gauges (or
    ``companion_database_up 0`` when the database cannot be read, so the counters still arrive)."""
    check_access(settings, authorization)
    try:
        async with sessionmaker() as session:
            snapshot = await read_snapshot(session, clock)
        families = gauges.families(snapshot, [p.value for p in Purpose], ESCALATION_LATE.total_seconds())
    except Exception as exc:
        log.warning("metrics scrape could not read the database (%s)", type(exc).__name__)
        families = gauges.database_down()
    return generate_latest(REGISTRY) + generate_latest(gauges.registry_of(families))
