"""The clinic's safety protocol and aftercare plan: one TOML file, parsed into strict models.

The file's shape is documented at the top of ``companion/protocols/default.toml``. Loading is
all or nothing: an unknown key anywhere, a reference to something that is not defined (a rule's
chain, a step's on-call position), a duplicate rule id, an unknown time zone, a malformed time or
an impossible wait refuses the whole file with a :class:`ProtocolError` that names each place,
as a dotted path with 0-based list indexes::

    rules[3].chain: no chain named 'crisiss' (defined: crisis, medical, same_day, routine)
    chains.crisis.steps[1].wait_minutes: must be between 1 and 1440

The result is a :class:`Protocol`: escalation chains as :class:`~companion.clinical.escalation.Chain`
objects, rules as :class:`~companion.clinical.rules.Rule` objects, the aftercare plan as an
:class:`~companion.clinical.plan.AftercarePlan`, the business hours and the on-call rota. Its
``version`` is stamped on every alert raised under it.

Pure apart from reading the file in :func:`load_protocol`; no clock reads (instants are
parameters).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, ValidationError
from pydantic_core import ErrorDetails

from companion.clinical.escalation import Chain, Step, Target
from companion.clinical.instruments import gsm7_length
from companion.clinical.permissions import STAFF_ROLES, Permissions, PermissionsSpec, describe
from companion.clinical.plan import MODALITIES, AftercarePlan, ModalityPlan
from companion.clinical.rota import (
    WEEKDAYS,
    BusinessHours,
    Handoff,
    OpeningHours,
    Override,
    PositionRota,
    on_duty,
    parse_hhmm,
    zone,
)
from companion.clinical.rules import PARAMS_BY_KIND, RULE_KINDS, Rule

__all__ = [
    "DEFAULT_MEDICAL_REPLY",
    "DEFAULT_NOT_EMERGENCY",
    "DEFAULT_SAFETY_REPLY",
    "MAX_WAIT_MINUTES",
    "SMS_TEXT_MAX_CHARS",
    "STAFF_ROLES",
    "Protocol",
    "ProtocolError",
    "Wording",
    "parse_protocol",
]

DEFAULT_SAFETY_REPLY = (
    "If you are in danger or thinking of harming yourself, call or text 988 (Suicide & Crisis Lifeline) "
    "or call 911. We have alerted your care team."
)
DEFAULT_MEDICAL_REPLY = "If your symptoms are severe, call 911 now. We have alerted your care team."
DEFAULT_NOT_EMERGENCY = "Messages are reviewed during clinic hours; this is not an emergency service."

SMS_TEXT_MAX_CHARS = 320
"""A patient-facing text may take at most two concatenated SMS segments' worth of GSM-7."""

MAX_WAIT_MINUTES = 24 * 60
"""A chain step waits at least a minute and at most a day."""

MAX_REPEAT = 10

_NAME = re.compile(r"[a-z][a-z0-9_]*")
_EMAIL = re.compile(r"[^@\s:]+@[^@\s:]+\.[^@\s:]+")
_STAFF_ID = re.compile(r"[0-9]+")
_PHONE = re.compile(r"\+?[0-9][0-9 ().-]{4,22}[0-9]")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_CLINIC_NUMBER = "clinic_number"


class ProtocolError(ValueError):
    """The protocol file was refused. ``problems`` name each place ("path: what is wrong")."""

    def __init__(self, problems: Sequence[str], source: str = "<string>") -> None:
        self.problems = tuple(problems)
        self.source = source
        super().__init__("\n".join(self.problems))


# --------------------------------------------------------------------------------------------------
# The file's shape (strict: unknown keys and wrong types refuse)


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
    """Every key is optional: ``default`` falls back to the built-in defaults (CLINICAL.md), a
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


# --------------------------------------------------------------------------------------------------
# The loaded protocol


@dataclass(frozen=True)
class Wording:
    """Patient-facing texts, ``{clinic_number}`` already filled in."""

    safety_reply: str = DEFAULT_SAFETY_REPLY
    medical_reply: str = DEFAULT_MEDICAL_REPLY
    not_emergency: str = DEFAULT_NOT_EMERGENCY
    clinic_number: str | None = None

    def reply_for(self, kind: str) -> str | None:
        """The text for a rule's ``safety_reply`` ("safety", "medical"; None for "none")."""
        return {"safety": self.safety_reply, "medical": self.medical_reply}.get(kind)


