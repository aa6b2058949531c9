"""When no push of a prompt or reminder got through: the SMS instead, where the patient allows it.

A push that failed for good or whose subscription expired is reported by the push dispatcher
(messaging/events.py ``PushEvents``). Once none of its group (the same prompt's pushes to each of
the patient's devices) was sent, might have been, or is still waiting, and the group carries a
fallback, the SMS goes through the ordinary outbox: a patient who opted out gets nothing (the row
is stored ``suppressed``), and a time inside the patient's quiet hours moves to their end. The
check-in must still be open when it goes. docs/push.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Literal

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from companion.clock import Clock
from companion.messaging import outbox
from companion.messaging.policy import Purpose
from companion.models import Patient, PatientStatus, Prompt, PromptStatus, PushMessage, PushStatus, SmsConsent
from companion.scheduling.push_delivery import prompt_of
from companion.scheduling.services import timing_of

# A push in one of these may reach (or have reached) the patient: no SMS yet, or none at all.
DELIVERED = frozenset({PushStatus.SENT, PushStatus.UNKNOWN})
WAITING = frozenset({PushStatus.PENDING, PushStatus.SENDING})

Fallback = Literal["sms", "wait", "none"]


def fallback_decision(
    statuses: Iterable[str], *, has_fallback: bool, already_fell_back: bool, prompt_open: bool,
    patient_active: bool, sms_consent: str,
) -> Fallback:
    """Whether a group of pushes falls back to SMS now (``sms``), later (``wait``: a push of it is
    still on its way) or never (``none``). Pure."""
    seen = set(statuses)
    if already_fell_back or not has_fallback or seen & DELIVERED:
        return "none"
    if seen & WAITING:
        return "wait"
    if not (prompt_open and patient_active and sms_consent == SmsConsent.OPTED_IN):
        return "none"
    return "sms"


def fallback_due(now: datetime, patient: Patient) -> datetime:
    """Now, or the end of the patient's quiet hours when now is inside them."""
    timing = timing_of(patient)
    return timing.quiet.move_out(now, timing.tz)


async def fall_back(session: AsyncSession, clock: Clock, push_ids: Sequence[int]) -> int:
    """Send the SMS of each reported push's group that no push got through; returns how many."""
    if not push_ids:
        return 0
    now = clock.now()
    reported = (await session.execute(select(PushMessage).where(col(PushMessage.id).in_(push_ids)))).scalars().all()
    sent = 0
    for key in sorted({row.group_key for row in reported}):
        group = (
            await session.execute(select(PushMessage).where(col(PushMessage.group_key) == key).with_for_update())
        ).scalars().all()
        first = group[0]
        prompt_id = prompt_of(key)
        prompt = await session.get(Prompt, prompt_id) if prompt_id is not None else None
        patient = await session.get(Patient, first.patient_id)
        if patient is None:
            continue
        due = fallback_due(now, patient)
        decision = fallback_decision(
            [row.status for row in group],
            has_fallback=first.fallback_body is not None,
            already_fell_back=any(row.fallback_message_id is not None for row in group),
            prompt_open=prompt is not None and prompt.status == PromptStatus.OPEN and prompt.expires_at > due,
            patient_active=patient.status == PatientStatus.ACTIVE,
            sms_consent=patient.sms_consent,
        )
        if decision != "sms":
            continue
        assert first.fallback_body is not None
        message = await outbox.enqueue(
            session, clock, to_phone=patient.phone, purpose=Purpose(first.purpose), body=first.fallback_body,
            clinic_id=patient.clinic_id, patient=patient, due_at=due, dedupe_key=f"push-fallback:{key}",
        )
        await session.execute(
            update(PushMessage).where(col(PushMessage.group_key) == key)
            .values(fallback_message_id=message.id).execution_options(synchronize_session=False)
        )
        sent += 1
    return sent
