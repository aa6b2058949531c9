"""One patient's record as CSV: who they are, their sessions, every check-in with every answer and
its question, their alerts, and every message sent and received. Audited as an export of the
patient's record."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from companion.audit import services as audit
from companion.auth.principals import StaffPrincipal
from companion.clinical.instruments import INSTRUMENTS
from companion.clinical.instruments.questions import UnknownQuestion
from companion.clock import Clock
from companion.models import Alert, Answer, CheckIn, InboundMessage, OutboundMessage, StaffMember, TreatmentSession
from companion.patients.services import get_patient
from companion.reports.csv_text import csv_text

HEADER = ("section", "at", "what", "value", "detail")


def _question(instrument: str, key: str) -> str:
    found = INSTRUMENTS.get(instrument)
    try:
        return found.question(key).app_text if found is not None else key
    except UnknownQuestion:
        return key


async def patient_record_csv(session: AsyncSession, clock: Clock, staff: StaffPrincipal, patient_id: int) -> str:
    patient = await get_patient(session, staff.clinic_id, patient_id)
    names = dict((await session.execute(
        select(col(StaffMember.id), col(StaffMember.name)).where(col(StaffMember.clinic_id) == staff.clinic_id)
    )).all())
    rows: list[tuple[Any, ...]] = [
        ("patient", patient.created_at, "reference", patient.reference, ""),
        ("patient", patient.created_at, "name", patient.display_name, ""),
        ("patient", patient.created_at, "phone", patient.phone, ""),
        ("patient", patient.created_at, "status", patient.status, ""),
        ("patient", patient.sms_consent_changed_at, "sms consent", patient.sms_consent, patient.sms_consent_source),
    ]
    rows += await _sessions(session, patient_id)
    rows += await _checkins(session, patient_id)
    for alert in (await session.execute(
        select(Alert).where(col(Alert.patient_id) == patient_id).order_by(col(Alert.opened_at))
    )).scalars():
        handled = f"acknowledged by {names.get(alert.acknowledged_by or 0, '')}" if alert.acknowledged_by else ""
        rows.append(("alert", alert.opened_at, f"{alert.kind} {alert.severity}", alert.status, handled))
        if alert.resolution_note:
            rows.append(("alert", alert.resolved_at, "resolution note", alert.resolution_note, ""))
    for message in (await session.execute(
        select(InboundMessage).where(col(InboundMessage.patient_id) == patient_id)
    )).scalars():
        rows.append(("message received", message.received_at, "sms", message.body, message.keyword or ""))
    for sent in (await session.execute(
        select(OutboundMessage).where(col(OutboundMessage.patient_id) == patient_id,
                                      col(OutboundMessage.staff_id).is_(None))  # not the pages to staff
    )).scalars():
        rows.append(("message sent", sent.sent_at or sent.due_at, sent.purpose, sent.body, sent.status))
    audit.record(session, clock, actor=staff.actor, action="patient.export", subject=f"patient:{patient_id}",
                 clinic_id=staff.clinic_id, detail={"rows": len(rows)})
    return csv_text(HEADER, rows)


async def _sessions(session: AsyncSession, patient_id: int) -> list[tuple[Any, ...]]:
    return [
        ("session", ts.started_at, ts.modality, ts.dose_mg, "cancelled" if ts.cancelled_at else (ts.location or ""))
        for ts in (await session.execute(
            select(TreatmentSession).where(col(TreatmentSession.patient_id) == patient_id)
            .order_by(col(TreatmentSession.started_at))
        )).scalars()
    ]


async def _checkins(session: AsyncSession, patient_id: int) -> list[tuple[Any, ...]]:
    checkins = list((await session.execute(
        select(CheckIn).where(col(CheckIn.patient_id) == patient_id).order_by(col(CheckIn.started_at))
    )).scalars())
    answers: dict[int, list[Answer]] = {}
    for answer in (await session.execute(
        select(Answer).where(col(Answer.patient_id) == patient_id).order_by(col(Answer.received_at), col(Answer.id))
    )).scalars():
        answers.setdefault(answer.checkin_id, []).append(answer)
    rows: list[tuple[Any, ...]] = []
    for checkin in checkins:
        band = f", {checkin.band}" if checkin.band else ""
        score = "" if checkin.total is None else f"total {checkin.total}{band}"
        rows.append(("check-in", checkin.completed_at or checkin.started_at,
                     f"{checkin.instrument} ({checkin.source})", checkin.status, score))
        for answer in answers.get(checkin.id or 0, []):
            rows.append(("answer", answer.received_at, _question(checkin.instrument, answer.question_key),
                         answer.value, answer.source))
    return rows
