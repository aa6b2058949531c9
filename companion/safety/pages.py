"""Who a chain step reaches, and the page each of them gets. No diagnosis, score or name in a
page: the severity, the patient's reference and the ack code; the detail is behind sign-in. A voice
page says the same, less the code: its keypad acknowledges (docs/sms.md, "Voice pages")."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from companion.clinical.escalation import Target
from companion.clinical.protocol import Protocol
from companion.clinical.rota import on_duty
from companion.clinics.oncall import schedule_of
from companion.models import Alert, AlertSeverity, Clinic, Patient, StaffMember, StaffRole

log = logging.getLogger("companion.safety")

SEVERITY_WORD: dict[str, str] = {
    AlertSeverity.URGENT: "Urgent", AlertSeverity.HIGH: "Same-day", AlertSeverity.ROUTINE: "Routine",
}


def page_text(alert: Alert, patient: Patient) -> str:
    severity = SEVERITY_WORD.get(alert.severity, "Urgent")
    return f"{severity} alert for patient {patient.reference}. Reply ACK {alert.ack_code}"


def spoken_reference(reference: str) -> str:
    """A reference read out one character at a time: ``P-1042`` -> ``P 1 0 4 2``."""
    return " ".join(ch for ch in reference if ch.isalnum())


def call_text(alert: Alert, patient: Patient) -> str:
    """What a voice page says before asking for 1 to acknowledge."""
    severity = SEVERITY_WORD.get(alert.severity, "Urgent")
    return f"{severity} alert from the companion for patient {spoken_reference(patient.reference)}."


async def _active_with_phone(session: AsyncSession, clinic_id: int) -> list[StaffMember]:
    rows = await session.execute(
        select(StaffMember).where(
            col(StaffMember.clinic_id) == clinic_id,
            col(StaffMember.active).is_(True),
            col(StaffMember.phone).is_not(None),
        ).order_by(col(StaffMember.id))
    )
    return list(rows.scalars())


async def resolve_targets(
    session: AsyncSession, protocol: Protocol, clinic: Clinic, targets: tuple[Target, ...], at: datetime
) -> tuple[list[StaffMember], list[str]]:
    """The staff members a step reaches, and the targets that reached nobody.

    Who holds an ``oncall:`` position is the clinic's schedule row for it (staff ids), and only
    for a position without a row the protocol's rota (emails), both read in the protocol's zone
    (docs/protocol.md, "On-call schedules")."""
    staff = await _active_with_phone(session, clinic.id or 0)
    by_email = {m.email.lower(): m for m in staff}
    by_id = {str(m.id): m for m in staff}
    oncall = any(t.kind == "oncall" for t in targets)
    schedule = await schedule_of(session, clinic.id or 0) if oncall else {}
    zone = protocol.business_hours.zone_for(clinic.timezone) if oncall else None
    reached: dict[int, StaffMember] = {}
    unreached: list[str] = []
    for target in targets:
        found: list[StaffMember] = []
        if target.kind == "oncall" and target.value in schedule and zone is not None:
            holder = on_duty(schedule[target.value], at, zone)
            if holder is not None and holder in by_id:
                found = [by_id[holder]]
        elif target.kind == "oncall":
            email = protocol.on_duty(target.value, at, clinic.timezone)
            if email and email.lower() in by_email:
                found = [by_email[email.lower()]]
        elif target.kind == "role":
            found = [m for m in staff if m.role == target.value]
        elif target.kind == "staff":
            member = by_email.get(target.value.lower()) or by_id.get(target.value)
            found = [member] if member else []
        elif target.kind == "care_team":
            found = _care_team_of(staff)
        if not found:
            unreached.append(str(target))
        for member in found:
            reached.setdefault(member.id or 0, member)
    return list(reached.values()), unreached


def _care_team_of(staff: list[StaffMember]) -> list[StaffMember]:
    return [m for m in staff if m.role == StaffRole.CLINICIAN] or [m for m in staff if m.role == StaffRole.ADMIN]


async def care_team(session: AsyncSession, clinic_id: int) -> list[StaffMember]:
    """The clinic's active clinicians with a phone; its admins instead when it has no such
    clinician (the ``care_team:patient`` target, the digest, and the protocol's clinic check)."""
    return _care_team_of(await _active_with_phone(session, clinic_id))


async def fallback_recipients(session: AsyncSession, clinic_id: int) -> list[StaffMember]:
    """When a step reaches nobody, every active clinician and admin with a phone is paged: an
    alert that pages no one is worse than one that pages too many."""
    return [m for m in await _active_with_phone(session, clinic_id) if m.role in {StaffRole.CLINICIAN, StaffRole.ADMIN}]
