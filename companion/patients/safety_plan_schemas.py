"""What the safety plan routes read and answer (docs/clinical.md, "The safety plan")."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from companion.clinical.safety_plan import Contact, SafetyPlanContent
from companion.validation import MAX_ROW_ID


class SafetyPlanWrite(SafetyPlanContent):
    """A whole plan, as the writer has it now: every save is a new version, nothing is merged.

    ``based_on`` is the version the writer's copy began from (absent or null: no plan yet), so a
    save over someone else's newer version is told (``saved_over``) rather than refused: what the
    patient wrote offline is never lost. ``client_ref``, made on the patient's device, makes a
    save sent twice count once."""

    based_on: int | None = Field(default=None, ge=0, le=MAX_ROW_ID)
    client_ref: str | None = Field(default=None, min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")


class CrisisLineRead(BaseModel):
    name: str
    call: str
    text: str | None


class SavedByRead(BaseModel):
    kind: Literal["patient", "staff"]
    staff_id: int | None  # for a save by a staff member
    name: str | None  # the staff member's name; None for the patient


class SafetyPlanRead(BaseModel):
    """The patient's current plan. ``version`` is None while no plan is saved (every section
    empty); ``crisis_lines`` are listed with section 5 always, whatever the plan says."""

    patient_id: int
    version: int | None
    warning_signs: list[str]
    coping_strategies: list[str]
    distractions: list[Contact]
    people_to_ask: list[Contact]
    professionals: list[Contact]
    safe_environment: list[str]
    reason_for_living: str | None
    crisis_lines: list[CrisisLineRead]
    saved_at: datetime | None
    saved_by: SavedByRead | None


class SafetyPlanSaved(SafetyPlanRead):
    """The plan as stored by a save. ``repeated``: the same save (its ``client_ref``) had arrived
    before and nothing new was stored. ``saved_over``: the newest version someone else saved after
    the one this save began from, which this save now follows (it stays in the history)."""

    repeated: bool
    saved_over: int | None


class SafetyPlanVersionsPage(BaseModel):
    """Every saved version, newest first (GET /api/v1/patients/{id}/safety-plan/versions)."""

    items: list[SafetyPlanRead]
    total: int
    limit: int
    offset: int
