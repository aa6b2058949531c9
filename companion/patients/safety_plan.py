"""The patient's personal safety plan: read and saved by the patient, and by their care team.

Each save stores a new version (``SafetyPlanVersion``), numbered from 1 for the patient, with who
saved it and when; the highest is the current plan and no version is ever changed, so nothing
written is lost. A save names the version its writer began from; one that arrives after someone
else's newer version is stored all the same and says which version it follows. Saves are audit
events naming the version and the sections changed; every staff read is one too. None of them
carries the plan's words (docs/clinical.md, "The safety plan")."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from companion.audit import services as audit
from companion.auth.principals import PatientPrincipal, StaffPrincipal
from companion.clinical.safety_plan import CRISIS_LINES, empty_content, entry_counts, sections_changed
from companion.clock import Clock
from companion.errors import NotFound
from companion.models import Patient, SafetyPlanVersion, SavedBy, StaffMember
from companion.patients.safety_plan_schemas import (
    CrisisLineRead,
    SafetyPlanRead,
    SafetyPlanSaved,
    SafetyPlanVersionsPage,
    SafetyPlanWrite,
    SavedByRead,
)
from companion.patients.services import get_patient

CRISIS_LINE_READS = [CrisisLineRead(name=line.name, call=line.call, text=line.text) for line in CRISIS_LINES]


def _subject(patient_id: int) -> str:
    return f"patient:{patient_id}"


async def _staff_names(session: AsyncSession, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = await session.execute(select(col(StaffMember.id), col(StaffMember.name)).where(col(StaffMember.id).in_(ids)))
    return {staff_id: name for staff_id, name in rows.all() if staff_id is not None}


def _read(patient_id: int, row: SafetyPlanVersion | None, names: dict[int, str]) -> dict[str, Any]:
    content = row.content if row is not None else empty_content()
    saved_by = None
    if row is not None:
        name = names.get(row.staff_id) if row.staff_id is not None else None
        saved_by = SavedByRead(kind="staff" if row.saved_by == SavedBy.STAFF else "patient", staff_id=row.staff_id,
                               name=name)
    return {
        **empty_content(), **content,
        "patient_id": patient_id,
        "version": row.version if row is not None else None,
        "crisis_lines": CRISIS_LINE_READS,
        "saved_at": row.saved_at if row is not None else None,
        "saved_by": saved_by,
    }


async def _current(session: AsyncSession, patient_id: int) -> SafetyPlanVersion | None:
    query = (select(SafetyPlanVersion).where(col(SafetyPlanVersion.patient_id) == patient_id)
             .order_by(col(SafetyPlanVersion.version).desc()).limit(1))
    return (await session.execute(query)).scalar_one_or_none()


async def _plan_read(session: AsyncSession, patient_id: int) -> SafetyPlanRead:
    row = await _current(session, patient_id)
    names = await _staff_names(session, {row.staff_id} if row is not None and row.staff_id is not None else set())
    return SafetyPlanRead(**_read(patient_id, row, names))


async def _saved_over(session: AsyncSession, patient_id: int, based_on: int | None, actor: str) -> int | None:
    """The newest version after ``based_on`` that someone other than ``actor`` saved, if any: a
    patient's own saves queued one after another on their device never count against each other."""
    plan = SafetyPlanVersion
    query = select(col(plan.version), col(plan.saved_by), col(plan.staff_id)).where(
        col(plan.patient_id) == patient_id, col(plan.version) > (based_on or 0))
    others = [version for version, saved_by, staff_id in (await session.execute(query)).all()
              if _actor(saved_by, patient_id, staff_id) != actor]
    return max(others, default=None)


def _actor(saved_by: str, patient_id: int, staff_id: int | None) -> str:
    return f"staff:{staff_id}" if saved_by == SavedBy.STAFF else f"patient:{patient_id}"


