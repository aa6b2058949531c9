"""A patient's conversation thread: what the patient texted and what was sent to them, in time
order, each sent message with its delivery status; and a clinician's own message to the patient,
which leaves through the outbox (docs/sms.md, "The staff inbox and the conversation thread")."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Integer, Select, Subquery, func, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from companion.audit import services as audit
from companion.auth.principals import StaffPrincipal
from companion.clock import Clock
from companion.conversations.schemas import ThreadItem, ThreadPage
from companion.errors import Conflict
from companion.messaging import outbox
from companion.messaging.policy import Purpose
from companion.models import InboundMessage, OutboundMessage, SenderKind, SmsConsent, StaffMember
from companion.patients.services import get_patient

__all__ = ["OPTED_OUT", "THREAD_PURPOSES", "patient_thread", "send_to_patient"]

# What is sent to the patient. Pages and notices go to staff (about the patient, not to them), and
# a sign-in code is a secret of the patient's own: none of them is in the thread.
THREAD_PURPOSES = frozenset({Purpose.PROMPT, Purpose.REMINDER, Purpose.SAFETY_REPLY, Purpose.REPLY,
                             Purpose.STAFF_MESSAGE, Purpose.WELCOME})
OPTED_OUT = "the patient opted out of SMS (STOP): nothing is sent until they text START"


def _received(row: InboundMessage) -> ThreadItem:
    assert row.id is not None
    return ThreadItem(direction="received", id=row.id, at=row.received_at, body=row.body, keyword=row.keyword,
                      needs_review=row.needs_review, reviewed_at=row.reviewed_at)


def _sent(row: OutboundMessage, names: dict[int, str]) -> ThreadItem:
    assert row.id is not None
    by = names.get(row.staff_id, "a former staff member") if row.staff_id is not None else None
    return ThreadItem(direction="sent", id=row.id, at=row.created_at, body=row.body, purpose=row.purpose,
                      status=row.status, status_at=row.status_at, sent_at=row.sent_at, error_code=row.error_code,
                      error=row.error_detail, sent_by=by)


def _timeline(patient_id: int) -> Subquery:
    """Both directions as (kind, id, at): 0 received, 1 sent."""
    received: Select[Any, Any, Any] = select(literal(0, Integer).label("kind"), col(InboundMessage.id).label("row_id"),
                      col(InboundMessage.received_at).label("at")).where(
        col(InboundMessage.patient_id) == patient_id, col(InboundMessage.sender_kind) == SenderKind.PATIENT)
    sent: Select[Any, Any, Any] = select(literal(1, Integer).label("kind"), col(OutboundMessage.id).label("row_id"),
                  col(OutboundMessage.created_at).label("at")).where(
        col(OutboundMessage.patient_id) == patient_id,
        col(OutboundMessage.purpose).in_(sorted(p.value for p in THREAD_PURPOSES)))
    return union_all(received, sent).subquery()


async def _names(session: AsyncSession, clinic_id: int, rows: Sequence[OutboundMessage]) -> dict[int, str]:
    ids = {row.staff_id for row in rows if row.staff_id is not None}
    if not ids:
        return {}
    found = await session.execute(select(col(StaffMember.id), col(StaffMember.name))
                                  .where(col(StaffMember.id).in_(ids), col(StaffMember.clinic_id) == clinic_id))
    return {staff_id: name for staff_id, name in found.all() if staff_id is not None}


async def patient_thread(
    session: AsyncSession, clock: Clock, staff: StaffPrincipal, patient_id: int, *, limit: int, offset: int,
) -> ThreadPage:
    """The newest ``limit`` messages after skipping ``offset`` newer ones, oldest first."""
    await get_patient(session, staff.clinic_id, patient_id)
    timeline = _timeline(patient_id)
    total = (await session.execute(select(func.count()).select_from(timeline))).scalar_one()
    page = (await session.execute(
        select(timeline.c.kind, timeline.c.row_id)
        .order_by(timeline.c.at.desc(), timeline.c.kind.desc(), timeline.c.row_id.desc()).limit(limit).offset(offset)
    )).all()
    received_ids = [row_id for kind, row_id in page if kind == 0]
    sent_ids = [row_id for kind, row_id in page if kind == 1]
    received: dict[int | None, InboundMessage] = {row.id: row for row in (await session.execute(
        select(InboundMessage).where(col(InboundMessage.id).in_(received_ids)))).scalars()}
    sent: dict[int | None, OutboundMessage] = {row.id: row for row in (await session.execute(
        select(OutboundMessage).where(col(OutboundMessage.id).in_(sent_ids)))).scalars()}
    names = await _names(session, staff.clinic_id, list(sent.values()))
    items = [_received(received[row_id]) if kind == 0 else _sent(sent[row_id], names)
             for kind, row_id in reversed(page)]
    audit.record(session, clock, actor=staff.actor, action="message.thread", subject=f"patient:{patient_id}",
                 clinic_id=staff.clinic_id, detail={"count": len(items)})
    return ThreadPage(items=items, total=total, limit=limit, offset=offset)


async def send_to_patient(
    session: AsyncSession, clock: Clock, staff: StaffPrincipal, patient_id: int, body: str
) -> ThreadItem:
    """Queue a clinician's message to the patient (purpose ``staff_message``, sent at once after the
    commit). A patient who opted out of SMS is sent nothing: 409. The audit keeps no word of the body."""
    patient = await get_patient(session, staff.clinic_id, patient_id)
    if patient.sms_consent == SmsConsent.OPTED_OUT:
        raise Conflict(OPTED_OUT)
    message = await outbox.enqueue(session, clock, to_phone=patient.phone, purpose=Purpose.STAFF_MESSAGE, body=body,
                                   clinic_id=patient.clinic_id, patient=patient, staff_id=staff.staff_id)
    audit.record(session, clock, actor=staff.actor, action="message.send", subject=f"patient:{patient_id}",
                 clinic_id=staff.clinic_id, detail={"message_id": message.id, "length": len(body)})
    return _sent(message, await _names(session, staff.clinic_id, [message]))
