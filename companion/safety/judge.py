"""The one judging hook every answer and every patient message passes through as it arrives.

The safety rules decide what an answer means; this module is where the check-in and messaging
paths hand over to them, and where what the safety path wants said to the patient comes back.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from companion.clock import Clock
from companion.models import CheckIn, Patient


@dataclass
class Judgement:
    """What the safety path asks of the caller: messages for the patient now, and an instrument
    to start at once on the same channel (the C-SSRS screener after PHQ-9 item 9, say)."""

    replies: list[str] = field(default_factory=list)
    start_instrument: str | None = None


async def judge_answer(
    session: AsyncSession, clock: Clock, patient: Patient, checkin: CheckIn, question_key: str, value: object,
    channel: str,
) -> Judgement:
    return Judgement()


async def judge_message(session: AsyncSession, clock: Clock, patient: Patient, text: str, channel: str) -> Judgement:
    return Judgement()
