"""The protocol file's shape: strict pydantic models (unknown keys and wrong types refuse), with the
validators of names, email addresses, on-call targets, opening hours, date-times and ranges."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict

from companion.clinical.escalation import Target
from companion.clinical.permissions import STAFF_ROLES, PermissionsSpec
from companion.clinical.protocol.wording import DEFAULT_MEDICAL_REPLY, DEFAULT_NOT_EMERGENCY, DEFAULT_SAFETY_REPLY
from companion.clinical.rota import Handoff, OpeningHours, parse_hhmm, zone

MAX_WAIT_MINUTES = 24 * 60
"""A chain step waits at least a minute and at most a day."""

MAX_REPEAT = 10

_NAME = re.compile(r"[a-z][a-z0-9_]*")
_EMAIL = re.compile(r"[^@\s:]+@[^@\s:]+\.[^@\s:]+")
_STAFF_ID = re.compile(r"[0-9]+")


def _between(low: int, high: int) -> Callable[[int], int]:
    def check(value: int) -> int:
        if not low <= value <= high:
            raise ValueError(f"must be between {low} and {high}")
        return value

    return check


def _name(value: str) -> str:
    if not _NAME.fullmatch(value):
        raise ValueError(f"{value!r} is not a name (lower-case letters, digits and _, starting with a letter)")
    return value


def _email(value: str) -> str:
    if not _EMAIL.fullmatch(value):
        raise ValueError(f"{value!r} is not an email address")
    return value


def _timezone(value: str) -> str:
    zone(value)
    return value


def _target(value: str) -> str:
    target = Target.parse(value)
    if target.kind == "oncall":
        _name(target.value)
    elif target.kind == "role" and target.value not in STAFF_ROLES:
        raise ValueError(f"unknown role {target.value!r} (roles: {', '.join(STAFF_ROLES)})")
    elif target.kind == "care_team" and target.value != "patient":
        raise ValueError("the care team target is written care_team:patient")
    elif target.kind == "staff" and not (_EMAIL.fullmatch(target.value) or _STAFF_ID.fullmatch(target.value)):
        raise ValueError(f"a staff target names an email address or a staff id, got {target.value!r}")
    return value


def _opening(value: list[str]) -> list[str]:
    if len(value) != 2:
        raise ValueError('write the opening and closing times, e.g. ["09:00", "17:00"]')
    OpeningHours(parse_hhmm(value[0]), parse_hhmm(value[1], allow_day_end=True))
    return value


def _handoff(value: str) -> str:
    Handoff.parse(value)
    return value


def _iso_datetime(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError as exc:
            raise ValueError(f"{value!r} is not an ISO date-time") from exc
    return value


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("needs a UTC offset, e.g. 2026-05-01T09:00:00-04:00")
    return value


Name = Annotated[str, AfterValidator(_name)]
Email = Annotated[str, AfterValidator(_email)]
TargetText = Annotated[str, AfterValidator(_target)]
WaitMinutes = Annotated[int, AfterValidator(_between(1, MAX_WAIT_MINUTES))]
Repeat = Annotated[int, AfterValidator(_between(1, MAX_REPEAT))]
Opening = Annotated[list[str], AfterValidator(_opening)]
AwareDateTime = Annotated[datetime, BeforeValidator(_iso_datetime), AfterValidator(_aware)]
DelayMinutes = Annotated[int, AfterValidator(_between(0, 2 * 24 * 60))]
DayCount = Annotated[int, AfterValidator(_between(0, 365))]
EveryDays = Annotated[int, AfterValidator(_between(1, 90))]
ReminderMinutes = Annotated[int, AfterValidator(_between(1, 24 * 60))]
ExpiryHours = Annotated[int, AfterValidator(_between(1, 14 * 24))]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class WordingSpec(_Spec):
    safety_reply: str = DEFAULT_SAFETY_REPLY
    medical_reply: str = DEFAULT_MEDICAL_REPLY
    not_emergency: str = DEFAULT_NOT_EMERGENCY
    clinic_number: str | None = None


class BusinessHoursSpec(_Spec):
    timezone: Annotated[str, AfterValidator(_timezone)] | None = None
    mon: Opening | None = None
    tue: Opening | None = None
    wed: Opening | None = None
    thu: Opening | None = None
    fri: Opening | None = None
    sat: Opening | None = None
    sun: Opening | None = None


class OverrideSpec(_Spec):
    staff: Email
    start: AwareDateTime
    end: AwareDateTime


class RotaSpec(_Spec):
    rotation: list[Email]
    handoff: Annotated[str, AfterValidator(_handoff)] = "mon 09:00"
    overrides: list[OverrideSpec] = []


class StepSpec(_Spec):
    notify: list[TargetText]
    wait_minutes: WaitMinutes
    after_hours_notify: list[TargetText] | None = None
    via: Literal["sms", "voice", "both"] = "sms"


class ChainSpec(_Spec):
    repeat: Repeat = 1
    repeat_from: int = 0
    steps: list[StepSpec] = []


class RuleSpec(_Spec):
    id: str
    kind: str
    severity: Literal["urgent", "high", "routine"]
    chain: str
    params: dict[str, Any] = {}
    safety_reply: Literal["safety", "medical", "none"] | None = None


class AftercareSpec(_Spec):
    """Every key is optional: ``default`` falls back to the built-in defaults (docs/clinical.md), a
    modality to the clinic's ``default``."""

    post_session_delay_minutes: DelayMinutes | None = None
    daily_mood_days: DayCount | None = None
    phq9_every_days: EveryDays | None = None
    gad7_every_days: EveryDays | None = None
    phq9_before_session: bool | None = None
    maintenance_after_days: DayCount | None = None
    maintenance_every_days: EveryDays | None = None
    maintenance_until_days: DayCount | None = None
    reminder_after_minutes: ReminderMinutes | None = None
    questionnaire_expiry_hours: ExpiryHours | None = None


class ProtocolSpec(_Spec):
    version: str
    wording: WordingSpec = WordingSpec()
    business_hours: BusinessHoursSpec
    rota: dict[str, RotaSpec] = {}
    chains: dict[str, ChainSpec]
    rules: list[RuleSpec]
    aftercare: dict[str, AftercareSpec] = {}
    permissions: PermissionsSpec = PermissionsSpec()
