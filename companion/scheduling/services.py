"""Planning prompts as rows: re-plan one patient after a change, or extend every plan nightly.

Planning is idempotent: a prompt is unique per patient, instrument and slot, so writing the same
plan twice inserts nothing new. A change (a session recorded, moved or cancelled; a new time zone
or preferred time) re-times the prompts not yet released and cancels those no longer planned.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any, Protocol, cast
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, CursorResult, Integer, any_, bindparam, select, update
from sqlalchemy.dialects.postgresql import ARRAY
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
from companion.db_unnest import arrays, unnest_insert
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


class PlannedPatient(Protocol):
    """What planning reads of a patient: a :class:`Patient`, or a :class:`PatientTimingRow` read
    column by column for a whole chunk (no ORM objects to build and track)."""

    @property
    def id(self) -> int | None: ...
    @property
    def clinic_id(self) -> int: ...
    @property
    def status(self) -> str: ...
    @property
    def channel(self) -> str: ...
    @property
    def sms_consent(self) -> str: ...
    @property
    def timezone(self) -> str: ...
    @property
    def preferred_checkin_time(self) -> time: ...
    @property
    def quiet_start(self) -> time: ...
    @property
    def quiet_end(self) -> time: ...


@dataclass(frozen=True, slots=True)
class PatientTimingRow:
    """The columns of a patient that planning reads, as :func:`extend_plans` selects them."""

    id: int
    clinic_id: int
    status: str
    channel: str
    sms_consent: str
    timezone: str
    preferred_checkin_time: time
    quiet_start: time
    quiet_end: time


def is_plannable(patient: PlannedPatient) -> bool:
    """Paused and discharged patients get no prompts; an SMS-only patient who has not opted in
    neither (one who opted out, or a new patient who has not replied YES to the welcome). A patient
    who also uses the app is asked there meanwhile (docs/sms.md, "Consent")."""
    if patient.status != PatientStatus.ACTIVE:
        return False
    return not (patient.channel == PatientChannel.SMS and patient.sms_consent != SmsConsent.OPTED_IN)


def timing_of(patient: PlannedPatient) -> PatientTiming:
    return PatientTiming(
        tz=ZoneInfo(patient.timezone),
        preferred_time=patient.preferred_checkin_time,
        quiet=QuietHours(patient.quiet_start, patient.quiet_end),
    )


def _plan_for(
    patient: PlannedPatient, sessions: Sequence[SessionInfo], has_baseline: bool, plan: AftercarePlan,
    start: datetime, end: datetime, timing: PatientTiming | None = None,
) -> list[PlannedPrompt]:
    recorded = [s for s in sessions if s.started_at <= start]
    upcoming = [s for s in sessions if s.started_at > start]
    return plan_prompts(recorded, upcoming, plan, timing or timing_of(patient), start, end, has_baseline)


def _row(patient: PlannedPatient, planned: PlannedPrompt, plan: AftercarePlan, modality: str | None,
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

    On PostgreSQL the whole chunk is one ``INSERT ... SELECT FROM unnest(...)`` with a column array
    per field (one round trip, no per-row parameter processing); elsewhere one statement executed
    with every row as a parameter set (SQLAlchemy sends them as multi-row INSERTs).
    """
    if not rows:
        return 0
    if session.get_bind().dialect.name == "postgresql":
        columns, params = arrays(table_of(Prompt), rows, _PROMPT_COLUMNS)
        unnest = unnest_insert(table_of(Prompt), columns, on_conflict="(patient_id, instrument, slot) DO NOTHING")
        result = await session.execute(unnest, params)
        return cast("CursorResult[Any]", result).rowcount or 0
    table = table_of(Prompt)
    statement = (
        sqlite_insert(table)
        .on_conflict_do_nothing(index_elements=["patient_id", "instrument", "slot"])
        .returning(table.c.id)
    )
    return len((await session.execute(statement, rows)).all())


