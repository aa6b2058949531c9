"""Acknowledging and resolving alerts, by SMS (ACK <code>, RESOLVE <code> <note>), by the keypad of
a voice page (1), or the API. An SMS ACK and a key pressed take the one path (``_acknowledge_as``):
the same permissions, the same lock, the same audit event, each naming its channel.

Acknowledging stops the climb; resolving needs a note. Who may do either is the protocol's
``[permissions]`` (companion/clinical/permissions.py): the dashboard gets 403 naming who may, an SMS
the same sentence. The alert row is locked while it changes, so two people acknowledging at once
get one acknowledgement and one polite "already"."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from companion.audit import services as audit
from companion.auth.principals import StaffPrincipal
from companion.clinical.permissions import Action, Permissions, may, refusal
from companion.clinical.protocol import Protocol
from companion.clock import Clock
from companion.errors import Conflict, Forbidden, InvalidInput, NotFound
from companion.models import Alert, AlertPage, AlertStatus, EscalationEndReason, Patient, StaffMember


async def _by_code(session: AsyncSession, clinic_id: int, code: str) -> Alert | None:
    """The clinic's alert with this code: an unresolved one first, else the latest resolved."""
    rows = await session.execute(
        select(Alert)
        .where(col(Alert.clinic_id) == clinic_id, col(Alert.ack_code) == code)
        .order_by((col(Alert.status) == AlertStatus.RESOLVED).asc(), col(Alert.id).desc())
        .limit(1)
        .with_for_update()
    )
    return rows.scalar_one_or_none()


async def _newest_paged(session: AsyncSession, staff_id: int) -> Alert | None:
    rows = await session.execute(
        select(Alert)
        .join(AlertPage, col(AlertPage.alert_id) == col(Alert.id))
        .where(col(AlertPage.staff_id) == staff_id, col(Alert.status) == AlertStatus.OPEN)
        .order_by(col(AlertPage.paged_at).desc(), col(Alert.id).desc())
        .limit(1)
        .with_for_update(of=Alert)
    )
    return rows.scalar_one_or_none()


async def _reference(session: AsyncSession, alert: Alert) -> str:
    patient = await session.get(Patient, alert.patient_id)
    return patient.reference if patient else "the patient"


async def _name(session: AsyncSession, staff_id: int | None) -> str:
    member = await session.get(StaffMember, staff_id) if staff_id else None
    return member.name if member else "a colleague"


async def _was_paged(session: AsyncSession, alert_id: int, staff_id: int) -> bool:
    query = select(exists().where(col(AlertPage.alert_id) == alert_id, col(AlertPage.staff_id) == staff_id))
    return bool((await session.execute(query)).scalar())


async def _refusal(
    session: AsyncSession, permissions: Permissions, action: Action, alert: Alert, staff_id: int, role: str,
) -> str | None:
    """Why this person may not do ``action`` to ``alert`` (None: they may). ``permissions`` are the
    protocol's now, not when the alert opened: a change of who may applies to alerts already open."""
    assert alert.id is not None
    if may(permissions, action, alert.severity, role, paged=False):
        return None
    if may(permissions, action, alert.severity, role, paged=await _was_paged(session, alert.id, staff_id)):
        return None
    return refusal(permissions, action, alert.severity)


def _record_refusal(session: AsyncSession, clock: Clock, alert: Alert, staff_id: int, action: Action,
                    channel: str) -> None:
    audit.record(session, clock, actor=f"staff:{staff_id}", action=f"alert.{action}_refused",
                 subject=f"alert:{alert.id}", clinic_id=alert.clinic_id, detail={"channel": channel})


def _acknowledge(alert: Alert, staff_id: int, clock: Clock) -> None:
    alert.status = AlertStatus.ACKNOWLEDGED
    alert.acknowledged_at = clock.now()
    alert.acknowledged_by = staff_id
    alert.next_step_at = None
    alert.escalation_ended_at = alert.escalation_ended_at or clock.now()
    alert.escalation_end_reason = alert.escalation_end_reason or EscalationEndReason.ACKNOWLEDGED


