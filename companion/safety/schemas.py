from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from companion.schemas import RequestModel


class AlertResolve(RequestModel):
    note: str = Field(min_length=3, max_length=4000)


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
