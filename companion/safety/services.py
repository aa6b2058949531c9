"""Alerts for the dashboard: listed by severity and age, always scoped to the caller's clinic."""

from __future__ import annotations

from sqlalchemy import case, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from companion.audit import services as audit
from companion.auth.principals import StaffPrincipal
from companion.clinical.permissions import Permissions, may, refusal
from companion.clinical.protocol import Protocol
from companion.clock import Clock
from companion.errors import NotFound
from companion.models import Alert, AlertPage, AlertSeverity, AlertStatus, Patient, StaffMember
from companion.safety import evidence
from companion.safety.schemas import AlertRead


def alert_read(
    alert: Alert, reference: str, clock: Clock, permissions: Permissions, staff: StaffPrincipal | None = None,
    paged: bool = False, names: dict[int, str] | None = None,
) -> AlertRead:
    """The alert for ``staff`` (what they may do to it under ``permissions``, given whether they were
    ``paged`` for it); without the evidence of its findings, which only the alert's own read adds."""
    assert alert.id is not None
    may_ack = may_resolve = True
    note = None
    if staff is not None:
        may_ack = may(permissions, "acknowledge", alert.severity, staff.role, paged)
        may_resolve = may(permissions, "resolve", alert.severity, staff.role, paged)
        refused = []
        if alert.status == AlertStatus.OPEN and not may_ack:
            refused.append(refusal(permissions, "acknowledge", alert.severity))
        if alert.status != AlertStatus.RESOLVED and not may_resolve:
            refused.append(refusal(permissions, "resolve", alert.severity))
        note = " ".join(refused) or None
    step = None
    if alert.pass_no is not None and alert.step_index is not None:
        step = f"pass {alert.pass_no}, step {alert.step_index + 1}"
    return AlertRead(
        id=alert.id, patient_id=alert.patient_id, patient_reference=reference, kind=alert.kind,
        severity=alert.severity, status=alert.status, ack_code=alert.ack_code, protocol_version=alert.protocol_version,
        protocol_version_id=alert.protocol_version_id,
        opened_at=alert.opened_at, age_minutes=int((clock.now() - alert.opened_at).total_seconds() // 60), step=step,
        next_step_at=alert.next_step_at, escalation_end_reason=alert.escalation_end_reason, findings=alert.findings,
        acknowledged_at=alert.acknowledged_at, acknowledged_by=alert.acknowledged_by, resolved_at=alert.resolved_at,
        resolved_by=alert.resolved_by, resolution_note=alert.resolution_note,
        acknowledged_by_name=_name(names, alert.acknowledged_by), resolved_by_name=_name(names, alert.resolved_by),
        may_acknowledge=may_ack, may_resolve=may_resolve, permission_note=note,
    )


def _name(names: dict[int, str] | None, staff_id: int | None) -> str | None:
    if staff_id is None:
        return None
    return (names or {}).get(staff_id, "a former staff member")


async def _names(session: AsyncSession, clinic_id: int, alerts: list[Alert]) -> dict[int, str]:
    """The names of who acknowledged and resolved these alerts (one query)."""
    ids = {i for a in alerts for i in (a.acknowledged_by, a.resolved_by) if i is not None}
    if not ids:
        return {}
    rows = await session.execute(select(col(StaffMember.id), col(StaffMember.name))
                                 .where(col(StaffMember.id).in_(ids), col(StaffMember.clinic_id) == clinic_id))
    return {staff_id: name for staff_id, name in rows.all() if staff_id is not None}


async def _paged(session: AsyncSession, staff: StaffPrincipal, alert_ids: list[int]) -> set[int]:
    """Which of these alerts paged this staff member (one query for the lot)."""
    if not alert_ids:
        return set()
    rows = await session.execute(
        select(col(AlertPage.alert_id))
        .where(col(AlertPage.staff_id) == staff.staff_id, col(AlertPage.alert_id).in_(alert_ids))
        .distinct()
    )
    return set(rows.scalars())


SEVERITY_ORDER = case(
    {AlertSeverity.URGENT: 0, AlertSeverity.HIGH: 1, AlertSeverity.ROUTINE: 2}, value=Alert.severity, else_=3
)


async def list_alerts(
    session: AsyncSession, clock: Clock, protocol: Protocol, staff: StaffPrincipal, status: str | None,
    patient_id: int | None,
) -> list[AlertRead]:
    query = (
        select(Alert, col(Patient.reference))
        .join(Patient, col(Patient.id) == col(Alert.patient_id))
        .where(col(Alert.clinic_id) == staff.clinic_id)
        .order_by(SEVERITY_ORDER, col(Alert.opened_at), col(Alert.id))
    )
    if status == "active":
        query = query.where(col(Alert.status) != AlertStatus.RESOLVED)
    elif status:
        query = query.where(col(Alert.status) == status)
    if patient_id is not None:
        query = query.where(col(Alert.patient_id) == patient_id)
    rows = (await session.execute(query.limit(500))).all()
    audit.record(session, clock, actor=staff.actor, action="alert.list", subject="alerts", clinic_id=staff.clinic_id,
                 detail={"count": len(rows)})
    paged = await _paged(session, staff, [alert.id for alert, _ in rows if alert.id is not None])
    names = await _names(session, staff.clinic_id, [alert for alert, _ in rows])
    return [alert_read(alert, reference, clock, protocol.permissions, staff, alert.id in paged, names)
            for alert, reference in rows]


async def get_alert(
    session: AsyncSession, clock: Clock, protocol: Protocol, staff: StaffPrincipal, alert_id: int
) -> AlertRead:
    alert = await session.get(Alert, alert_id)
    if alert is None or alert.clinic_id != staff.clinic_id:
        raise NotFound("alert not found")
    patient = await session.get(Patient, alert.patient_id)
    shown = await evidence.for_alert(session, alert)
    # The read shows the patient's words and answers: the trail names the alert, the reader and what was shown.
    audit.record(session, clock, actor=staff.actor, action="alert.read", subject=f"alert:{alert_id}",
                 clinic_id=staff.clinic_id, detail={"patient": f"patient:{alert.patient_id}",
                                                    "evidence": evidence.kinds(shown)})
    paged = alert_id in await _paged(session, staff, [alert_id])
    names = await _names(session, staff.clinic_id, [alert])
    read = alert_read(alert, patient.reference if patient else "?", clock, protocol.permissions, staff, paged, names)
    return read.model_copy(update={"evidence": shown})