# Each column of a planned prompt row, in the INSERT's order.
_PROMPT_COLUMNS = (
    "clinic_id", "patient_id", "instrument", "instrument_version", "slot", "session_id", "status",
    "due_at", "expires_at", "reminder_due_at", "invalid_replies", "created_at",
)


def _among(session: AsyncSession, column: Any, ids: list[int]) -> ColumnElement[bool]:
    """``column IN ids``; on PostgreSQL one array parameter, so a chunk's two thousand ids are not
    expanded into two thousand parameters of a statement compiled anew for each chunk."""
    if session.get_bind().dialect.name == "postgresql":
        return cast("ColumnElement[bool]", column == any_(bindparam("ids", ids, type_=ARRAY(Integer))))
    return cast("ColumnElement[bool]", column.in_(ids))


async def _sessions_by_patient(session: AsyncSession, patient_ids: list[int]) -> dict[int, list[SessionInfo]]:
    """The patients' sessions not cancelled, each patient's in order of start (columns, not ORM objects)."""
    T = table_of(TreatmentSession)
    rows = await session.execute(
        select(T.c.patient_id, T.c.id, T.c.started_at, T.c.ended_at, T.c.modality)
        .where(_among(session, T.c.patient_id, patient_ids), T.c.cancelled_at.is_(None))
        .order_by(T.c.started_at)
    )
    grouped: dict[int, list[SessionInfo]] = defaultdict(list)
    for patient_id, session_id, started_at, ended_at, modality in rows.all():
        grouped[patient_id].append(SessionInfo(session_id or 0, started_at, ended_at, modality))
    return grouped


async def _baselines(
    session: AsyncSession, patient_ids: list[int], first_session: dict[int, datetime]
) -> set[int]:
    """Patients with a complete PHQ-9 before their first session (or at all, with no session)."""
    rows = await session.execute(
        select(col(CheckIn.patient_id), col(CheckIn.completed_at)).where(
            _among(session, col(CheckIn.patient_id), patient_ids),
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
    modality: dict[int | None, str] = {s.id: s.modality for s in sessions}
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

    Works in chunks of patients with a handful of queries each, reading columns rather than ORM
    objects and writing each chunk in one statement, so the run is linear in the patients and holds
    one chunk in memory at a time (a million patients are planned in minutes: benchmarks/README.md).
    """
    now = clock.now()
    created = 0
    last_id = 0
    P = table_of(Patient)
    while True:
        patients = [
            PatientTimingRow(*row)
            for row in (
                await session.execute(
                    select(P.c.id, P.c.clinic_id, P.c.status, P.c.channel, P.c.sms_consent, P.c.timezone,
                           P.c.preferred_checkin_time, P.c.quiet_start, P.c.quiet_end)
                    .where(P.c.id > last_id, P.c.status == PatientStatus.ACTIVE)
                    .order_by(P.c.id).limit(chunk)
                )
            ).all()
        ]
        if not patients:
            return created
        last_id = patients[-1].id
        plannable = [p for p in patients if is_plannable(p)]
        ids = [p.id for p in plannable]
        sessions = await _sessions_by_patient(session, ids)
        firsts = {pid: rows[0].started_at for pid, rows in sessions.items() if rows}
        baselines = await _baselines(session, ids, firsts)
        rows: list[dict[str, object]] = []
        for patient in plannable:
            plan_of = per_clinic.get(patient.clinic_id, plan) if per_clinic else plan
            own = sessions.get(patient.id, [])
            modality: dict[int | None, str] = {s.id: s.modality for s in own}
            latest = own[-1].modality if own else None
            timing = timing_of(patient)
            for planned in _plan_for(patient, own, patient.id in baselines, plan_of, now, now + horizon, timing):
                rows.append(_row(patient, planned, plan_of, modality.get(planned.session_id, latest), now, timing))
        created += await _insert_missing(session, rows)
