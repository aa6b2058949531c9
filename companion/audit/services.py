"""Audit events: every staff read of a patient record and every change."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from companion.clock import Clock
from companion.models import AuditEvent


def record(
    session: AsyncSession,
    clock: Clock,
    *,
    actor: str,
    action: str,
    subject: str,
    clinic_id: int | None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add an audit event to the current unit of work. ``detail`` must never hold PHI:
    ids, field names and counts only."""
    event = AuditEvent(
        clinic_id=clinic_id, actor=actor, action=action, subject=subject, at=clock.now(), detail=detail or {}
    )
    session.add(event)
    return event
