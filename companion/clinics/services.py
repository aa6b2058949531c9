"""Clinics. An admin sees and edits their own clinic only."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from companion.audit import services as audit
from companion.auth.principals import StaffPrincipal
from companion.clinics.schemas import ClinicCreate, ClinicUpdate
from companion.clock import Clock
from companion.errors import NotFound
from companion.models import Clinic
from companion.models.clinic import DEFAULT_BUSINESS_HOURS


async def create_clinic(session: AsyncSession, clock: Clock, data: ClinicCreate) -> Clinic:
    clinic = Clinic(
        name=data.name,
        timezone=data.timezone,
        business_hours=data.business_hours or dict(DEFAULT_BUSINESS_HOURS),
        sms_sender=data.sms_sender,
        created_at=clock.now(),
    )
    session.add(clinic)
    await session.flush()
    return clinic


async def get_clinic(session: AsyncSession, staff: StaffPrincipal, clinic_id: int) -> Clinic:
    clinic = await session.get(Clinic, clinic_id)
    if clinic is None or clinic.id != staff.clinic_id:
        raise NotFound("clinic not found")
    return clinic


async def update_clinic(
    session: AsyncSession, clock: Clock, staff: StaffPrincipal, clinic_id: int, data: ClinicUpdate
) -> Clinic:
    clinic = await get_clinic(session, staff, clinic_id)
    changes = data.model_dump(exclude_unset=True, exclude_none=True)
    for field, value in changes.items():
        setattr(clinic, field, value)
    await session.flush()
    audit.record(session, clock, actor=staff.actor, action="clinic.update", subject=f"clinic:{clinic_id}",
                 clinic_id=clinic_id, detail={"fields": sorted(changes)})
    return clinic
