"""One rule of the clinic's protocol (kind, severity, chain, parameters, safety reply), and what the
patient is told when a rule without an explicit safety reply fires."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, get_args

from companion.clinical.rules.params import (
    PARAMS_BY_KIND,
    SEVERITY_RANK,
    NoParams,
    RuleKind,
    RuleParams,
    RuleSeverity,
    SafetyReply,
)

__all__ = ["Rule", "default_safety_reply"]


def default_safety_reply(kind: str, severity: str) -> SafetyReply:
    """What the patient is told when a rule without an explicit ``safety_reply`` fires.

    Post-session red flags get the medical reply (call 911 if severe). Other urgent and high
    findings get the safety reply, except an undelivered prompt: the patient could not be reached,
    and was already told where to get help when the open alert was raised. Routine: nothing.
    """
    if kind == "post_session_red_flags":
        return "medical"
    if kind == "undelivered_prompt_during_alert" or severity == "routine":
        return "none"
    return "safety"


@dataclass(frozen=True)
class Rule:
    """One rule of the clinic's protocol. ``chain`` names the escalation chain of its alerts."""

    id: str
    kind: RuleKind
    severity: RuleSeverity
    chain: str
    params: RuleParams = field(default_factory=NoParams)
    safety_reply: SafetyReply = "none"

    def __post_init__(self) -> None:
        expected = PARAMS_BY_KIND.get(self.kind)
        if expected is None:
            raise ValueError(f"unknown rule kind {self.kind!r}")
        if type(self.params) is not expected:
            raise ValueError(f"a {self.kind} rule takes {expected.__name__}, got {type(self.params).__name__}")
        if self.severity not in SEVERITY_RANK:
            raise ValueError(f"unknown severity {self.severity!r}")
        if self.safety_reply not in get_args(SafetyReply):
            raise ValueError(f"unknown safety reply {self.safety_reply!r}")

    @classmethod
    def create(
        cls,
        id: str,
        kind: str,
        severity: str,
        chain: str,
        params: Mapping[str, Any] | None = None,
        safety_reply: str | None = None,
    ) -> Rule:
        """Build a rule from plain values, validating ``params`` for the kind (pydantic's
        ValidationError for bad parameters) and applying :func:`default_safety_reply`."""
        if kind not in PARAMS_BY_KIND:
            raise ValueError(f"unknown rule kind {kind!r}")
        parsed = PARAMS_BY_KIND[kind].model_validate(dict(params or {}))
        reply = safety_reply if safety_reply is not None else default_safety_reply(kind, severity)
        return cls(id, kind, severity, chain, parsed, reply)  # type: ignore[arg-type]  # __post_init__ checks them

    def describe_params(self) -> str:
        """``"level=high"``, ``"levels=passive,uncertain"``; empty for a rule without parameters."""
        parts = []
        for name, value in self.params.model_dump().items():
            if value is None:
                continue
            if isinstance(value, tuple | list):
                shown = ",".join(str(item) for item in value)
            elif isinstance(value, float):
                shown = _number(value)
            else:
                shown = str(value)
            parts.append(f"{name}={shown}")
        return " ".join(parts)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"
