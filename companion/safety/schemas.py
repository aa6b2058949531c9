from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from companion.schemas import RequestModel


class AlertResolve(RequestModel):
    note: str = Field(min_length=3, max_length=4000)


class ItemRead(BaseModel):
    """One question of a check-in with the patient's answer."""

    number: int  # its place in the instrument, from 1
    key: str
    question: str  # the wording the instrument asks it with
    state: Literal["answered", "skipped", "unanswered", "not_asked"]  # not_asked: the skip rules left it out
    value: Any = None
    label: str | None = None  # the answer in words ("Yes", "Nearly every day", "7 of 10")


class CheckInAnswers(BaseModel):
    """A check-in read back for staff: the instrument, every question in order, the score."""

    id: int
    patient_id: int
    instrument: str
    title: str
    instrument_version: str
    source: str
    status: str
    started_at: datetime
    completed_at: datetime | None
    total: int | None
    band: str | None
    flags: list[str]
    items: list[ItemRead]


class MessageWords(BaseModel):
    """The patient's message, in their words."""

    id: int
    text: str
    received_at: datetime


class FindingEvidence(BaseModel):
    """What raised one finding of an alert: the patient's message, the check-in with every answer,
    or why neither can be shown (a protocol rule such as missed check-ins, an older record)."""

    rule_id: str | None
    reply_key: str | None
    kind: Literal["message", "checkin", "none"]
    message: MessageWords | None = None  # an SMS (a check-in answered by SMS has both)
    checkin: CheckInAnswers | None = None
    note: str | None = None  # for kind "none": why nothing is shown


class AlertRead(BaseModel):
    id: int
    patient_id: int
    patient_reference: str
    kind: str
    severity: str
    status: str
    ack_code: str
    protocol_version: str
    protocol_version_id: int | None = None  # the clinic's stored version (None: the seed file)
    opened_at: datetime
    age_minutes: int
    step: str | None
    next_step_at: datetime | None
    escalation_end_reason: str | None
    findings: list[dict[str, Any]]
    acknowledged_at: datetime | None
    acknowledged_by: int | None
    resolved_at: datetime | None
    resolved_by: int | None
    resolution_note: str | None
    acknowledged_by_name: str | None = None  # who acknowledged and resolved, by name
    resolved_by_name: str | None = None
    # What the caller may do under the protocol's [permissions]; the API enforces it either way.
    may_acknowledge: bool = True
    may_resolve: bool = True
    permission_note: str | None = None  # who may, when the caller may not (for the dashboard)
    # One per finding, in the same order: in GET /api/v1/alerts/{id} (an audited read); null in the list.
    evidence: list[FindingEvidence] | None = None


class AlertEventRead(BaseModel):
    """One moment of an alert's story (GET /api/v1/alerts/{id}/events)."""

    at: datetime
    # raised, finding, reescalated, safety_reply, step, page, acknowledged, resolved, escalation_ended,
    # patient_opted_out (and any other recorded change of the alert)
    kind: str
    text: str  # in words, people named
    by: str | None = None  # who: a staff member's name, or "the companion"; for a page, who was paged
    status: str | None = None  # a page's or a safety reply's delivery status, from the status callbacks
    detail: dict[str, Any] = {}
    # For a finding: what raised it, the patient's words or every answer of the check-in.
    words: str | None = None  # the patient's message, quoted as sent
    answers: list[ItemRead] | None = None  # the check-in's questions and answers, in order
    evidence: FindingEvidence | None = None
