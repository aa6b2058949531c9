"""A patient's own settings: preferred check-in time, channel and quiet hours.

A change re-plans the patient's prompts that have not gone out yet and is an audit event naming
the fields changed (never their values)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from companion.audit import services as audit
from companion.auth.patient_services import read_own_profile
from companion.auth.principals import PatientPrincipal
from companion.clinical.plan import AftercarePlan
from companion.clock import Clock
from companion.errors import InvalidInput
from companion.models import Patient
from companion.patients import enrolment
from companion.patients.self_schemas import QUIET_HOURS_SAME, PatientSettingsUpdate
from companion.scheduling.services import replan_patient


async def update_own_settings(
    session: AsyncSession, clock: Clock, plan: AftercarePlan, principal: PatientPrincipal, data: PatientSettingsUpdate
) -> Patient:
    patient = await read_own_profile(session, principal)
    changes: dict[str, Any] = data.model_dump(exclude_unset=True)
    quiet_start = changes.get("quiet_start", patient.quiet_start)
    quiet_end = changes.get("quiet_end", patient.quiet_end)
    if quiet_start == quiet_end:
        field = "quiet_start" if "quiet_start" in changes else "quiet_end"
        raise InvalidInput(QUIET_HOURS_SAME, field=field)
    changed = sorted(name for name, value in changes.items() if getattr(patient, name) != value)
    for name in changed:
        setattr(patient, name, changes[name])
    if not changed:
        return patient
    await session.flush()
    await replan_patient(session, clock, patient, plan)
    detail: dict[str, Any] = {"fields": changed}
    # A pending patient who moves from the app to texts is asked for consent now (docs/sms.md).
    if "channel" in changed and await enrolment.send_welcome(session, clock, plan, patient):
        detail["welcome_sent"] = True
    audit.record(session, clock, actor=principal.actor, action="patient.settings",
                 subject=f"patient:{principal.patient_id}", clinic_id=principal.clinic_id, detail=detail)
    return patient
