"""Rule kinds, severities and safety replies, and the parameters of each kind: one strict model per
kind, with the defaults and allowed ranges the protocol file is checked against."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Literal, TypeAlias, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator

from companion.clinical.scoring import BASELINE_MIN_ANSWERS

__all__ = [
    "PARAMS_BY_KIND",
    "RULE_KINDS",
    "SEVERITY_RANK",
    "CssrsLevel",
    "CssrsParams",
    "Gad7HighParams",
    "LanguageLevel",
    "LanguageSeverity",
    "MissedCheckinsParams",
    "MoodDropParams",
    "MoodLowParams",
    "NoParams",
    "Phq9Item9Params",
    "Phq9RiseParams",
    "RiskLanguageParams",
    "RuleKind",
    "RuleParams",
    "RuleSeverity",
    "SafetyReply",
]

RuleSeverity = Literal["urgent", "high", "routine"]
SafetyReply = Literal["safety", "medical", "none"]
RuleKind = Literal[
    "cssrs",
    "risk_language",
    "post_session_red_flags",
    "phq9_item9",
    "mood_low",
    "mood_drop",
    "missed_checkins",
    "phq9_rise",
    "gad7_high",
    "side_effects_strong",
    "undelivered_prompt_during_alert",
]
RULE_KINDS: tuple[str, ...] = get_args(RuleKind)
SEVERITY_RANK: Mapping[str, int] = {"urgent": 0, "high": 1, "routine": 2}

CssrsLevel = Literal["low", "moderate", "high"]
LanguageLevel = Literal["concern", "uncertain", "passive", "self_harm", "intent"]
LanguageSeverity = Literal["urgent", "high"]


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


def _between(value: float, low: float, high: float) -> float:
    if not low <= value <= high:
        raise ValueError(f"must be between {low:g} and {high:g}")
    return value


class NoParams(_Params):
    """For kinds without parameters."""


class CssrsParams(_Params):
    level: CssrsLevel


class RiskLanguageParams(_Params):
    levels: Annotated[tuple[LanguageLevel, ...], Field(strict=False)]
    language_severity: Annotated[tuple[LanguageSeverity, ...] | None, Field(strict=False)] = None

    @field_validator("levels", "language_severity")
    @classmethod
    def _distinct(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if value is None:
            return value
        if not value:
            raise ValueError("must name at least one")
        if len(set(value)) != len(value):
            raise ValueError("must not repeat a value")
        return value


class Phq9Item9Params(_Params):
    min: int = 1

    @field_validator("min")
    @classmethod
    def _range(cls, value: int) -> int:
        return int(_between(value, 1, 3))


class MoodLowParams(_Params):
    max: int = 2

    @field_validator("max")
    @classmethod
    def _range(cls, value: int) -> int:
        return int(_between(value, 0, 9))


class MoodDropParams(_Params):
    points: float = 4.0
    baseline_window: int = 7

    @field_validator("points")
    @classmethod
    def _points(cls, value: float) -> float:
        return _between(value, 0.5, 10)

    @field_validator("baseline_window")
    @classmethod
    def _window(cls, value: int) -> int:
        return int(_between(value, BASELINE_MIN_ANSWERS, 30))


class MissedCheckinsParams(_Params):
    count: int = 3

    @field_validator("count")
    @classmethod
    def _range(cls, value: int) -> int:
        return int(_between(value, 1, 30))


class Phq9RiseParams(_Params):
    points: int = 5

    @field_validator("points")
    @classmethod
    def _range(cls, value: int) -> int:
        return int(_between(value, 1, 27))


class Gad7HighParams(_Params):
    min: int = 15

    @field_validator("min")
    @classmethod
    def _range(cls, value: int) -> int:
        return int(_between(value, 1, 21))


RuleParams: TypeAlias = (
    NoParams
    | CssrsParams
    | RiskLanguageParams
    | Phq9Item9Params
    | MoodLowParams
    | MoodDropParams
    | MissedCheckinsParams
    | Phq9RiseParams
    | Gad7HighParams
)

PARAMS_BY_KIND: Mapping[str, type[_Params]] = {
    "cssrs": CssrsParams,
    "risk_language": RiskLanguageParams,
    "post_session_red_flags": NoParams,
    "phq9_item9": Phq9Item9Params,
    "mood_low": MoodLowParams,
    "mood_drop": MoodDropParams,
    "missed_checkins": MissedCheckinsParams,
    "phq9_rise": Phq9RiseParams,
    "gad7_high": Gad7HighParams,
    "side_effects_strong": NoParams,
    "undelivered_prompt_during_alert": NoParams,
}
