"""Two weeks in the demo clinic: what its three patients and its clinician do, day by day.

Alex (P-1001) answers by SMS and improves (a response); Sam (P-1002) answers in the app and
improves most; Jordan (P-1003) answers by SMS, misses a few days and one evening writes something
worrying. Alex's first post-session check reports a red flag: a medical alert the clinician
acknowledges and resolves with a note; Jordan's message opens a safety alert the clinician
acknowledges and leaves open for follow-up. Sam leaves today's check-in for today.

The moments are data (``Moment``) and the answers a pure choice per question; `companion demo`
plays them through the scheduler's jobs on a frozen clock (jobs/replay.py), so every row the
dashboard shows was made by the code that runs a clinic."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from companion.auth.principals import PatientPrincipal, StaffPrincipal
from companion.checkins import submissions
from companion.checkins.schemas import CheckInSubmit
from companion.checkins.services import pending_prompts
from companion.clinical.instruments import INSTRUMENTS
from companion.clinical.instruments.questions import AnswerType, AnswerValue, Question
from companion.clock import Clock
from companion.models import Patient, StaffMember
from companion.protocols import ProtocolSource
from companion.safety import acknowledgements
from companion.safety.alerts import open_alerts_of
from companion.treatments.schemas import Modality, TreatmentSessionCreate
from companion.treatments.services import record_session

DAYS = 14
CLINICIAN_EMAIL = "clinician@demo.clinic"


@dataclass(frozen=True)
class Persona:
    reference: str
    timezone: str
    modality: Modality
    by_sms: bool  # answers the texts; otherwise checks in from the app
    severity_from: float  # how unwell, 0 to 1, on the first day ...
    severity_to: float  # ... and on the last
    session_days: tuple[int, ...]
    missed_days: tuple[int, ...] = ()


PERSONAS: dict[str, Persona] = {
    "P-1001": Persona("P-1001", "America/New_York", "iv", True, 0.70, 0.30, (1, 8)),
    "P-1002": Persona("P-1002", "America/Chicago", "intranasal", False, 0.62, 0.18, (2, 9), missed_days=(14,)),
    "P-1003": Persona("P-1003", "America/Los_Angeles", "oral", True, 0.55, 0.45, (3, 10), missed_days=(5, 6)),
}
DOSE_MG: dict[str, float] = {"iv": 35.0, "intranasal": 84.0, "oral": 150.0}
WORRYING_TEXT = "rough few days. some nights i think everyone would be better off without me"
RED_FLAG_NOTE = ("Called Alex: the chest tightness eased within the hour and vitals at the clinic "
                 "check were normal. No ER visit needed; next session at the same dose.")

Act = Callable[[AsyncSession], Awaitable[object]]


@dataclass(frozen=True)
class Moment:
    at: datetime
    act: Act | None = None
    sms_from: str | None = None
    sms_body: str = ""


def _jitter(*parts: object) -> int:
    """-1, 0, 0 or 1, the same every run for the same parts."""
    digest = hashlib.sha256(":".join(map(str, parts)).encode()).digest()
    return (-1, 0, 0, 1)[digest[0] % 4]


def _severity(persona: Persona, day: float) -> float:
    share = min(max(day / DAYS, 0.0), 1.0)
    return persona.severity_from + (persona.severity_to - persona.severity_from) * share


def answer(persona: Persona, question: Question, day: float) -> AnswerValue | None:
    """What this patient answers to ``question`` on ``day`` (days since enrolment); None: skipped."""
    severity, wobble = _severity(persona, day), _jitter(persona.reference, question.key, int(day))
    if question.answer_type is AnswerType.YESNO:
        # home safely: yes; the red-flag question: Alex's first check after a session says yes
        if question.key == "home_safely":
            return True
        return question.key == "red_flags" and persona.reference == "P-1001" and day < persona.session_days[1]
    if question.answer_type is AnswerType.CHOICE:
        values = sorted(choice.value for choice in question.choices)
        if question.key.endswith("_9"):  # thoughts of being better off dead: never on a scale here
            return values[0]
        if len(values) == 3:  # side effects: mild dizziness or dissociation after a session
            return 1 if question.key in {"dizziness", "dissociation"} and wobble >= 0 else 0
        return min(max(round(severity * values[-1] + 0.3 * wobble), values[0]), values[-1])
    if question.answer_type is AnswerType.SCALE:
        low, high = int(question.min or 0), int(question.max or 10)
        level = severity if question.key == "anxiety" else 1 - severity
        return min(max(round(low + level * (high - low)) + wobble, low), high)
    if question.answer_type is AnswerType.NUMBER:
        return 7.5 - severity * 2 + wobble * 0.5
    return None  # free text: left empty


def _sms_text(value: AnswerValue) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return f"{value:g}" if isinstance(value, float) else str(value)


_BY_SMS_TEXT: dict[str, Question] = {
    question.sms_text: question for instrument in INSTRUMENTS.values() for question in instrument.questions
}


class History:
    """The demo clinic's two weeks, from ``start``, under the clinic's protocol."""

    def __init__(self, start: datetime, protocols: ProtocolSource, clock: Clock) -> None:
        self.start = start
        self.protocols = protocols
        self.clock = clock

    def day_of(self, at: datetime) -> float:
        return (at - self.start).total_seconds() / 86400

    def _local(self, persona: Persona, day: int, at: time) -> datetime:
        first = self.start.astimezone(ZoneInfo(persona.timezone)).date()
        return datetime.combine(first + timedelta(days=day), at, tzinfo=ZoneInfo(persona.timezone))

    def answer_sms(self, reference: str, at: datetime, body: str) -> str | None:
        """The patient's reply to a text of ours, or None when they do not reply."""
        persona = PERSONAS.get(reference)
        if persona is None or not persona.by_sms or int(self.day_of(at)) in persona.missed_days:
            return None
        question = next((q for text, q in _BY_SMS_TEXT.items() if text in body), None)
        if question is None:
            return None
        value = answer(persona, question, self.day_of(at))
        return None if value is None else _sms_text(value)

    def moments(self, until: datetime) -> list[Moment]:
        moments: list[Moment] = []
        for persona in PERSONAS.values():
            for day in persona.session_days:
                ended = self._local(persona, day, time(11, 40))
                moments.append(Moment(ended, act=self._session(persona, ended)))
            if not persona.by_sms:
                for day in range(DAYS + 1):
                    if day not in persona.missed_days:
                        for at in (time(10, 25), time(17, 5)):
                            moments.append(Moment(self._local(persona, day, at), act=self._app_checkins(persona)))
        jordan = PERSONAS["P-1003"]
        worrying = self._local(jordan, 11, time(19, 40))
        moments += [
            Moment(worrying, sms_from="+12025550103", sms_body=WORRYING_TEXT),
            Moment(worrying + timedelta(minutes=9), act=self._acknowledge("P-1003", None)),
        ]
        alex = PERSONAS["P-1001"]
        # the post-session check comes three hours after the session (the default plan) and is
        # answered within the hour; the clinician, paged meanwhile, calls and then writes it up
        after_first = self._local(alex, alex.session_days[0], time(11, 40)) + timedelta(minutes=230)
        moments += [
            Moment(after_first, act=self._acknowledge("P-1001", None)),
            Moment(after_first + timedelta(minutes=50), act=self._acknowledge("P-1001", RED_FLAG_NOTE)),
        ]
        return sorted((m for m in moments if m.at < until), key=lambda m: m.at)

    def _session(self, persona: Persona, ended: datetime) -> Act:
        async def act(session: AsyncSession) -> object:
            patient, staff = await _patient(session, persona.reference), await _clinician(session)
            assert patient.id is not None
            plan = (await self.protocols.for_clinic(session, patient.clinic_id)).aftercare
            started = ended - timedelta(minutes=100)
            return await record_session(
                session, self.clock, plan, staff, patient.id,
                TreatmentSessionCreate(modality=persona.modality, started_at=started, ended_at=ended,
                                       dose_mg=DOSE_MG[persona.modality], location="Demo Clinic, Room 2"),
            )
        return act

    def _app_checkins(self, persona: Persona) -> Act:
        async def act(session: AsyncSession) -> object:
            patient = await _patient(session, persona.reference)
            assert patient.id is not None
            principal = PatientPrincipal(patient_id=patient.id, clinic_id=patient.clinic_id)
            protocol = await self.protocols.for_clinic(session, patient.clinic_id)
            day = self.day_of(self.clock.now())
            for prompt in await pending_prompts(session, self.clock, patient.id):
                answers = {q.key: value for q in INSTRUMENTS[prompt.instrument].questions
                           if (value := answer(persona, q, day)) is not None}
                await submissions.submit(session, self.clock, protocol, principal,
                                         CheckInSubmit(instrument=prompt.instrument, answers=answers,
                                                       prompt_id=prompt.id))
            return None
        return act

    def _acknowledge(self, reference: str, resolve_note: str | None) -> Act:
        """The clinician acknowledges the patient's open alerts (or resolves them with the note)."""
        async def act(session: AsyncSession) -> object:
            patient, staff = await _patient(session, reference), await _clinician(session)
            assert patient.id is not None
            protocol = await self.protocols.for_clinic(session, patient.clinic_id)
            for alert in await open_alerts_of(session, patient.id):
                assert alert.id is not None
                if resolve_note is None:
                    await acknowledgements.acknowledge(session, self.clock, protocol, staff, alert.id)
                else:
                    await acknowledgements.resolve(session, self.clock, protocol, staff, alert.id, resolve_note)
            return None
        return act


async def _patient(session: AsyncSession, reference: str) -> Patient:
    return (await session.execute(select(Patient).where(col(Patient.reference) == reference))).scalar_one()


async def _clinician(session: AsyncSession) -> StaffPrincipal:
    member = (await session.execute(
        select(StaffMember).where(col(StaffMember.email) == CLINICIAN_EMAIL))).scalar_one()
    assert member.id is not None
    return StaffPrincipal(staff_id=member.id, clinic_id=member.clinic_id, role=member.role)
