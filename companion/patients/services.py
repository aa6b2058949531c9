"""Patients: queries and changes, always scoped to the caller's clinic."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from companion.audit import services as audit
from companion.auth.links import withdraw_links
from companion.auth.principals import StaffPrincipal
from companion.auth.revocation import end_patient_sessions
from companion.clinical.plan import AftercarePlan
from companion.clock import Clock
from companion.errors import Conflict, NotFound
from companion.messaging import outbox
from companion.models import Patient, PatientStatus, SmsConsent
from companion.patients import enrolment
from companion.patients.listing import PatientQuery, patient_page
from companion.patients.schemas import PatientCreate, PatientUpdate
from companion.scheduling.services import replan_patient

# A change to any of these re-plans the patient's prompts that have not gone out yet.
REPLAN_FIELDS = frozenset({"timezone", "preferred_checkin_time", "status", "channel", "quiet_start", "quiet_end"})


async def _ensure_unique(
    session: AsyncSession, clinic_id: int, *, reference: str | None, phone: str | None, exclude_id: int | None
) -> None:
    for field, value in (("reference", reference), ("phone", phone)):
        if value is None:
            continue
        column = getattr(Patient, field)
        query = select(col(Patient.id)).where(col(Patient.clinic_id) == clinic_id, column == value)
        if exclude_id is not None:
            query = query.where(col(Patient.id) != exclude_id)
        if (await session.execute(query.limit(1))).first() is not None:
            raise Conflict(f"another patient of this clinic already has this {field}", field=field)


async def get_patient(session: AsyncSession, clinic_id: int, patient_id: int) -> Patient:
    """The patient, if it belongs to the clinic; otherwise 404, never a hint that it exists."""
    patient = await session.get(Patient, patient_id)
    if patient is None or patient.clinic_id != clinic_id:
        raise NotFound("patient not found")
    return patient


async def read_patient(session: AsyncSession, clock: Clock, staff: StaffPrincipal, patient_id: int) -> Patient:
    patient = await get_patient(session, staff.clinic_id, patient_id)
    audit.record(session, clock, actor=staff.actor, action="patient.read", subject=f"patient:{patient_id}",
                 clinic_id=staff.clinic_id)
    return patient


async def _stop_routine(session: AsyncSession, clock: Clock, patient: Patient) -> None:
    """A paused or discharged patient is sent nothing routine: what is still waiting is cancelled."""
    if patient.status != PatientStatus.ACTIVE:
        assert patient.id is not None
        await outbox.cancel_routine(session, clock, patient.id, f"patient {patient.status}")


async def create_patient(
    session: AsyncSession, clock: Clock, plan: AftercarePlan, staff: StaffPrincipal, data: PatientCreate
) -> Patient:
    await _ensure_unique(session, staff.clinic_id, reference=data.reference, phone=data.phone, exclude_id=None)
    patient = Patient(
        clinic_id=staff.clinic_id,
        reference=data.reference,
        display_name=data.display_name,
        phone=data.phone,
        timezone=data.timezone,
        preferred_checkin_time=data.preferred_checkin_time,
        channel=data.channel,
        # Nothing routine by SMS until the patient replies YES to the welcome (docs/sms.md, "Consent").
        sms_consent=SmsConsent.PENDING,
        sms_consent_changed_at=clock.now(),
        sms_consent_source="enrolment",
        status=PatientStatus.ACTIVE,
        created_at=clock.now(),
    )
    session.add(patient)
    await session.flush()
    await replan_patient(session, clock, patient, plan)
    welcomed = await enrolment.send_welcome(session, clock, plan, patient)
    audit.record(session, clock, actor=staff.actor, action="patient.create", subject=f"patient:{patient.id}",
                 clinic_id=staff.clinic_id, detail={"welcome_sent": welcomed})
    return patient


async def update_patient(
    session: AsyncSession, clock: Clock, plan: AftercarePlan, staff: StaffPrincipal, patient_id: int,
    data: PatientUpdate,
) -> Patient:
    patient = await get_patient(session, staff.clinic_id, patient_id)
    changes: dict[str, Any] = data.model_dump(exclude_unset=True)
    await _ensure_unique(session, staff.clinic_id, reference=None, phone=changes.get("phone"),
                         exclude_id=patient_id)
    if patient.status == PatientStatus.DISCHARGED and "status" in changes:
        raise Conflict("a discharged patient cannot be resumed or paused", field="status")
    # A new number: whoever holds the old one keeps no session and no link sent to it.
    new_phone = changes.get("phone") not in (None, patient.phone)
    for field, value in changes.items():
        if value is None:
            continue
        setattr(patient, field, value)
    await session.flush()
    if new_phone:
        assert patient.id is not None
        await end_patient_sessions(session, patient)
        await withdraw_links(session, patient.id)
        enrolment.new_number(patient)
    if REPLAN_FIELDS & changes.keys():
        await replan_patient(session, clock, patient, plan)
        await _stop_routine(session, clock, patient)
    detail: dict[str, Any] = {"fields": sorted(changes)}
    if new_phone:
        detail["sessions_ended"] = True
    # A pending patient moved from the app to SMS, or given a new number, is asked for consent now.
    if ("channel" in changes or new_phone) and await enrolment.send_welcome(session, clock, plan, patient):
        detail["welcome_sent"] = True
    audit.record(session, clock, actor=staff.actor, action="patient.update", subject=f"patient:{patient_id}",
                 clinic_id=staff.clinic_id, detail=detail)
    return patient


async def discharge_patient(
    session: AsyncSession, clock: Clock, plan: AftercarePlan, staff: StaffPrincipal, patient_id: int
) -> Patient:
    patient = await get_patient(session, staff.clinic_id, patient_id)
    patient.status = PatientStatus.DISCHARGED
    await session.flush()
    await replan_patient(session, clock, patient, plan)
    await _stop_routine(session, clock, patient)
    audit.record(session, clock, actor=staff.actor, action="patient.discharge",
                 subject=f"patient:{patient_id}", clinic_id=staff.clinic_id)
    return patient


async def set_paused(
    session: AsyncSession, clock: Clock, plan: AftercarePlan, staff: StaffPrincipal, patient_id: int, paused: bool
) -> Patient:
    """Pause (no routine prompts; those waiting are cancelled) or resume (planned again) the
    patient. A discharged patient is neither: 409. Pausing a paused patient changes nothing."""
    patient = await get_patient(session, staff.clinic_id, patient_id)
    if patient.status == PatientStatus.DISCHARGED:
        raise Conflict("a discharged patient cannot be resumed or paused", field="status")
    wanted = PatientStatus.PAUSED if paused else PatientStatus.ACTIVE
    if patient.status == wanted:
        return patient
    patient.status = wanted
    await session.flush()
    await replan_patient(session, clock, patient, plan)
    await _stop_routine(session, clock, patient)
    audit.record(session, clock, actor=staff.actor, action="patient.pause" if paused else "patient.resume",
                 subject=f"patient:{patient_id}", clinic_id=staff.clinic_id)
    return patient


async def resend_welcome(
    session: AsyncSession, clock: Clock, plan: AftercarePlan, staff: StaffPrincipal, patient_id: int
) -> Patient:
    """The welcome once more, to a patient who has not answered it (enrolment.resend_welcome)."""
    patient = await get_patient(session, staff.clinic_id, patient_id)
    return await enrolment.resend_welcome(session, clock, plan, staff, patient)


async def list_patients(
    session: AsyncSession, clock: Clock, staff: StaffPrincipal, query: PatientQuery, *, limit: int, offset: int,
) -> tuple[list[Patient], int]:
    patients, total = await patient_page(session, staff.clinic_id, query, clock.now(), limit=limit, offset=offset)
    audit.record(session, clock, actor=staff.actor, action="patient.list", subject="patients",
                 clinic_id=staff.clinic_id, detail={"count": len(patients)})
    return patients, total
