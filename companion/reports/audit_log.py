"""The clinic's audit log for its admins: newest first, filtered by who, what, which subject and
when (a date read in the clinic's time zone, as the inbox reads it)."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from companion.auth.principals import StaffPrincipal
from companion.conversations.periods import parse_period
from companion.models import AuditEvent, Clinic, StaffMember
from companion.reports.schemas import AuditEventRead, AuditPage


@dataclass(frozen=True)
class AuditQuery:
    actor: str | None = None  # exact: staff:12, patient:3, system:safety
    action: str | None = None  # exact (alert.ack) or a prefix ending in a dot (alert.)
    subject: str | None = None  # exact: patient:3, alert:7
    since: str | None = None
    until: str | None = None


async def list_events(
    session: AsyncSession, staff: StaffPrincipal, query: AuditQuery, *, limit: int, offset: int
) -> AuditPage:
    clinic = await session.get(Clinic, staff.clinic_id)
    start, stop = parse_period(query.since, query.until, ZoneInfo(clinic.timezone if clinic else "UTC"))
    where = [col(AuditEvent.clinic_id) == staff.clinic_id]
    if query.actor:
        where.append(col(AuditEvent.actor) == query.actor)
    if query.action:
        where.append(col(AuditEvent.action).startswith(query.action, autoescape=True) if query.action.endswith(".")
                     else col(AuditEvent.action) == query.action)
    if query.subject:
        where.append(col(AuditEvent.subject) == query.subject)
    if start is not None:
        where.append(col(AuditEvent.at) >= start)
    if stop is not None:
        where.append(col(AuditEvent.at) < stop)
    total = (await session.execute(select(func.count()).select_from(AuditEvent).where(*where))).scalar_one()
    events = list((await session.execute(
        select(AuditEvent).where(*where).order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc())
        .limit(limit).offset(offset)
    )).scalars())
    names = dict((await session.execute(
        select(col(StaffMember.id), col(StaffMember.name)).where(col(StaffMember.clinic_id) == staff.clinic_id)
    )).all())
    items = [
        AuditEventRead(id=e.id or 0, at=e.at, actor=e.actor, actor_name=_staff_name(e.actor, names),
                       action=e.action, subject=e.subject, detail=e.detail)
        for e in events
    ]
    return AuditPage(items=items, total=total, limit=limit, offset=offset)


def _staff_name(actor: str, names: dict[int | None, str]) -> str | None:
    kind, _, ident = actor.partition(":")
    return names.get(int(ident)) if kind == "staff" and ident.isdigit() else None