@dataclass(frozen=True)
class Protocol:
    """A loaded protocol. ``chains`` keep the file's order; ``aftercare`` has a plan for every
    modality (those the file does not name take its default)."""

    version: str
    wording: Wording
    rules: tuple[Rule, ...]
    chains: Mapping[str, Chain]
    rota: Mapping[str, PositionRota]
    business_hours: BusinessHours
    aftercare: AftercarePlan
    source: str = "<string>"
    permissions: Permissions = field(default_factory=Permissions)

    def __post_init__(self) -> None:
        object.__setattr__(self, "chains", MappingProxyType(dict(self.chains)))
        object.__setattr__(self, "rota", MappingProxyType(dict(self.rota)))

    def chain(self, name: str) -> Chain:
        """The chain called ``name`` (KeyError naming the defined chains)."""
        try:
            return self.chains[name]
        except KeyError:
            raise KeyError(f"no chain named {name!r} (defined: {', '.join(self.chains)})") from None

    def rule(self, rule_id: str) -> Rule:
        """The rule with this id (KeyError if there is none)."""
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(f"no rule {rule_id!r}")

    def is_business_hours(self, at: datetime, clinic_tz: str) -> bool:
        """Whether the clinic is open at ``at``. ``clinic_tz`` (IANA) is used when the protocol
        names no time zone of its own."""
        return self.business_hours.is_business_hours(at, clinic_tz)

    def on_duty(self, position: str, at: datetime, clinic_tz: str) -> str | None:
        """The email of whoever holds the on-call ``position`` at ``at``, or None when the protocol
        has no such position (an alert's chain snapshot may name one a later protocol dropped)."""
        rota = self.rota.get(position)
        if rota is None:
            return None
        return on_duty(rota, at, self.business_hours.zone_for(clinic_tz))

    def summary(self) -> str:
        """A readable account of the protocol, for ``companion protocol check``."""
        return "\n".join(_summary_lines(self))


# --------------------------------------------------------------------------------------------------
# Parsing


