"""What a clinic keeps, and for how long: SMS and audit rows past the clinic's retention periods
(``Clinic.message_retention_days``, ``Clinic.audit_retention_days``) are deleted by the purge job
(jobs/purge_records.py), a bounded batch per transaction, so the tables stay the size of the
periods and not of the service's whole life.

A message's age is its outbox row's ``created_at`` or the inbound row's ``received_at``; an audit
row's is its ``at``. Rows of no clinic (a text from an unknown number) are kept for the defaults.
Never deleted, whatever their age (docs/operations.md, "Retention"):

* an outbox row still to be sent or in flight (``pending``, ``sending``);
* an outbox row an alert's page is (the alert keeps its whole record: safety/timeline.py reads
  the pages' messages), a push's SMS fallback, or one a later retry refers to (``retry_of``: it
  goes after the retry);
* an inbound message not handled yet or given up on (``received``, ``failed``: left for staff), or
  one that needs review and has not been reviewed;
* an inbound message an unresolved alert's findings refer to (its evidence, safety/evidence.py),
  and the audit rows about an unresolved alert.

A check-in answer keeps its value when the SMS it came in is deleted: its ``inbound_message_id``
is cleared in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from companion.clock import Clock
from companion.models import (
    Alert,
    AlertPage,
    AlertStatus,
    Answer,
    AuditEvent,
    Clinic,
    InboundMessage,
    InboundStatus,
    MessageAttempt,
    MessageStatus,
    OutboundMessage,
)
from companion.models.base import table_of
from companion.models.clinic import DEFAULT_AUDIT_RETENTION_DAYS, DEFAULT_MESSAGE_RETENTION_DAYS
from companion.models.push import PushMessage

__all__ = ["BATCH", "Periods", "PurgeCounts", "held_by_alerts", "purge_batch", "retention_periods"]

BATCH = 1000
"""Rows deleted per transaction, at most (of all kinds together)."""

UNSENT = (MessageStatus.PENDING, MessageStatus.SENDING)


@dataclass(frozen=True)
class Periods:
    """One clinic's retention periods (``None``: the rows of no clinic)."""

    clinic_id: int | None
    message_days: int
    audit_days: int


@dataclass
class PurgeCounts:
    outbound: int = 0
    inbound: int = 0
    audit: int = 0

    @property
    def total(self) -> int:
        return self.outbound + self.inbound + self.audit


@dataclass(frozen=True)
class Held:
    """What unresolved alerts refer to: inbound message ids and audit subjects."""

    inbound_ids: frozenset[int]
    audit_subjects: frozenset[str]


def held_by_alerts(alerts: Iterable[tuple[int, Iterable[Mapping[str, Any]]]]) -> Held:
    """The inbound messages (a finding's ``reply_key`` ``sms:<id>``) and audit subjects
    (``alert:<id>``) that the given unresolved alerts, as (id, findings), still need."""
    inbound: set[int] = set()
    subjects: set[str] = set()
    for alert_id, findings in alerts:
        subjects.add(f"alert:{alert_id}")
        for finding in findings:
            key = str(finding.get("reply_key") or "")
            rest = key.removeprefix("sms:")
            if rest != key and rest.isdigit():
                inbound.add(int(rest))
    return Held(frozenset(inbound), frozenset(subjects))


async def retention_periods(session: AsyncSession) -> list[Periods]:
    """Every clinic's periods, and the defaults for the rows of no clinic."""
    C = table_of(Clinic)
    rows = await session.execute(
        select(C.c.id, C.c.message_retention_days, C.c.audit_retention_days).order_by(C.c.id)
    )
    periods = [Periods(clinic_id, message_days, audit_days) for clinic_id, message_days, audit_days in rows.all()]
    return [*periods, Periods(None, DEFAULT_MESSAGE_RETENTION_DAYS, DEFAULT_AUDIT_RETENTION_DAYS)]


