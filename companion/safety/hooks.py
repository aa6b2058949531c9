"""Safety reactions to events from other domains."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from companion.clock import Clock
from companion.models import Patient


async def patient_opted_out(session: AsyncSession, clock: Clock, patient: Patient) -> None:
    """A patient opted out of SMS. With an open high or urgent alert the care team must be told;
    alerts are raised by the safety rules, and until a patient has one there is nobody to tell."""
    return None


async def missed_checkins(session: AsyncSession, clock: Clock, patient_id: int, in_a_row: int) -> None:
    """A patient missed ``in_a_row`` check-ins in a row: a finding for the safety rules."""
    from companion.audit import services as audit

    audit.record(session, clock, actor="system:scheduler", action="checkins.missed", subject=f"patient:{patient_id}",
                 clinic_id=None, detail={"in_a_row": in_a_row})
