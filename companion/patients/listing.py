"""Which of a clinic's patients a list shows, in what order: one query for the page and one for
the total, whatever the filters (docs/architecture.md, `companion/patients/`).

- ``search``: a reference prefix, or a part of the name (either matches, case-insensitive);
- ``status`` (active, paused, discharged) and ``consent`` (opted_in, opted_out, ...);
- ``alert``: ``any`` open alert, or one of at least ``high`` or of ``urgent`` severity, or ``none``;
- ``missed``: at least one check-in missed in the last ``MISSED_WINDOW``;
- ``sort``: ``reference`` (the default), ``name``, ``alert`` (most severe open alert first, then
  oldest), ``missed`` (most missed first) or ``newest`` (most recently enrolled first).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from companion.models import Alert, AlertStatus, Patient, Prompt, PromptStatus
from companion.safety.services import SEVERITY_ORDER

MISSED_WINDOW = timedelta(days=14)
AlertFilter = Literal["any", "high", "urgent", "none"]
Sort = Literal["reference", "name", "alert", "missed", "newest"]
# SEVERITY_ORDER's ranks at or below which an alert counts for the filter
_AT_LEAST = {"any": 3, "high": 1, "urgent": 0}


@dataclass(frozen=True)
class PatientQuery:
    search: str | None = None
    status: str | None = None
    consent: str | None = None
    alert: AlertFilter | None = None
    missed: bool | None = None
    sort: Sort = "reference"


def _open_alerts(rank_at_most: int) -> Any:
    return exists().where(col(Alert.patient_id) == col(Patient.id), col(Alert.status) != AlertStatus.RESOLVED,
                          SEVERITY_ORDER <= rank_at_most)


def _missed_since(since: datetime) -> Any:
    return (select(func.count()).select_from(Prompt)
            .where(col(Prompt.patient_id) == col(Patient.id), col(Prompt.status) == PromptStatus.EXPIRED,
                   col(Prompt.expires_at) > since)
            .correlate(Patient).scalar_subquery())


async def patient_page(
    session: AsyncSession, clinic_id: int, query: PatientQuery, now: datetime, *, limit: int, offset: int,
) -> tuple[list[Patient], int]:
    """One page of a clinic's patients under ``query``, and how many match in all."""
    where: list[Any] = [col(Patient.clinic_id) == clinic_id]
    if query.search and query.search.strip():
        text = query.search.strip()
        where.append(or_(func.upper(Patient.reference).startswith(text.upper(), autoescape=True),
                         func.lower(Patient.display_name).contains(text.lower(), autoescape=True)))
    if query.status:
        where.append(col(Patient.status) == query.status)
    if query.consent:
        where.append(col(Patient.sms_consent) == query.consent)
    if query.alert == "none":
        where.append(~_open_alerts(_AT_LEAST["any"]))
    elif query.alert:
        where.append(_open_alerts(_AT_LEAST[query.alert]))
    missed = _missed_since(now - MISSED_WINDOW)
    if query.missed is not None:
        where.append(missed > 0 if query.missed else missed == 0)
    total = (await session.execute(select(func.count()).select_from(Patient).where(and_(*where)))).scalar_one()
    rows = await session.execute(
        select(Patient).where(and_(*where)).order_by(*_order(query.sort, missed)).limit(limit).offset(offset)
    )
    return list(rows.scalars()), total


def _order(sort: Sort, missed: Any) -> list[Any]:
    by_reference = [col(Patient.reference), col(Patient.id)]
    if sort == "name":
        return [func.lower(Patient.display_name), *by_reference]
    if sort == "newest":
        return [col(Patient.created_at).desc(), col(Patient.id).desc()]
    if sort == "missed":
        return [missed.desc(), *by_reference]
    if sort == "alert":
        rank = (select(func.min(SEVERITY_ORDER)).where(col(Alert.patient_id) == col(Patient.id),
                                                       col(Alert.status) != AlertStatus.RESOLVED)
                .correlate(Patient).scalar_subquery())
        oldest = (select(func.min(col(Alert.opened_at))).where(col(Alert.patient_id) == col(Patient.id),
                                                               col(Alert.status) != AlertStatus.RESOLVED)
                  .correlate(Patient).scalar_subquery())
        return [func.coalesce(rank, 9), oldest, *by_reference]
    return by_reference
