"""The clinic's inbox: its patients' inbound SMS, newest first, and marking one reviewed
(docs/sms.md, "The staff inbox and the conversation thread"). Every read and review is audited."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, CursorResult, Select, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from companion.audit import services as audit
from companion.auth.principals import StaffPrincipal
from companion.clock import Clock
from companion.conversations.periods import parse_period
from companion.conversations.schemas import InboxMessage, InboxPage, MessagePatient
from companion.errors import NotFound
from companion.messaging.policy import Purpose
from companion.models import Clinic, InboundMessage, OutboundMessage, Patient, SenderKind, StaffMember
from companion.models.base import table_of

__all__ = ["InboxQuery", "list_messages", "review_message"]


@dataclass(frozen=True)
class InboxQuery:
    """The inbox's filters as the request gave them (``since``/``until``: docs in periods.py)."""

    needs_review: bool | None = None
    patient_id: int | None = None
    since: str | None = None
    until: str | None = None


async def _clinic_zone(session: AsyncSession, clinic_id: int) -> ZoneInfo:
    clinic = await session.get(Clinic, clinic_id)
    return ZoneInfo(clinic.timezone if clinic is not None else "UTC")


def _conditions(clinic_id: int, filters: InboxQuery, start: datetime | None,
                stop: datetime | None) -> list[ColumnElement[bool]]:
    conditions = [col(InboundMessage.clinic_id) == clinic_id, col(InboundMessage.sender_kind) == SenderKind.PATIENT]
    if filters.needs_review is not None:
        conditions.append(col(InboundMessage.needs_review) == filters.needs_review)
    if filters.patient_id is not None:
        conditions.append(col(InboundMessage.patient_id) == filters.patient_id)
    if start is not None:
        conditions.append(col(InboundMessage.received_at) >= start)
    if stop is not None:
        conditions.append(col(InboundMessage.received_at) < stop)
    return conditions


async def _reply_statuses(session: AsyncSession, rows: Sequence[InboundMessage]) -> dict[int, str]:
    """The delivery status of the last part of each message's reply (dedupe key ``reply:<id>:<n>``)."""
    ids = {row.id for row in rows if row.reply_body}
    if not ids:
        return {}
    patients = {row.patient_id for row in rows if row.reply_body}
    found = await session.execute(
        select(col(OutboundMessage.dedupe_key), col(OutboundMessage.status))
        .where(col(OutboundMessage.purpose) == Purpose.REPLY, col(OutboundMessage.patient_id).in_(patients),
               col(OutboundMessage.created_at) >= min(row.received_at for row in rows))
        .order_by(col(OutboundMessage.id))
    )
    statuses: dict[int, str] = {}
    for key, status in found.all():
        parts = (key or "").split(":")
        if len(parts) == 3 and parts[0] == "reply" and parts[1].isdigit() and int(parts[1]) in ids:
            statuses[int(parts[1])] = status  # in id order: the last part's status stays
    return statuses


def _item(row: InboundMessage, patient: Patient, reviewer: str | None, reply_status: str | None) -> InboxMessage:
    assert row.id is not None and patient.id is not None
    return InboxMessage(
        id=row.id, patient=MessagePatient(id=patient.id, reference=patient.reference,
                                          display_name=patient.display_name),
        body=row.body, received_at=row.received_at, keyword=row.keyword, needs_review=row.needs_review,
        reviewed_at=row.reviewed_at, reviewed_by=reviewer, reply=row.reply_body, reply_status=reply_status,
    )


def _with_people() -> Select[InboundMessage, Patient, str]:
    return (select(InboundMessage, Patient, col(StaffMember.name))
            .join(Patient, col(Patient.id) == col(InboundMessage.patient_id))
            .outerjoin(StaffMember, col(StaffMember.id) == col(InboundMessage.reviewed_by)))


async def list_messages(
    session: AsyncSession, clock: Clock, staff: StaffPrincipal, filters: InboxQuery, *, limit: int, offset: int,
) -> InboxPage:
    """One page of the clinic's inbound patient messages, newest first, and how many match."""
    start, stop = parse_period(filters.since, filters.until, await _clinic_zone(session, staff.clinic_id))
    conditions = _conditions(staff.clinic_id, filters, start, stop)
    total = (await session.execute(select(func.count()).select_from(InboundMessage).where(*conditions))).scalar_one()
    rows = (await session.execute(
        _with_people().where(*conditions)
        .order_by(col(InboundMessage.received_at).desc(), col(InboundMessage.id).desc()).limit(limit).offset(offset)
    )).all()
    statuses = await _reply_statuses(session, [row for row, _, _ in rows])
    items = [_item(row, patient, name, statuses.get(row.id or 0)) for row, patient, name in rows]
    audit.record(session, clock, actor=staff.actor, action="message.list", subject="messages",
                 clinic_id=staff.clinic_id,
                 detail={"count": len(items), "patient_ids": sorted({item.patient.id for item in items})})
    return InboxPage(items=items, total=total, limit=limit, offset=offset)


async def review_message(session: AsyncSession, clock: Clock, staff: StaffPrincipal, message_id: int) -> InboxMessage:
    """Mark a message reviewed. The first review stands: a repeat changes nothing and answers the same."""
    found = (await session.execute(
        _with_people().where(col(InboundMessage.id) == message_id, col(InboundMessage.clinic_id) == staff.clinic_id,
                             col(InboundMessage.sender_kind) == SenderKind.PATIENT)
    )).first()
    if found is None:
        raise NotFound("message not found")
    inbound = table_of(InboundMessage)
    # A compare-and-set, so of two people reviewing at once the first one is kept.
    result = await session.execute(
        update(inbound).where(inbound.c.id == message_id, inbound.c.reviewed_at.is_(None))
        .values(reviewed_at=clock.now(), reviewed_by=staff.staff_id, needs_review=False)
    )
    changed = cast("CursorResult[Any]", result).rowcount
    audit.record(session, clock, actor=staff.actor, action="message.review", subject=f"message:{message_id}",
                 clinic_id=staff.clinic_id, detail={"patient_id": found[1].id, "changed": bool(changed)})
    row, patient, name = (await session.execute(
        _with_people().where(col(InboundMessage.id) == message_id).execution_options(populate_existing=True)
    )).one()
    statuses = await _reply_statuses(session, [row])
    return _item(row, patient, name, statuses.get(message_id))
