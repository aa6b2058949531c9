"""The stored vocabularies (the StrEnums next to the models) agree with the types that spell the same
values elsewhere: the API's Literal types and the clinical core's, which cannot import the models."""

from __future__ import annotations

from enum import StrEnum
from typing import get_args, get_type_hints

import pytest
from sqlalchemy import Enum
from sqlmodel import SQLModel
from sqlmodel.sql.sqltypes import AutoString

from companion.clinical import escalation, permissions
from companion.clinical.instruments import questions
from companion.clinical.rules import params
from companion.messaging import policy
from companion.models import (
    AlertSeverity,
    AttemptOutcome,
    EscalationEndReason,
    MessageStatus,
    OutboundMessage,
    PatientChannel,
    PatientStatus,
    PromptChannel,
    StaffRole,
    TreatmentModality,
)
from companion.models.base import table_of
from companion.patients import schemas as patient_schemas
from companion.staff import schemas as staff_schemas
from companion.treatments import schemas as treatment_schemas


def _values(enum: type[StrEnum]) -> set[str]:
    return {member.value for member in enum}


@pytest.mark.parametrize(
    ("enum", "literal"),
    [
        (PatientChannel, patient_schemas.Channel),
        (PatientStatus, patient_schemas.PatientStatus),
        (StaffRole, staff_schemas.Role),
        (TreatmentModality, treatment_schemas.Modality),
        (AlertSeverity, permissions.Severity),
        (AlertSeverity, params.RuleSeverity),
        (EscalationEndReason, escalation.StopReason),
        (PromptChannel, questions.Channel),
    ],
)
def test_enum_matches_the_literal_spelling_the_same_values(enum: type[StrEnum], literal: object) -> None:
    assert _values(enum) == set(get_args(literal))


def test_staff_roles_of_the_clinical_core_are_the_stored_roles() -> None:
    assert set(permissions.STAFF_ROLES) == _values(StaffRole)


def test_every_send_policy_decision_is_an_attempt_outcome() -> None:
    actions = get_args(get_type_hints(policy.Decision)["action"])
    assert set(actions) | {"accepted"} == _values(AttemptOutcome)


def test_every_ranked_provider_status_is_a_message_status() -> None:
    assert set(policy.STATUS_RANK) <= _values(MessageStatus)


def test_the_columns_stay_plain_strings() -> None:
    """No SQL enum type: the enums leave the tables as the migrations made them."""
    for table in SQLModel.metadata.tables.values():
        assert not [column.name for column in table.c if isinstance(column.type, Enum)], table.name
    status = table_of(OutboundMessage).c.status
    assert isinstance(status.type, AutoString) and status.type.length == 16