async def _held(session: AsyncSession) -> Held:
    A = table_of(Alert)
    rows = await session.execute(select(A.c.id, A.c.findings).where(A.c.status != AlertStatus.RESOLVED))
    return held_by_alerts((alert_id, findings or []) for alert_id, findings in rows.all())


def _of_clinic(column: Any, clinic_id: int | None) -> ColumnElement[bool]:
    return column.is_(None) if clinic_id is None else column == clinic_id


async def _purge_outbound(session: AsyncSession, clinic_id: int | None, before: datetime, limit: int) -> int:
    T, R = table_of(OutboundMessage), table_of(OutboundMessage).alias("retry")
    P, F = table_of(AlertPage), table_of(PushMessage)
    ids = list((await session.execute(
        select(T.c.id)
        .where(
            _of_clinic(T.c.clinic_id, clinic_id), T.c.created_at < before, T.c.status.not_in(UNSENT),
            ~exists().where(or_(P.c.message_id == T.c.id, P.c.call_message_id == T.c.id)),
            ~exists().where(F.c.fallback_message_id == T.c.id),
            ~exists().where(R.c.retry_of == T.c.id),
        )
        .order_by(T.c.clinic_id, T.c.created_at).limit(limit)
    )).scalars())
    if ids:
        await session.execute(delete(table_of(MessageAttempt)).where(table_of(MessageAttempt).c.message_id.in_(ids)))
        await session.execute(delete(T).where(T.c.id.in_(ids)))
    return len(ids)


async def _purge_inbound(
    session: AsyncSession, clinic_id: int | None, before: datetime, limit: int, held: Held
) -> int:
    T = table_of(InboundMessage)
    query = select(T.c.id).where(
        _of_clinic(T.c.clinic_id, clinic_id), T.c.received_at < before, T.c.status == InboundStatus.HANDLED,
        ~and_(T.c.needs_review.is_(True), T.c.reviewed_at.is_(None)),
    )
    if held.inbound_ids:
        query = query.where(T.c.id.not_in(sorted(held.inbound_ids)))
    ids = list((await session.execute(query.order_by(T.c.clinic_id, T.c.received_at).limit(limit))).scalars())
    if ids:
        answers = table_of(Answer)
        await session.execute(
            update(answers).where(answers.c.inbound_message_id.in_(ids)).values(inbound_message_id=None)
        )
        await session.execute(delete(T).where(T.c.id.in_(ids)))
    return len(ids)


async def _purge_audit(session: AsyncSession, clinic_id: int | None, before: datetime, limit: int, held: Held) -> int:
    T = table_of(AuditEvent)
    query = select(T.c.id).where(_of_clinic(T.c.clinic_id, clinic_id), T.c.at < before)
    if held.audit_subjects:
        query = query.where(T.c.subject.not_in(sorted(held.audit_subjects)))
    ids = list((await session.execute(query.order_by(T.c.clinic_id, T.c.at).limit(limit))).scalars())
    if ids:
        await session.execute(delete(T).where(T.c.id.in_(ids)))
    return len(ids)


async def purge_batch(session: AsyncSession, clock: Clock, limit: int = BATCH) -> PurgeCounts:
    """Delete up to ``limit`` rows past their clinic's periods (outbox rows with their send
    attempts, inbound messages, audit rows), never one still needed (the module docstring);
    returns how many of each. Fewer than ``limit`` in all means nothing is left to purge now."""
    now = clock.now()
    held = await _held(session)
    counts = PurgeCounts()
    for periods in await retention_periods(session):
        messages_before = now - timedelta(days=periods.message_days)
        audit_before = now - timedelta(days=periods.audit_days)
        if counts.total < limit:
            counts.outbound += await _purge_outbound(session, periods.clinic_id, messages_before, limit - counts.total)
        if counts.total < limit:
            counts.inbound += await _purge_inbound(
                session, periods.clinic_id, messages_before, limit - counts.total, held)
        if counts.total < limit:
            counts.audit += await _purge_audit(session, periods.clinic_id, audit_before, limit - counts.total, held)
        if counts.total >= limit:
            break
    return counts
