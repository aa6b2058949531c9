"""What the watchdog looks for: work that should have happened and has not."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from companion.clock import Clock
from companion.messaging.policy import URGENT
from companion.models import Alert, OutboundMessage, Prompt
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
                OutboundMessage.status.in_(("pending", "sending")),  # type: ignore[attr-defined]
                OutboundMessage.purpose.in_(urgent),  # type: ignore[attr-defined]
                OutboundMessage.due_at < now - URGENT_LATE,
            )
        )
    ).scalar_one()
    if late_urgent:
        problems.append(f"{late_urgent} urgent message(s) not sent within {URGENT_LATE}")
    late_routine = (
        await session.execute(
            select(func.count()).select_from(OutboundMessage).where(
                OutboundMessage.status == "pending",
                OutboundMessage.due_at < now - ROUTINE_LATE,
                OutboundMessage.next_attempt_at.is_(None),  # type: ignore[union-attr]
            )
        )
    ).scalar_one()
    if late_routine:
        problems.append(f"{late_routine} message(s) waiting more than {ROUTINE_LATE}")
    late_prompts = (
        await session.execute(
            select(func.count()).select_from(Prompt).where(
                Prompt.status == "planned", Prompt.due_at < now - PROMPT_LATE, Prompt.expires_at > now
            )
        )
    ).scalar_one()
    if late_prompts:
        problems.append(f"{late_prompts} prompt(s) due more than {PROMPT_LATE} ago and not released")
    attention = (
        await session.execute(
            select(func.count()).select_from(OutboundMessage).where(
                OutboundMessage.needs_attention.is_(True),  # type: ignore[attr-defined]
                OutboundMessage.status_at > now - timedelta(hours=1),  # type: ignore[operator]
            )
        )
    ).scalar_one()
    if attention:
        problems.append(f"{attention} message(s) failed in the last hour and need a person to look")
    stalled = (
        await session.execute(
            select(func.count()).select_from(Alert).where(
                Alert.status == "open", Alert.next_step_at < now - ESCALATION_LATE  # type: ignore[operator]
            )
        )
    ).scalar_one()
    if stalled:
        problems.append(f"{stalled} alert escalation(s) stalled: a step is more than {ESCALATION_LATE} overdue")
    unanswered = (
        await session.execute(
            select(func.count()).select_from(Alert).where(
                Alert.status == "open", Alert.escalation_end_reason == "exhausted",
                Alert.severity.in_(("urgent", "high")),  # type: ignore[attr-defined]
            )
        )
    ).scalar_one()
    if unanswered:
        problems.append(f"{unanswered} alert(s) climbed their whole chain and nobody acknowledged")
    health = await scheduler_health(session, clock)
    if health.stalled:
        problems.append(f"scheduled jobs have stopped ticking: {', '.join(health.stalled)}")
    return problems
