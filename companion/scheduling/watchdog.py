"""What the watchdog looks for: work that should have happened and has not."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from companion.clock import Clock
from companion.messaging.policy import URGENT
from companion.models import (
    Alert,
    AlertSeverity,
    AlertStatus,
    EscalationEndReason,
    MessageStatus,
    OutboundMessage,
    Prompt,
    PromptStatus,
)
from companion.scheduling.heartbeat import scheduler_health

URGENT_LATE = timedelta(minutes=2)
ROUTINE_LATE = timedelta(minutes=30)
PROMPT_LATE = timedelta(minutes=15)
ESCALATION_LATE = timedelta(minutes=2)


async def inspect(session: AsyncSession, clock: Clock) -> list[str]:
    """Problems worth a person's attention, as short sentences without PHI."""
    now = clock.now()
    problems: list[str] = []
    urgent = [p.value for p in URGENT]
    late_urgent = (
        await session.execute(
            select(func.count()).select_from(OutboundMessage).where(
                col(OutboundMessage.status).in_((MessageStatus.PENDING, MessageStatus.SENDING)),
                col(OutboundMessage.purpose).in_(urgent),
                col(OutboundMessage.due_at) < now - URGENT_LATE,
            )
        )
    ).scalar_one()
    if late_urgent:
        problems.append(f"{late_urgent} urgent message(s) not sent within {URGENT_LATE}")
    late_routine = (
        await session.execute(
            select(func.count()).select_from(OutboundMessage).where(
                col(OutboundMessage.status) == MessageStatus.PENDING,
                col(OutboundMessage.due_at) < now - ROUTINE_LATE,
                col(OutboundMessage.next_attempt_at).is_(None),
            )
        )
    ).scalar_one()
    if late_routine:
        problems.append(f"{late_routine} message(s) waiting more than {ROUTINE_LATE}")
    late_prompts = (
        await session.execute(
            select(func.count()).select_from(Prompt).where(
                col(Prompt.status) == PromptStatus.PLANNED, col(Prompt.due_at) < now - PROMPT_LATE,
                col(Prompt.expires_at) > now,
            )
        )
    ).scalar_one()
    if late_prompts:
        problems.append(f"{late_prompts} prompt(s) due more than {PROMPT_LATE} ago and not released")
    attention = (
        await session.execute(
            select(func.count()).select_from(OutboundMessage).where(
                col(OutboundMessage.needs_attention).is_(True),
                col(OutboundMessage.status_at) > now - timedelta(hours=1),
            )
        )
    ).scalar_one()
    if attention:
        problems.append(f"{attention} message(s) failed in the last hour and need a person to look")
    stalled = (
        await session.execute(
            select(func.count()).select_from(Alert).where(
                col(Alert.status) == AlertStatus.OPEN, col(Alert.next_step_at) < now - ESCALATION_LATE
            )
        )
    ).scalar_one()
    if stalled:
        problems.append(f"{stalled} alert escalation(s) stalled: a step is more than {ESCALATION_LATE} overdue")
    unanswered = (
        await session.execute(
            select(func.count()).select_from(Alert).where(
                col(Alert.status) == AlertStatus.OPEN,
                col(Alert.escalation_end_reason) == EscalationEndReason.EXHAUSTED,
                col(Alert.severity).in_((AlertSeverity.URGENT, AlertSeverity.HIGH)),
            )
        )
    ).scalar_one()
    if unanswered:
        problems.append(f"{unanswered} alert(s) climbed their whole chain and nobody acknowledged")
    health = await scheduler_health(session, clock)
    if health.stalled:
        problems.append(f"scheduled jobs have stopped ticking: {', '.join(health.stalled)}")
    return problems
