"""Safety reactions to events from other domains."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from companion.audit import services as audit
from companion.clock import Clock
from companion.messaging import outbox
from companion.messaging.policy import Purpose
from companion.models import AlertPage, AlertSeverity, Patient, PatientStatus, StaffMember
from companion.protocols import ProtocolSource
from companion.safety.alerts import open_alerts_of
from companion.safety.judge import judge_missed


async def patient_opted_out(session: AsyncSession, clock: Clock, patient: Patient) -> None:
    """A patient with an open high or urgent alert opted out of SMS: everyone already paged for
    that alert is told, since texts to the patient will no longer arrive."""
    assert patient.id is not None
    serious = [
        a for a in await open_alerts_of(session, patient.id) if a.severity in {AlertSeverity.URGENT, AlertSeverity.HIGH}
    ]
    for alert in serious:
        staff_ids = set(
            (await session.execute(
                select(col(AlertPage.staff_id)).where(col(AlertPage.alert_id) == alert.id)
            )).scalars()
        )
        members = list(
            (await session.execute(select(StaffMember).where(col(StaffMember.id).in_(staff_ids)))).scalars()
        ) if staff_ids else []
        for member in members:
            if not member.phone or not member.active:
                continue
            await outbox.enqueue(
                session, clock, to_phone=member.phone, purpose=Purpose.STAFF_PAGE,
                body=(f"Patient {patient.reference} (alert {alert.ack_code}) opted out of SMS: texts to them "
                      "will not arrive. Please call instead."),
                clinic_id=patient.clinic_id, staff_id=member.id, dedupe_key=f"optout:{alert.id}:{member.id}:"
                f"{int(clock.now().timestamp())}",
            )
        audit.record(session, clock, actor="system:safety", action="alert.patient_opted_out",
                     subject=f"alert:{alert.id}", clinic_id=alert.clinic_id, detail={"told": len(members)})


async def missed_checkins(
    session: AsyncSession, clock: Clock, protocols: ProtocolSource, patient_id: int, in_a_row: int
) -> None:
    """A patient missed ``in_a_row`` check-ins in a row: a finding for their clinic's rules."""
    patient = await session.get(Patient, patient_id)
    if patient is None or patient.status != PatientStatus.ACTIVE:
        return
    audit.record(session, clock, actor="system:scheduler", action="checkins.missed", subject=f"patient:{patient_id}",
                 clinic_id=patient.clinic_id, detail={"in_a_row": in_a_row})
    await judge_missed(session, clock, await protocols.for_clinic(session, patient.clinic_id), patient, in_a_row)