def _resolve(alert: Alert, staff_id: int, note: str, clock: Clock) -> None:
    if alert.status == AlertStatus.OPEN:
        _acknowledge(alert, staff_id, clock)
    alert.status = AlertStatus.RESOLVED
    alert.resolved_at = clock.now()
    alert.resolved_by = staff_id
    alert.resolution_note = note


@dataclass(frozen=True)
class AckOutcome:
    """What came of a staff member's acknowledgement by SMS or keypad."""

    result: Literal["acknowledged", "already_acknowledged", "already_resolved", "refused"]
    alert: Alert
    reference: str  # the patient's reference
    by: str = ""  # who acknowledged or resolved it before
    refusal: str = ""  # why this person may not


async def _acknowledge_as(
    session: AsyncSession, clock: Clock, protocol: Protocol, staff: StaffMember, alert: Alert, channel: str
) -> AckOutcome:
    """``staff`` acknowledges ``alert`` (locked by the caller) through ``channel`` ("sms", "voice")."""
    assert staff.id is not None
    refused = await _refusal(session, protocol.permissions, "acknowledge", alert, staff.id, staff.role)
    reference = await _reference(session, alert)
    if refused is not None:
        _record_refusal(session, clock, alert, staff.id, "acknowledge", channel)
        return AckOutcome("refused", alert, reference, refusal=refused)
    if alert.status == AlertStatus.RESOLVED:
        return AckOutcome("already_resolved", alert, reference, await _name(session, alert.resolved_by))
    if alert.status == AlertStatus.ACKNOWLEDGED:
        return AckOutcome("already_acknowledged", alert, reference, await _name(session, alert.acknowledged_by))
    _acknowledge(alert, staff.id, clock)
    audit.record(session, clock, actor=f"staff:{staff.id}", action="alert.ack", subject=f"alert:{alert.id}",
                 clinic_id=alert.clinic_id, detail={"channel": channel})
    return AckOutcome("acknowledged", alert, reference)


async def acknowledge_by_sms(
    session: AsyncSession, clock: Clock, protocol: Protocol, staff: StaffMember, code: str | None
) -> str:
    assert staff.id is not None
    alert = await (_by_code(session, staff.clinic_id, code) if code else _newest_paged(session, staff.id))
    if alert is None:
        audit.record(session, clock, actor=f"staff:{staff.id}", action="alert.ack_unmatched", subject="alert:none",
                     clinic_id=staff.clinic_id, detail={"code": code, "channel": "sms"})
        if code is None:
            return "You have no open alert to acknowledge."
        return f"No alert matches {code}. Check the code in the page or open the dashboard."
    done = await _acknowledge_as(session, clock, protocol, staff, alert, "sms")
    if done.result == "refused":
        return f"{done.refusal} Alert {alert.ack_code} is unchanged."
    if done.result == "already_resolved":
        return (f"Thank you. Alert {alert.ack_code} for {done.reference} was already resolved by "
                f"{done.by}; nothing more is needed.")
    if done.result == "already_acknowledged":
        return f"Thank you. Alert {alert.ack_code} for {done.reference} was already acknowledged by {done.by}."
    return (f"Acknowledged alert {alert.ack_code} for {done.reference}. Details are in the dashboard. "
            f"Reply RESOLVE {alert.ack_code} <note> when done.")


async def acknowledge_by_call(
    session: AsyncSession, clock: Clock, protocol: Protocol, staff: StaffMember, alert_id: int
) -> str:
    """1 pressed during the voice page of ``alert_id`` to ``staff``: what the call says back."""
    alert = await session.get(Alert, alert_id, with_for_update=True)
    if alert is None or alert.clinic_id != staff.clinic_id:
        return "This alert could not be found. Please open the dashboard."
    done = await _acknowledge_as(session, clock, protocol, staff, alert, "voice")
    if done.result == "refused":
        return f"{done.refusal} The alert is unchanged."
    if done.result == "already_resolved":
        return f"Thank you. This alert was already resolved by {done.by}. Nothing more is needed."
    if done.result == "already_acknowledged":
        return f"Thank you. This alert was already acknowledged by {done.by}."
    return "Thank you. The alert is acknowledged. Details are in the dashboard. Goodbye."


