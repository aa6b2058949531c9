"""Routine inbound SMS handled a batch at a time, set-based: the reads and writes around
``routine_plan``.

For a batch (one message per number, claimed by the transport) a handful of statements read what
planning needs: the senders, their open SMS prompts with their check-ins, the answers so far, the
mood history. Each routine message is then planned without I/O, and the whole batch is written in
one statement per table: new check-ins, answers, check-in and prompt updates, every reply in the
outbox. A message that is not routine (risk, a finding, the screener, a staff member, consent) is
returned for the one-by-one route, in the same transaction (docs/sms.md, "Handling").
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from companion.clock import Clock
from companion.conversations.routine_plan import Known, PatientRow, Plan, PromptRow, plan
from companion.messaging import outbox
from companion.messaging.policy import Purpose
from companion.models import (
    Answer,
    CheckIn,
    Clinic,
    InboundMessage,
    Patient,
    Prompt,
    PromptChannel,
    PromptStatus,
    StaffMember,
)
from companion.models.base import table_of
from companion.protocols import ProtocolSource
from companion.safety.judge import HISTORY_INSTRUMENTS, histories

P, C, A, PR = table_of(Patient), table_of(CheckIn), table_of(Answer), table_of(Prompt)


async def handle_routine(
    session: AsyncSession, clock: Clock, protocols: ProtocolSource, messages: Sequence[InboundMessage]
) -> list[InboundMessage]:
    """Handle the routine ones of ``messages`` (at most one per number), setting their sender fields
    and queueing their replies; returns the others, untouched, for the one-by-one route."""
    if not messages:
        return []
    now = clock.now()
    known = await _read(session, protocols, messages, now)
    plans = [(message, plan(known, message.from_phone, message.to_phone, message.body, now)) for message in messages]
    planned = [(message, p) for message, p in plans if p is not None]
    if planned:
        await _write(session, now, planned)
        await outbox.enqueue_many(session, clock, [
            {"to_phone": message.from_phone, "purpose": Purpose.REPLY, "body": reply, "clinic_id": message.clinic_id,
             "patient": p.patient, "dedupe_key": f"reply:{message.id}:{index}"}
            for message, p in planned for index, reply in enumerate(p.replies)
        ])
    return [message for message, p in plans if p is None]


async def _read(
    session: AsyncSession, protocols: ProtocolSource, messages: Sequence[InboundMessage], now: datetime
) -> Known:
    phones = sorted({m.from_phone for m in messages})
    clinic = table_of(Clinic)
    rows = await session.execute(
        select(P.c.phone, P.c.id, P.c.clinic_id, P.c.status, P.c.sms_consent, P.c.created_at, clinic.c.name,
               clinic.c.sms_sender)
        .join(clinic, clinic.c.id == P.c.clinic_id).where(P.c.phone.in_(phones))
        .order_by(P.c.created_at.desc())
    )
    patients: dict[str, list[PatientRow]] = {}
    for phone, *fields in rows.all():
        patients.setdefault(phone, []).append(PatientRow(*fields))
    staff = table_of(StaffMember)
    staff_numbers = frozenset((await session.execute(
        select(staff.c.phone).where(staff.c.phone.in_(phones), staff.c.active.is_(True))
    )).scalars())
    ids = sorted({p.id for group in patients.values() for p in group})
    prompts = await _open_prompts(session, ids, now) if ids else {}
    checkins = [p.checkin_id for group in prompts.values() for p in group if p.checkin_id is not None]
    newest = [p for group in prompts.values() for p in group if p.rank == 1 and p.current_question is not None]
    clinic_ids = sorted({p.clinic_id for group in patients.values() for p in group})
    return Known(
        patients=patients, staff_numbers=staff_numbers, prompts=prompts,
        answers=await _answers(session, checkins) if checkins else {},
        history=await histories(session, sorted({p.patient_id for p in newest if p.instrument in HISTORY_INSTRUMENTS})),
        protocols={clinic_id: await protocols.for_clinic(session, clinic_id) for clinic_id in clinic_ids},
    )


async def _open_prompts(session: AsyncSession, patient_ids: list[int], now: datetime) -> dict[int, list[PromptRow]]:
    """Each patient's open, unexpired SMS prompts, ranked newest first as ``newest_open_prompt``
    orders them, each with its check-in (the first one) if it has one."""
    first = select(C.c.id).where(C.c.prompt_id == PR.c.id).order_by(C.c.id).limit(1)
    first_status = select(C.c.status).where(C.c.prompt_id == PR.c.id).order_by(C.c.id).limit(1)
    rank = func.row_number().over(partition_by=PR.c.patient_id, order_by=(PR.c.released_at.desc(), PR.c.id.desc()))
    rows = await session.execute(
        select(PR.c.id, PR.c.patient_id, PR.c.instrument, PR.c.current_question, PR.c.invalid_replies, rank,
               first.scalar_subquery(), first_status.scalar_subquery())
        .where(PR.c.patient_id.in_(patient_ids), PR.c.status == PromptStatus.OPEN.value,
               PR.c.channel == PromptChannel.SMS.value, PR.c.expires_at > now)
    )
    prompts: dict[int, list[PromptRow]] = {}
    for fields in rows.all():
        prompts.setdefault(fields[1], []).append(PromptRow(*fields))
    return prompts


async def _answers(session: AsyncSession, checkin_ids: list[int]) -> dict[int, dict[str, Any]]:
    rows = await session.execute(
        select(A.c.checkin_id, A.c.question_key, A.c.value).where(A.c.checkin_id.in_(checkin_ids)).order_by(A.c.id)
    )
    answers: dict[int, dict[str, Any]] = {}
    for checkin_id, key, value in rows.all():
        answers.setdefault(checkin_id, {})[key] = value
    return answers


_CHECKIN_FIELDS = ("total", "band", "flags", "updated_at", "status", "completed_at")
_UPDATE_CHECKIN = (
    update(C).where(C.c.id == bindparam("checkin_id"))
    .values({name: bindparam(f"new_{name}") for name in _CHECKIN_FIELDS})
)
_PROMPT_FIELDS = ("invalid_replies", "current_question", "status", "answered_at")
_UPDATE_PROMPT = (
    update(PR).where(PR.c.id == bindparam("prompt_id"))
    .values({name: bindparam(f"new_{name}") for name in _PROMPT_FIELDS})
)


async def _write(session: AsyncSession, now: datetime, planned: list[tuple[InboundMessage, Plan]]) -> None:
    """The batch's writes, one statement per kind (executemany: one round trip on PostgreSQL)."""
    for message, p in planned:
        message.sender_kind, message.needs_review, message.keyword = p.sender_kind, p.needs_review, p.keyword
        if p.patient is not None:
            message.patient_id, message.clinic_id = p.patient.id, p.patient.clinic_id
        message.reply_body = "\n".join(p.replies) or None
    fresh = [(message, p) for message, p in planned if p.checkin is not None and p.checkin["id"] is None]
    checkin_of: dict[int, int] = {}
    if fresh:
        inserted = await session.execute(
            insert(C).returning(C.c.id, sort_by_parameter_order=True),
            [_new_checkin(p, now) for _, p in fresh],
        )
        checkin_of = {id(p): checkin_id for (_, p), checkin_id in zip(fresh, inserted.scalars(), strict=True)}
    updated = [p for _, p in planned if p.checkin is not None and p.checkin["id"] is not None]
    if updated:
        await session.execute(_UPDATE_CHECKIN, [
            {"checkin_id": p.checkin["id"], **{f"new_{k}": p.checkin[k] for k in _CHECKIN_FIELDS}}
            for p in updated if p.checkin is not None
        ])
    answers = [
        {"checkin_id": (p.checkin or {}).get("id") or checkin_of[id(p)], "patient_id": p.patient.id,
         "question_key": p.answer[0], "value": p.answer[1], "source": "sms", "received_at": now,
         "inbound_message_id": message.id}
        for message, p in planned if p.answer is not None and p.patient is not None
    ]
    if answers:
        await session.execute(insert(A), answers)
    prompts = [p.prompt for _, p in planned if p.prompt is not None]
    if prompts:
        await session.execute(_UPDATE_PROMPT, [
            {"prompt_id": fields["id"], **{f"new_{k}": fields[k] for k in _PROMPT_FIELDS}} for fields in prompts
        ])


def _new_checkin(p: Plan, now: datetime) -> dict[str, Any]:
    assert p.patient is not None and p.checkin is not None and p.prompt is not None
    return {
        "clinic_id": p.patient.clinic_id, "patient_id": p.patient.id, "prompt_id": p.prompt["id"],
        "instrument": p.checkin["instrument"], "instrument_version": p.checkin["instrument_version"], "source": "sms",
        "status": p.checkin["status"], "started_at": now, "updated_at": now, "completed_at": p.checkin["completed_at"],
        "total": p.checkin["total"], "band": p.checkin["band"], "flags": p.checkin["flags"],
        "client_ref": None,
    }
