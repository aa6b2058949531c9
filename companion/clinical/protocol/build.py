"""Parsing a protocol: TOML text -> the strict shape (:mod:`~companion.clinical.protocol.spec`) -> the
checks the shape cannot make (names, references between rules, chains and rota positions,
wording) -> a :class:`~companion.clinical.protocol.model.Protocol`. Every problem is collected
and named by its dotted path, and any problem refuses the whole file."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import timedelta
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from companion.clinical.escalation import Chain, Step, Target
from companion.clinical.instruments import gsm7_length
from companion.clinical.permissions import Permissions
from companion.clinical.plan import MODALITIES, AftercarePlan, ModalityPlan
from companion.clinical.protocol.model import Protocol, ProtocolError
from companion.clinical.protocol.spec import _NAME, AftercareSpec, ProtocolSpec
from companion.clinical.protocol.wording import SMS_TEXT_MAX_CHARS, Wording
from companion.clinical.rota import WEEKDAYS, BusinessHours, Handoff, OpeningHours, Override, PositionRota, parse_hhmm
from companion.clinical.rules import PARAMS_BY_KIND, RULE_KINDS, Rule

__all__ = ["parse_protocol"]

_PHONE = re.compile(r"\+?[0-9][0-9 ().-]{4,22}[0-9]")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_CLINIC_NUMBER = "clinic_number"


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
                steps.append(Step(notify, timedelta(minutes=step.wait_minutes), after_hours, step.via))
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