async def _save(
    session: AsyncSession, clock: Clock, patient: Patient, data: SafetyPlanWrite, *, actor: str,
    staff_id: int | None,
) -> SafetyPlanSaved:
    assert patient.id is not None
    if data.client_ref is not None:
        query = select(SafetyPlanVersion).where(col(SafetyPlanVersion.patient_id) == patient.id,
                                                col(SafetyPlanVersion.client_ref) == data.client_ref)
        earlier = (await session.execute(query)).scalar_one_or_none()
        if earlier is not None:
            names = await _staff_names(session, {earlier.staff_id} if earlier.staff_id is not None else set())
            return SafetyPlanSaved(**_read(patient.id, earlier, names), repeated=True, saved_over=None)
    current = await _current(session, patient.id)
    content = data.stored()
    saved_over = await _saved_over(session, patient.id, data.based_on, actor)
    row = SafetyPlanVersion(
        clinic_id=patient.clinic_id, patient_id=patient.id, version=(current.version if current else 0) + 1,
        content=content, saved_by=SavedBy.STAFF if staff_id is not None else SavedBy.PATIENT, staff_id=staff_id,
        saved_at=clock.now(), based_on=data.based_on, client_ref=data.client_ref,
    )
    session.add(row)
    await session.flush()
    detail: dict[str, Any] = {
        "version": row.version, "sections": sections_changed(current.content if current else None, content),
        "entries": entry_counts(content),
    }
    if saved_over is not None:
        detail["saved_over"] = saved_over
    audit.record(session, clock, actor=actor, action="safety_plan.save", subject=_subject(patient.id),
                 clinic_id=patient.clinic_id, detail=detail)
    names = await _staff_names(session, {staff_id} if staff_id is not None else set())
    return SafetyPlanSaved(**_read(patient.id, row, names), repeated=False, saved_over=saved_over)


async def _locked_patient(session: AsyncSession, clinic_id: int, patient_id: int) -> Patient:
    """The patient's row, locked until commit on PostgreSQL, so two saves for one patient number
    their versions one after the other (SQLite has a single writer)."""
    query = select(Patient).where(col(Patient.id) == patient_id).with_for_update()
    patient = (await session.execute(query)).scalar_one_or_none()
    if patient is None or patient.clinic_id != clinic_id:
        raise NotFound("patient not found")
    return patient


# --- the patient's own plan (GET and PUT /api/v1/me/safety-plan) ---------------------------------

async def read_own(session: AsyncSession, principal: PatientPrincipal) -> SafetyPlanRead:
    return await _plan_read(session, principal.patient_id)


async def save_own(
    session: AsyncSession, clock: Clock, principal: PatientPrincipal, data: SafetyPlanWrite
) -> SafetyPlanSaved:
    patient = await _locked_patient(session, principal.clinic_id, principal.patient_id)
    return await _save(session, clock, patient, data, actor=principal.actor, staff_id=None)


# --- the care team (GET and PUT /api/v1/patients/{id}/safety-plan, its versions) -----------------

async def read_for_staff(session: AsyncSession, clock: Clock, staff: StaffPrincipal, patient_id: int) -> SafetyPlanRead:
    await get_patient(session, staff.clinic_id, patient_id)
    plan = await _plan_read(session, patient_id)
    audit.record(session, clock, actor=staff.actor, action="safety_plan.read", subject=_subject(patient_id),
                 clinic_id=staff.clinic_id, detail={"version": plan.version})
    return plan


async def save_for_staff(
    session: AsyncSession, clock: Clock, staff: StaffPrincipal, patient_id: int, data: SafetyPlanWrite
) -> SafetyPlanSaved:
    patient = await _locked_patient(session, staff.clinic_id, patient_id)
    return await _save(session, clock, patient, data, actor=staff.actor, staff_id=staff.staff_id)


async def versions_for_staff(
    session: AsyncSession, clock: Clock, staff: StaffPrincipal, patient_id: int, *, limit: int, offset: int
) -> SafetyPlanVersionsPage:
    await get_patient(session, staff.clinic_id, patient_id)
    where = col(SafetyPlanVersion.patient_id) == patient_id
    total = (await session.execute(select(func.count()).select_from(SafetyPlanVersion).where(where))).scalar_one()
    query = select(SafetyPlanVersion).where(where).order_by(col(SafetyPlanVersion.version).desc())
    rows = list((await session.execute(query.limit(limit).offset(offset))).scalars())
    names = await _staff_names(session, {row.staff_id for row in rows if row.staff_id is not None})
    audit.record(session, clock, actor=staff.actor, action="safety_plan.versions", subject=_subject(patient_id),
                 clinic_id=staff.clinic_id, detail={"count": len(rows)})
    items = [SafetyPlanRead(**_read(patient_id, row, names)) for row in rows]
    return SafetyPlanVersionsPage(items=items, total=total, limit=limit, offset=offset)
