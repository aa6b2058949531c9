"""Planning prompts as rows: re-plan one patient after a change, or extend every plan nightly.

Planning is idempotent: a prompt is unique per patient, instrument and slot, so writing the same
plan twice inserts nothing new. A change (a session recorded, moved or cancelled; a new time zone
or preferred time) re-times the prompts not yet released and cancels those no longer planned.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import CursorResult, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from companion.clinical.instruments import get_instrument
from companion.clinical.localtime import QuietHours
from companion.clinical.plan import (
    AftercarePlan,
    PatientTiming,
    PlannedPrompt,
    SessionInfo,
    plan_prompts,
    reminder_due,
)
from companion.clock import Clock
from companion.models import (
    CheckIn,
    CheckInStatus,
    Patient,
    PatientChannel,
    PatientStatus,
    Prompt,
    PromptStatus,
    SmsConsent,
    TreatmentSession,
)
from companion.models.base import table_of

HORIZON = timedelta(days=2)


@dataclass
class PlanResult:
    created: int = 0
    retimed: int = 0
    cancelled: int = 0


def is_plannable(patient: Patient) -> bool:
    """Paused and discharged patients get no prompts; an SMS-only patient who has not opted in
    neither (one who opted out, or a new patient who has not replied YES to the welcome). A patient
    who also uses the app is asked there meanwhile (docs/sms.md, "Consent")."""
    if patient.status != PatientStatus.ACTIVE:
        return False
    return not (patient.channel == PatientChannel.SMS and patient.sms_consent != SmsConsent.OPTED_IN)


def timing_of(patient: Patient) -> PatientTiming:
    return PatientTiming(
        tz=ZoneInfo(patient.timezone),
        preferred_time=patient.preferred_checkin_time,
        quiet=QuietHours(patient.quiet_start, patient.quiet_end),
    )


def _plan_for(
    patient: Patient, sessions: Sequence[TreatmentSession], has_baseline: bool, plan: AftercarePlan,
    start: datetime, end: datetime, timing: PatientTiming | None = None,
) -> list[PlannedPrompt]:
    infos = [SessionInfo(s.id or 0, s.started_at, s.ended_at, s.modality) for s in sessions]
    recorded = [s for s in infos if s.started_at <= start]
    upcoming = [s for s in infos if s.started_at > start]
    return plan_prompts(recorded, upcoming, plan, timing or timing_of(patient), start, end, has_baseline)


def _row(patient: Patient, planned: PlannedPrompt, plan: AftercarePlan, modality: str | None,
         now: datetime, timing: PatientTiming | None = None) -> dict[str, object]:
    modality_plan = plan.for_modality(modality) if modality else plan.default
    timing = timing or timing_of(patient)
    return {
        "clinic_id": patient.clinic_id,
        "patient_id": patient.id,
        "instrument": planned.instrument,
        "instrument_version": get_instrument(planned.instrument).version,
        "slot": planned.slot,
        "session_id": planned.session_id,
        "status": PromptStatus.PLANNED,
        "due_at": planned.due_at,
        "expires_at": planned.expires_at,
        "reminder_due_at": reminder_due(planned.due_at, modality_plan, timing, planned.expires_at),
        "invalid_replies": 0,
        "created_at": now,
    }


async def _insert_missing(session: AsyncSession, rows: list[dict[str, object]]) -> int:
    """Insert the rows whose (patient, instrument, slot) is not stored yet; returns how many were new.

    One statement executed with every row as a parameter set (SQLAlchemy sends them as multi-row
    INSERTs), far cheaper than building a VALUES list through the ORM.
    """
    if not rows:
        return 0
    table = table_of(Prompt)
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = (
        insert(table)
        .on_conflict_do_nothing(index_elements=["patient_id", "instrument", "slot"])
        .returning(table.c.id)
    )
    return len((await session.execute(statement, rows)).all())


async def _sessions_by_patient(session: AsyncSession, patient_ids: list[int]) -> dict[int, list[TreatmentSession]]:
    rows = await session.execute(
        select(TreatmentSession)
        .where(
            col(TreatmentSession.patient_id).in_(patient_ids),
            col(TreatmentSession.cancelled_at).is_(None),
        )
        .order_by(col(TreatmentSession.started_at))
    )
    grouped: dict[int, list[TreatmentSession]] = defaultdict(list)
    for row in rows.scalars():
        grouped[row.patient_id].append(row)
    return grouped


async def _baselines(
    session: AsyncSession, patient_ids: list[int], first_session: dict[int, datetime]
) -> set[int]:
    """Patients with a complete PHQ-9 before their first session (or at all, with no session)."""
    rows = await session.execute(
        select(col(CheckIn.patient_id), col(CheckIn.completed_at)).where(
            col(CheckIn.patient_id).in_(patient_ids),
            col(CheckIn.instrument) == "phq9",
            col(CheckIn.status) == CheckInStatus.COMPLETE,
        )
    )
    found = set()
    for patient_id, completed_at in rows.all():
        first = first_session.get(patient_id)
        if first is None or (completed_at is not None and completed_at < first):
            found.add(patient_id)
    return found


async def cancel_future(
    session: AsyncSession, clock: Clock, patient_id: int, reason: str = PromptStatus.CANCELLED
) -> int:
    """Stop a patient's prompts that have not been released yet."""
    result = await session.execute(
        update(Prompt)
        .where(col(Prompt.patient_id) == patient_id, col(Prompt.status) == PromptStatus.PLANNED)
        .values(status=reason, closed_at=clock.now())
    )
    return cast("CursorResult[Any]", result).rowcount or 0


