from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from companion.schemas import RequestModel, RowId


class ChoiceRead(BaseModel):
    value: int
    label: str


class AskIfRead(BaseModel):
    """Ask the question only when the earlier question ``key`` was answered ``equals``."""

    key: str
    equals: int | bool


class QuestionRead(BaseModel):
    key: str
    text: str
    answer_type: str
    min: float | None
    max: float | None
    choices: list[ChoiceRead]
    optional: bool
    ask_if: AskIfRead | None = None


class PromptRead(BaseModel):
    id: int
    instrument: str
    title: str
    intro: str | None
    due_at: datetime
    expires_at: datetime
    questions: list[QuestionRead]
    answered: dict[str, Any]


class CheckInSubmit(RequestModel):
    instrument: str = Field(min_length=1, max_length=16)
    answers: dict[str, Any] = Field(min_length=1, max_length=40)
    prompt_id: RowId | None = None
    client_ref: str | None = Field(default=None, min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")


class CheckInRead(BaseModel):
    id: int
    instrument: str
    status: str
    source: str
    prompt_id: int | None
    started_at: datetime
    completed_at: datetime | None
    total: int | None
    band: str | None
    flags: list[str]
    answers: dict[str, Any]


class Notice(BaseModel):
    """What the app shows at the top of the confirmation: the clinic's safety reply (988) for a
    risk finding, its medical reply (911) for post-session red flags, or nothing (both null)."""

    kind: Literal["safety", "medical"] | None = None
    text: str | None = None


class CheckInSubmitted(CheckInRead):
    """A submitted check-in, with what the patient is told about it."""

    notice: Notice


class SessionMark(BaseModel):
    date: date
    started_at: datetime


class QuestionnaireTrend(BaseModel):
    """A questionnaire's course in the patient's words (clinical/trend_words.py)."""

    instrument: str
    text: str


class UpcomingCheckin(BaseModel):
    instrument: str
    title: str  # what the patient reads (Instrument.title_for_patient)
    due_at: datetime


class UpcomingSession(BaseModel):
    started_at: datetime
    modality: str
    location: str | None


class Upcoming(BaseModel):
    """What comes next for the patient: sessions not yet held, check-ins planned for the next week."""

    sessions: list[UpcomingSession]
    checkins: list[UpcomingCheckin]


class PatientHistory(BaseModel):
    checkins: list[CheckInRead]
    sessions: list[SessionMark]
    trends: list[QuestionnaireTrend] = []


class CrisisResources(BaseModel):
    text: str
    not_emergency: str
    resources: list[dict[str, str]]


class ClinicCrisis(CrisisResources):
    """The crisis resources with the patient's clinic's own wording: ``safety_reply`` (988) and
    ``medical_reply`` (911), the texts the crisis card and the medical card show."""

    safety_reply: str
    medical_reply: str


class LinkRedeem(RequestModel):
    token: str = Field(min_length=5, max_length=120)


class MoodTrend(BaseModel):
    latest: int | None
    baseline: float | None
    points: list[tuple[datetime, int]]


class QuestionnaireSummary(BaseModel):
    baseline: int | None
    latest: int | None
    latest_band: str | None
    response: bool | None
    remission: bool | None


class TimelineSession(BaseModel):
    id: int
    modality: str
    started_at: datetime
    ended_at: datetime | None


class Timeline(BaseModel):
    patient_id: int
    reference: str
    sessions: list[TimelineSession]
    checkins: list[CheckInRead]
    mood: MoodTrend
    phq9: QuestionnaireSummary
    gad7: QuestionnaireSummary
    missed_checkins: int
