"""Treatment sessions: record, correct, list per patient."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from companion.audit import services as audit
from companion.auth.principals import StaffPrincipal
from companion.clinical.plan import AftercarePlan
from companion.clock import Clock
from companion.errors import InvalidInput, NotFound
from companion.models import TreatmentSession
from companion.patients.services import get_patient
from companion.scheduling.services import replan_patient
from companion.treatments.schemas import TreatmentSessionCreate, TreatmentSessionUpdate


async def record_session(
    session: AsyncSession, clock: Clock, plan: AftercarePlan, staff: StaffPrincipal, patient_id: int,
    data: TreatmentSessionCreate,
) -> TreatmentSession:
    patient = await get_patient(session, staff.clinic_id, patient_id)
    row = TreatmentSession(
        patient_id=patient_id,
        clinic_id=patient.clinic_id,
        modality=data.modality,
        started_at=data.started_at,
        ended_at=data.ended_at,
        dose_mg=data.dose_mg,
        location=data.location,
        notes=data.notes,
        recorded_by=staff.staff_id,
        created_at=clock.now(),
    )
    session.add(row)
    await session.flush()
    await replan_patient(session, clock, patient, plan)
    audit.record(session, clock, actor=staff.actor, action="session.record", subject=f"patient:{patient_id}",
                 clinic_id=staff.clinic_id, detail={"session_id": row.id})
    return row


async def get_session(
    session: AsyncSession, staff: StaffPrincipal, patient_id: int, session_id: int
) -> TreatmentSession:
    await get_patient(session, staff.clinic_id, patient_id)
    row = await session.get(TreatmentSession, session_id)
    if row is None or row.patient_id != patient_id or row.clinic_id != staff.clinic_id:
        raise NotFound("treatment session not found")
    return row


async def correct_session(
    session: AsyncSession, clock: Clock, plan: AftercarePlan, staff: StaffPrincipal, patient_id: int,
    session_id: int, data: TreatmentSessionUpdate,
) -> TreatmentSession:
    row = await get_session(session, staff, patient_id, session_id)
    if row.cancelled_at is not None:
        raise InvalidInput("a cancelled session cannot be corrected", field="session_id")
    changes = data.model_dump(exclude_unset=True)
    for field in ("modality", "started_at"):
        if field in changes and changes[field] is None:
            raise InvalidInput(f"{field} cannot be removed", field=field)
    started = changes.get("started_at", row.started_at)
    ended = changes.get("ended_at", row.ended_at)
    if ended is not None and ended < started:
        raise InvalidInput("a session cannot end before it starts", field="ended_at")
    for field, value in changes.items():
        setattr(row, field, value)
    await session.flush()
    await replan_patient(session, clock, await get_patient(session, staff.clinic_id, patient_id), plan)
    audit.record(session, clock, actor=staff.actor, action="session.correct", subject=f"patient:{patient_id}",
                 clinic_id=staff.clinic_id, detail={"session_id": session_id, "fields": sorted(changes)})
    return row


async def cancel_session(
    session: AsyncSession, clock: Clock, plan: AftercarePlan, staff: StaffPrincipal, patient_id: int,
    session_id: int,
) -> TreatmentSession:
    """A session that will not take place (or was recorded in error): kept, marked, and planned around."""
    row = await get_session(session, staff, patient_id, session_id)
    if row.cancelled_at is None:
        row.cancelled_at = clock.now()
        await session.flush()
        await replan_patient(session, clock, await get_patient(session, staff.clinic_id, patient_id), plan)
        audit.record(session, clock, actor=staff.actor, action="session.cancel", subject=f"patient:{patient_id}",
                     clinic_id=staff.clinic_id, detail={"session_id": session_id})
    return row


async def list_sessions(
    session: AsyncSession, clock: Clock, staff: StaffPrincipal, patient_id: int
) -> list[TreatmentSession]:
    await get_patient(session, staff.clinic_id, patient_id)
    rows = await session.execute(
        select(TreatmentSession)
        .where(col(TreatmentSession.patient_id) == patient_id)
        .order_by(col(TreatmentSession.started_at).desc())
    )
    audit.record(session, clock, actor=staff.actor, action="session.list", subject=f"patient:{patient_id}",
                 clinic_id=staff.clinic_id)
    return list(rows.scalars())
