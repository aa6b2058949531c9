"""Seeding a clinic's on-call schedule from an activated protocol (docs/protocol.md, "Stored versions").

For every rota position of the protocol that the clinic has no :class:`OncallPosition` row for,
a row is made from the protocol's rota: its rotation (emails become the clinic's staff ids), its
handoff and its overrides (as :class:`OncallOverride` rows). Positions the clinic already has are
left alone: a schedule is edited on its own, never by a protocol version.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from companion.audit import services as audit
from companion.clinical.protocol import Protocol
from companion.clock import Clock
from companion.models import Clinic, OncallOverride, OncallPosition, StaffMember

__all__ = ["seed_schedule"]


async def seed_schedule(
    session: AsyncSession, clock: Clock, clinic: Clinic, protocol: Protocol, number: int, *, actor: str,
    staff_id: int | None,
) -> list[str]:
    """Make the positions of ``protocol`` (version ``number``) the clinic has none of; their names."""
    assert clinic.id is not None
    existing = set((await session.execute(
        select(col(OncallPosition.name)).where(col(OncallPosition.clinic_id) == clinic.id))).scalars())
    missing = [name for name in protocol.rota if name not in existing]
    if not missing:
        return []
    staff = await session.execute(select(col(StaffMember.email), col(StaffMember.id))
                                  .where(col(StaffMember.clinic_id) == clinic.id))
    ids: dict[str, int] = {email.lower(): member_id for email, member_id in staff.all() if member_id is not None}
    now = clock.now()
    for name in missing:
        rota = protocol.rota[name]
        # The protocol passed the check against the clinic, so every email names one of its members.
        position = OncallPosition(clinic_id=clinic.id, name=name, rotation=[ids[e.lower()] for e in rota.rotation],
                                  handoff=str(rota.handoff), updated_at=now)
        session.add(position)
        await session.flush()
        assert position.id is not None
        for override in rota.overrides:
            session.add(OncallOverride(position_id=position.id, staff_id=ids[override.staff.lower()],
                                       starts_at=override.start, ends_at=override.end,
                                       note=f"from protocol version {number}", created_at=now, created_by=staff_id))
    await session.flush()
    audit.record(session, clock, actor=actor, action="oncall.seed", subject=f"clinic:{clinic.id}",
                 clinic_id=clinic.id, detail={"number": number, "positions": missing})
    return missing
