"""Staff members of a clinic (managed by its admins)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from companion.audit import services as audit
from companion.auth.passwords import PasswordPool
from companion.auth.principals import StaffPrincipal
from companion.auth.revocation import end_staff_sessions
from companion.auth.staff_links import withdraw
from companion.clock import Clock
from companion.errors import Conflict, NotFound
from companion.models import Clinic, StaffMember, StaffRole
from companion.models.base import table_of
from companion.staff.schemas import StaffCreate, StaffUpdate

LAST_ADMIN = "the clinic's last active admin cannot be demoted or deactivated; make another member an admin first"


async def ensure_email_free(session: AsyncSession, email: str) -> None:
    query = select(col(StaffMember.id)).where(func.lower(col(StaffMember.email)) == email.lower())
    if (await session.execute(query)).first() is not None:
        raise Conflict("a staff member with this email already exists", field="email")


async def create_staff(
    session: AsyncSession, clock: Clock, passwords: PasswordPool, clinic_id: int, data: StaffCreate, actor: str
) -> StaffMember:
    await ensure_email_free(session, data.email)
    password_hash = await passwords.hash(data.password)
    member = StaffMember(
        clinic_id=clinic_id,
        name=data.name,
        email=data.email.lower(),
        phone=data.phone,
        role=data.role,
        password_hash=password_hash,
        active=True,
        created_at=clock.now(),
    )
    session.add(member)
    await session.flush()
    audit.record(session, clock, actor=actor, action="staff.create", subject=f"staff:{member.id}",
                 clinic_id=clinic_id, detail={"role": data.role})
    return member


async def get_staff(session: AsyncSession, staff: StaffPrincipal, staff_id: int) -> StaffMember:
    member = await session.get(StaffMember, staff_id)
    if member is None or member.clinic_id != staff.clinic_id:
        raise NotFound("staff member not found")
    return member


async def list_staff(session: AsyncSession, staff: StaffPrincipal) -> list[StaffMember]:
    rows = await session.execute(
        select(StaffMember).where(col(StaffMember.clinic_id) == staff.clinic_id).order_by(col(StaffMember.name))
    )
    return list(rows.scalars())


async def update_staff(
    session: AsyncSession, clock: Clock, passwords: PasswordPool, staff: StaffPrincipal, staff_id: int,
    data: StaffUpdate,
) -> StaffMember:
    member = await get_staff(session, staff, staff_id)
    changes = data.model_dump(exclude_unset=True)
    await _keep_an_admin(session, member, changes)
    ends_sessions = ends_staff_sessions(member, changes)
    for field, value in changes.items():
        if value is None and field != "phone":
            continue  # only the phone can be cleared
        if field == "password":
            member.password_hash = await passwords.hash(value)
        else:
            setattr(member, field, value)
    if changes.get("active") is False:
        withdraw(member)  # a deactivated member's open invitation or reset stops working
    await session.flush()
    if ends_sessions:
        await end_staff_sessions(session, member)
    detail: dict[str, Any] = {"fields": sorted(changes)}
    if ends_sessions:
        detail["sessions_ended"] = True
    audit.record(session, clock, actor=staff.actor, action="staff.update", subject=f"staff:{staff_id}",
                 clinic_id=staff.clinic_id, detail=detail)
    return member


async def _keep_an_admin(session: AsyncSession, member: StaffMember, changes: dict[str, Any]) -> None:
    """Refuse (409) a change that would leave the clinic without an active admin, whoever makes
    it. The clinic's row is written first (a change to nothing: PostgreSQL locks the row, SQLite
    takes its one write lock), so two admins demoting each other at once are taken one after the
    other, and the second, counting after the first committed, is refused."""
    deactivated = changes.get("active") is False
    demoted = changes.get("role") not in (None, StaffRole.ADMIN)
    if not (member.active and member.role == StaffRole.ADMIN and (deactivated or demoted)):
        return
    clinics = table_of(Clinic)
    await session.execute(update(clinics).where(clinics.c.id == member.clinic_id).values(id=clinics.c.id))
    others = await session.execute(
        select(func.count()).select_from(StaffMember).where(
            col(StaffMember.clinic_id) == member.clinic_id, col(StaffMember.id) != member.id,
            col(StaffMember.active).is_(True), col(StaffMember.role) == StaffRole.ADMIN,
        )
    )
    if not others.scalar_one():
        raise Conflict(LAST_ADMIN, field="active" if deactivated else "role")


def ends_staff_sessions(member: StaffMember, changes: dict[str, Any]) -> bool:
    """A new password, a new role or a change of ``active`` ends every session the member has open."""
    return (
        changes.get("password") is not None
        or changes.get("role", member.role) not in (None, member.role)
        or changes.get("active", member.active) not in (None, member.active)
    )