async def resolve_by_sms(
    session: AsyncSession, clock: Clock, protocol: Protocol, staff: StaffMember, code: str, note: str
) -> str:
    assert staff.id is not None
    alert = await _by_code(session, staff.clinic_id, code)
    if alert is None:
        return f"No alert matches {code}. Check the code in the page or open the dashboard."
    if (refused := await _refusal(session, protocol.permissions, "resolve", alert, staff.id, staff.role)) is not None:
        _record_refusal(session, clock, alert, staff.id, "resolve", "sms")
        return f"{refused} Alert {alert.ack_code} is unchanged."
    reference = await _reference(session, alert)
    if alert.status == AlertStatus.RESOLVED:
        return f"Alert {alert.ack_code} for {reference} was already resolved; nothing more is needed."
    _resolve(alert, staff.id, note.strip(), clock)
    audit.record(session, clock, actor=f"staff:{staff.id}", action="alert.resolve", subject=f"alert:{alert.id}",
                 clinic_id=alert.clinic_id, detail={"channel": "sms"})
    return f"Resolved alert {alert.ack_code} for {reference}. Thank you."


async def _locked(session: AsyncSession, clinic_id: int, alert_id: int) -> Alert:
    alert = await session.get(Alert, alert_id, with_for_update=True)
    if alert is None or alert.clinic_id != clinic_id:
        raise NotFound("alert not found")
    return alert


async def _check(
    session: AsyncSession, clock: Clock, permissions: Permissions, staff: StaffPrincipal, alert: Alert,
    action: Action,
) -> None:
    if (refused := await _refusal(session, permissions, action, alert, staff.staff_id, staff.role)) is not None:
        _record_refusal(session, clock, alert, staff.staff_id, action, "dashboard")
        raise Forbidden(refused, keep_changes=True)


async def acknowledge(
    session: AsyncSession, clock: Clock, protocol: Protocol, staff: StaffPrincipal, alert_id: int
) -> Alert:
    clinic_id, staff_id = staff.clinic_id, staff.staff_id
    alert = await _locked(session, clinic_id, alert_id)
    await _check(session, clock, protocol.permissions, staff, alert, "acknowledge")
    if alert.status == AlertStatus.RESOLVED:
        raise Conflict("this alert is already resolved", field="status")
    if alert.status == AlertStatus.ACKNOWLEDGED:
        return alert
    _acknowledge(alert, staff_id, clock)
    audit.record(session, clock, actor=f"staff:{staff_id}", action="alert.ack", subject=f"alert:{alert.id}",
                 clinic_id=clinic_id, detail={"channel": "dashboard"})
    return alert


async def resolve(
    session: AsyncSession, clock: Clock, protocol: Protocol, staff: StaffPrincipal, alert_id: int, note: str
) -> Alert:
    if not note.strip():
        raise InvalidInput("resolving an alert needs a note", field="note")
    clinic_id, staff_id = staff.clinic_id, staff.staff_id
    alert = await _locked(session, clinic_id, alert_id)
    await _check(session, clock, protocol.permissions, staff, alert, "resolve")
    if alert.status == AlertStatus.RESOLVED:
        raise Conflict("this alert is already resolved", field="status")
    _resolve(alert, staff_id, note.strip(), clock)
    audit.record(session, clock, actor=f"staff:{staff_id}", action="alert.resolve", subject=f"alert:{alert.id}",
                 clinic_id=clinic_id, detail={"channel": "dashboard"})
    return alert


async def page_of_call(session: AsyncSession, call_message_id: int) -> AlertPage | None:
    """The page whose voice call is outbox row ``call_message_id``."""
    rows = await session.execute(select(AlertPage).where(col(AlertPage.call_message_id) == call_message_id))
    return rows.scalar_one_or_none()