async def replan_patient(
    session: AsyncSession, clock: Clock, patient: Patient, plan: AftercarePlan,
    horizon: timedelta = HORIZON,
) -> PlanResult:
    """Bring one patient's unreleased prompts in line with their sessions, their settings and
    ``plan`` (the clinic protocol's ``[aftercare]``, docs/clinical.md)."""
    assert patient.id is not None
    result = PlanResult()
    if not is_plannable(patient):
        result.cancelled = await cancel_future(session, clock, patient.id)
        return result
    now = clock.now()
    sessions = (await _sessions_by_patient(session, [patient.id])).get(patient.id, [])
    first = {patient.id: sessions[0].started_at} if sessions else {}
    has_baseline = patient.id in await _baselines(session, [patient.id], first)
    planned = _plan_for(patient, sessions, has_baseline, plan, now, now + horizon)
    modality = {s.id: s.modality for s in sessions}
    existing = {
        (p.instrument, p.slot): p
        for p in (
            await session.execute(
                select(Prompt).where(
                    col(Prompt.patient_id) == patient.id,
                    (col(Prompt.status) == PromptStatus.PLANNED) | col(Prompt.slot).in_([p.slot for p in planned]),
                )
            )
        ).scalars()
    }
    wanted = {(p.instrument, p.slot) for p in planned}
    new_rows = []
    latest_modality = sessions[-1].modality if sessions else None
    for prompt in planned:
        row = _row(patient, prompt, plan, modality.get(prompt.session_id, latest_modality), now)
        current = existing.get((prompt.instrument, prompt.slot))
        if current is None:
            new_rows.append(row)
        elif current.status == PromptStatus.CANCELLED:
            # Planned again (a patient resumed, a session restored): the same slot comes back.
            current.status, current.closed_at = PromptStatus.PLANNED, None
            current.due_at, current.expires_at = prompt.due_at, prompt.expires_at
            current.reminder_due_at = cast("datetime | None", row["reminder_due_at"])
            result.created += 1
        elif current.status == PromptStatus.PLANNED and (current.due_at, current.expires_at) != (
            prompt.due_at, prompt.expires_at
        ):
            current.due_at, current.expires_at = prompt.due_at, prompt.expires_at
            current.reminder_due_at = cast("datetime | None", row["reminder_due_at"])
            result.retimed += 1
    for key, current in existing.items():
        if key not in wanted and current.status == PromptStatus.PLANNED and current.due_at < now + horizon:
            current.status, current.closed_at = PromptStatus.CANCELLED, now
            result.cancelled += 1
    result.created += await _insert_missing(session, new_rows)
    return result


async def extend_plans(
    session: AsyncSession, clock: Clock, plan: AftercarePlan, horizon: timedelta = HORIZON,
    chunk: int = 2000, *, per_clinic: Mapping[int, AftercarePlan] | None = None,
) -> int:
    """Plan the coming ``horizon`` for every plannable patient by their clinic's plan (the clinic
    protocol's ``[aftercare]``, from ``per_clinic``; ``plan`` for a clinic it does not name):
    inserts only what is missing.

    Works in chunks of patients with a handful of queries each, so a clinic network of a hundred
    thousand patients is planned in seconds, not one patient at a time.
    """
    now = clock.now()
    created = 0
    last_id = 0
    while True:
        patients = list(
            (
                await session.execute(
                    select(Patient).where(col(Patient.id) > last_id, col(Patient.status) == PatientStatus.ACTIVE)
                    .order_by(col(Patient.id)).limit(chunk)
                )
            ).scalars()
        )
        if not patients:
            return created
        last_id = patients[-1].id or last_id
        plannable = [p for p in patients if p.id is not None and is_plannable(p)]
        ids = [p.id for p in plannable if p.id is not None]
        sessions = await _sessions_by_patient(session, ids)
        firsts = {pid: rows[0].started_at for pid, rows in sessions.items() if rows}
        baselines = await _baselines(session, ids, firsts)
        rows: list[dict[str, object]] = []
        for patient in plannable:
            plan_of = per_clinic.get(patient.clinic_id, plan) if per_clinic else plan
            own = sessions.get(patient.id or 0, [])
            modality = {s.id: s.modality for s in own}
            latest = own[-1].modality if own else None
            timing = timing_of(patient)
            for planned in _plan_for(patient, own, patient.id in baselines, plan_of, now, now + horizon, timing):
                rows.append(_row(patient, planned, plan_of, modality.get(planned.session_id, latest), now, timing))
        created += await _insert_missing(session, rows)
        session.expunge_all()