def parse_protocol(text: str, source: str = "<string>") -> Protocol:
    """Parse protocol TOML ``text``; ``source`` names it in :attr:`Protocol.source` and errors."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProtocolError([f"not valid TOML: {exc}"], source) from exc
    try:
        spec = ProtocolSpec.model_validate(data)
    except ValidationError as exc:
        raise ProtocolError([_problem(error) for error in exc.errors()], source) from None
    problems: list[str] = []
    protocol = _Builder(spec, source, problems).build()
    if problems or protocol is None:
        raise ProtocolError(problems, source)
    return protocol


def _path(loc: Iterable[int | str]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif re.fullmatch(r"[A-Za-z0-9_-]+", part):
            out += f".{part}" if out else part
        else:
            out += f"[{part!r}]"
    return out or "(top level)"


def _problem(error: ErrorDetails, prefix: Sequence[int | str] = ()) -> str:
    path = _path([*prefix, *error["loc"]])
    kind = error["type"]
    if kind == "extra_forbidden":
        message = "unknown key"
    elif kind == "missing":
        message = "required key is missing"
    elif kind == "value_error":
        message = str(error["ctx"]["error"]) if "ctx" in error else error["msg"].removeprefix("Value error, ")
    else:
        message = error["msg"]
        message = message[:1].lower() + message[1:]
    return f"{path}: {message}"


class _Builder:
    """Checks what the shape cannot (names, references, wording) and builds the Protocol."""

    def __init__(self, spec: ProtocolSpec, source: str, problems: list[str]) -> None:
        self.spec = spec
        self.source = source
        self.problems = problems

    def fail(self, path: str, message: str) -> None:
        self.problems.append(f"{path}: {message}")

    def build(self) -> Protocol | None:
        spec = self.spec
        if not spec.version.strip():
            self.fail("version", "must not be empty")
        wording = self.wording()
        hours = self.business_hours()
        rota = self.rota()
        chains = self.chains(rota)
        rules = self.rules(chains)
        aftercare = self.aftercare()
        if self.problems or wording is None or hours is None or aftercare is None:
            return None
        return Protocol(spec.version.strip(), wording, rules, chains, rota, hours, aftercare, self.source,
                        Permissions.from_spec(spec.permissions))

    def wording(self) -> Wording | None:
        spec = self.spec.wording
        number = spec.clinic_number
        ok = True
        if number is not None and not _PHONE.fullmatch(number):
            self.fail("wording.clinic_number", f"{number!r} is not a phone number")
            ok = False
        texts: dict[str, str] = {}
        for key in ("safety_reply", "medical_reply", "not_emergency"):
            rendered = self.sms_text(f"wording.{key}", getattr(spec, key), number)
            if rendered is None:
                ok = False
            else:
                texts[key] = rendered
        if not ok:
            return None
        return Wording(clinic_number=number, **texts)

    def sms_text(self, path: str, text: str, number: str | None) -> str | None:
        names = _PLACEHOLDER.findall(text)
        unknown = sorted({name for name in names if name != _CLINIC_NUMBER})
        if unknown:
            self.fail(path, f"unknown placeholder {{{unknown[0]}}} (the only one is {{{_CLINIC_NUMBER}}})")
            return None
        if names and number is None:
            self.fail(path, f"uses {{{_CLINIC_NUMBER}}} but wording.clinic_number is not set")
            return None
        rendered = text.replace("{" + _CLINIC_NUMBER + "}", number or "")
        if "{" in rendered or "}" in rendered:
            self.fail(path, f"braces are only for the {{{_CLINIC_NUMBER}}} placeholder")
            return None
        if not rendered.strip():
            self.fail(path, "must not be empty")
            return None
        length = gsm7_length(rendered)
        if length is None:
            bad = next(char for char in rendered if gsm7_length(char) is None)
            self.fail(path, f"SMS text must use GSM-7 characters only (found {bad!r})")
            return None
        if length > SMS_TEXT_MAX_CHARS:
            self.fail(path, f"SMS text is {length} characters; at most {SMS_TEXT_MAX_CHARS} are allowed")
            return None
        return rendered

    def business_hours(self) -> BusinessHours | None:
        spec = self.spec.business_hours
        days: dict[int, OpeningHours] = {}
        for index, day in enumerate(WEEKDAYS):
            value = getattr(spec, day)
            if value is not None:
                days[index] = OpeningHours(parse_hhmm(value[0]), parse_hhmm(value[1], allow_day_end=True))
        return BusinessHours(days, spec.timezone)

    def rota(self) -> dict[str, PositionRota]:
        found: dict[str, PositionRota] = {}
        for position, spec in self.spec.rota.items():
            path = f"rota.{position}"
            ok = self.check_name(path, position, "position")
            if not spec.rotation:
                self.fail(f"{path}.rotation", "must name at least one staff email")
                ok = False
            overrides: list[Override] = []
            for index, item in enumerate(spec.overrides):
                if item.end <= item.start:
                    self.fail(f"{path}.overrides[{index}].end", "must be after start")
                    ok = False
                else:
                    overrides.append(Override(item.staff, item.start, item.end))
            if ok:
                found[position] = PositionRota(tuple(spec.rotation), Handoff.parse(spec.handoff), tuple(overrides))
        return found

    def chains(self, rota: Mapping[str, PositionRota]) -> dict[str, Chain]:
        found: dict[str, Chain] = {}
        for name, spec in self.spec.chains.items():
            path = f"chains.{name}"
            ok = self.check_name(path, name, "chain")
            steps: list[Step] = []
            for index, step in enumerate(spec.steps):
                step_path = f"{path}.steps[{index}]"
                notify = self.targets(f"{step_path}.notify", step.notify, rota)
                after_hours = (
                    None
                    if step.after_hours_notify is None
                    else self.targets(f"{step_path}.after_hours_notify", step.after_hours_notify, rota)
                )
                if notify is None or (step.after_hours_notify is not None and after_hours is None):
                    ok = False
                    continue
                steps.append(Step(notify, timedelta(minutes=step.wait_minutes), after_hours))
            if spec.steps and not 0 <= spec.repeat_from < len(spec.steps):
                self.fail(f"{path}.repeat_from", f"must name one of the chain's steps (0 to {len(spec.steps) - 1})")
                ok = False
            elif not spec.steps and spec.repeat_from != 0:
                self.fail(f"{path}.repeat_from", "a chain without steps cannot repeat from a step")
                ok = False
            if ok:
                found[name] = Chain(name, tuple(steps), spec.repeat, spec.repeat_from)
        return found

    def targets(self, path: str, texts: Sequence[str], rota: Mapping[str, PositionRota]) -> tuple[Target, ...] | None:
        if not texts:
            self.fail(path, "must notify someone")
            return None
        ok = True
        targets: list[Target] = []
        for index, text in enumerate(texts):
            target = Target.parse(text)
            if target.kind == "oncall" and target.value not in self.spec.rota:
                defined = ", ".join(self.spec.rota) or "none"
                message = f"no rota for on-call position {target.value!r} (rota defines: {defined})"
                self.fail(f"{path}[{index}]", message)
                ok = False
            targets.append(target)
        if len(set(targets)) != len(targets):
            self.fail(path, "names a target twice")
            ok = False
        return tuple(targets) if ok else None

    def rules(self, chains: Mapping[str, Chain]) -> tuple[Rule, ...]:
        specs = self.spec.rules
        if not specs:
            self.fail("rules", "at least one rule is needed")
        defined = ", ".join(self.spec.chains) or "none"
        first_use: dict[str, int] = {}
        found: list[Rule] = []
        for index, spec in enumerate(specs):
            path = f"rules[{index}]"
            ok = self.check_name(f"{path}.id", spec.id, "rule id")
            if spec.id in first_use:
                self.fail(f"{path}.id", f"duplicate rule id {spec.id!r} (first used by rules[{first_use[spec.id]}])")
                ok = False
            else:
                first_use[spec.id] = index
            if spec.chain not in self.spec.chains:
                self.fail(f"{path}.chain", f"no chain named {spec.chain!r} (defined: {defined})")
                ok = False
            elif spec.severity != "routine" and spec.chain in chains and not chains[spec.chain].steps:
                self.fail(
                    f"{path}.chain",
                    f"a {spec.severity} rule needs a chain that notifies someone; {spec.chain!r} has no steps",
                )
                ok = False
            if spec.kind not in PARAMS_BY_KIND:
                self.fail(f"{path}.kind", f"unknown kind {spec.kind!r} (kinds: {', '.join(RULE_KINDS)})")
                continue
            try:
                PARAMS_BY_KIND[spec.kind].model_validate(spec.params)
            except ValidationError as exc:
                self.problems.extend(_problem(error, ("rules", index, "params")) for error in exc.errors())
                continue
            if ok:
                found.append(Rule.create(spec.id, spec.kind, spec.severity, spec.chain, spec.params, spec.safety_reply))
        return tuple(found)

    def aftercare(self) -> AftercarePlan | None:
        specs = self.spec.aftercare
        known = ("default", *MODALITIES)
        ok = True
        for name in specs:
            if name not in known:
                self.fail(f"aftercare.{name}", f"unknown modality (known: {', '.join(known)})")
                ok = False
        if not ok:
            return None
        default = self.modality_plan("aftercare.default", ModalityPlan(), specs.get("default"))
        if default is None:
            return None
        per_modality: dict[str, ModalityPlan] = {}
        for modality in MODALITIES:
            plan = self.modality_plan(f"aftercare.{modality}", default, specs.get(modality))
            if plan is None:
                ok = False
            else:
                per_modality[modality] = plan
        return AftercarePlan(default, per_modality) if ok else None

    def modality_plan(self, path: str, base: ModalityPlan, spec: AftercareSpec | None) -> ModalityPlan | None:
        if spec is None:
            return base
        values = spec.model_dump(exclude_none=True)
        changes: dict[str, Any] = {}
        for key, value in values.items():
            if key == "post_session_delay_minutes":
                changes["post_session_delay"] = timedelta(minutes=value)
            elif key == "reminder_after_minutes":
                changes["reminder_after"] = timedelta(minutes=value)
            elif key == "questionnaire_expiry_hours":
                changes["questionnaire_expiry"] = timedelta(hours=value)
            else:
                changes[key] = value
        try:
            return replace(base, **changes)
        except ValueError as exc:
            self.fail(path, str(exc))
            return None

    def check_name(self, path: str, name: str, what: str) -> bool:
        if _NAME.fullmatch(name):
            return True
        self.fail(path, f"{name!r} is not a valid {what} (lower-case letters, digits and _, starting with a letter)")
        return False


# --------------------------------------------------------------------------------------------------
# Summary


def _minutes(value: timedelta) -> str:
    minutes = int(value.total_seconds() // 60)
    if minutes and minutes % 60 == 0:
        return f"{minutes // 60} h"
    return f"{minutes} min"


def _targets_text(targets: Iterable[Target]) -> str:
    return ", ".join(str(target) for target in targets)


def _plan_text(plan: ModalityPlan) -> str:
    parts = [
        f"post-session check {_minutes(plan.post_session_delay)} after the session",
        f"daily mood days 1-{plan.daily_mood_days}" if plan.daily_mood_days else "no daily mood",
        f"PHQ-9 every {plan.phq9_every_days} days" + (" and before each session" if plan.phq9_before_session else ""),
        f"GAD-7 every {plan.gad7_every_days} days",
        f"maintenance mood every {plan.maintenance_every_days} days after day {plan.maintenance_after_days}"
        f" without a session, until day {plan.maintenance_until_days}",
        f"reminder after {_minutes(plan.reminder_after)}",
        f"questionnaires expire after {_minutes(plan.questionnaire_expiry)}",
    ]
    return "; ".join(parts)


def _summary_lines(protocol: Protocol) -> list[str]:
    lines = [f"Protocol version {protocol.version} ({protocol.source})", ""]
    lines.append(f"Rules ({len(protocol.rules)}):")
    width = max((len(rule.id) for rule in protocol.rules), default=0)
    for rule in protocol.rules:
        params = rule.describe_params()
        detail = f"{rule.kind}" + (f" {params}" if params else "")
        reply = "" if rule.safety_reply == "none" else f", {rule.safety_reply} reply"
        lines.append(f"  {rule.severity:<7} {rule.id:<{width}}  {detail} -> chain {rule.chain}{reply}")
    lines += ["", "Chains:"]
    for chain in protocol.chains.values():
        if not chain.steps:
            lines.append(f"  {chain.name}: nobody is paged (dashboard queue and daily digest)")
            continue
        passes = f"{chain.repeat} pass" + ("es" if chain.repeat != 1 else "")
        again = f", later passes from step {chain.repeat_from}" if chain.repeat > 1 and chain.repeat_from else ""
        lines.append(f"  {chain.name} ({passes}{again}):")
        for index, step in enumerate(chain.steps):
            after = f" (after hours: {_targets_text(step.after_hours_notify)})" if step.after_hours_notify else ""
            lines.append(f"    [{index}] notify {_targets_text(step.notify)}{after}; wait {_minutes(step.wait)}")
    hours = protocol.business_hours
    zone_text = hours.timezone or "the clinic's time zone"
    lines += ["", f"Business hours ({zone_text}):"]
    for index, day in enumerate(WEEKDAYS):
        opening = hours.days.get(index)
        lines.append(f"  {day} {opening if opening is not None else 'closed'}")
    lines += ["", f"On-call rota (handoffs in {zone_text}):"]
    if not protocol.rota:
        lines.append("  (none)")
    for position, rota in protocol.rota.items():
        overrides = len(rota.overrides)
        extra = f"; {overrides} override" + ("s" if overrides != 1 else "") if overrides else ""
        lines.append(f"  {position}: {', '.join(rota.rotation)} (weekly, handoff {rota.handoff}){extra}")
        for override in rota.overrides:
            lines.append(f"    {override.staff} from {override.start.isoformat()} to {override.end.isoformat()}")
    lines += ["", "Permissions:", *(f"  {line}" for line in describe(protocol.permissions))]
    lines += ["", "Aftercare:"]
    plan = protocol.aftercare
    lines.append(f"  default: {_plan_text(plan.default)}")
    for modality, modality_plan in plan.per_modality.items():
        if modality_plan == plan.default:
            lines.append(f"  {modality}: as default")
        else:
            lines.append(f"  {modality}: {_plan_text(modality_plan)}")
    lines += [
        "",
        "Wording:",
        f"  safety reply: {protocol.wording.safety_reply}",
        f"  medical reply: {protocol.wording.medical_reply}",
        f"  not an emergency service: {protocol.wording.not_emergency}",
    ]
    if protocol.wording.clinic_number:
        lines.append(f"  clinic number: {protocol.wording.clinic_number}")
    return lines
