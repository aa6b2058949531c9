"""The safety rules engine: an event and the patient's history -> findings (CLINICAL.md).

The clinic's protocol holds a list of :class:`Rule` objects (kind, severity, chain, parameters);
:func:`evaluate` runs them against one event and returns a :class:`Finding` for each rule that
fires, most severe first. Events:

* :class:`AnswerEvent`: one answer of a check-in as it arrives, with the answers of that check-in
  so far (the new one included).
* :class:`MessageEvent`: free text, any SMS the patient sends and any free-text answer in a
  check-in (the mood note). Text answers are NOT scanned as part of an :class:`AnswerEvent`: the
  caller passes their text as a :class:`MessageEvent` as well, so the language rules see every
  piece of free text exactly once.
* :class:`MissedEvent`: the patient has missed ``in_a_row`` check-ins in a row.
* :class:`UndeliveredEvent`: a prompt could not be delivered to the patient.

A risk rule fires on the first answer that shows it; it does not wait for the whole
questionnaire. An answer rule fires when its condition holds with the new answer and did not hold
without it, so a yes to C-SSRS item 4 is high at once, a PHQ-9 item 9 fires while items 1-8 are
missing, and answers that follow do not fire the same rule again. Evaluate answers one at a time
in the order they were given; :func:`answer_events` turns answers submitted together into that
sequence.

Rule kinds and parameters (defaults are CLINICAL.md's):

* ``cssrs`` (``level``: low | moderate | high): the C-SSRS screener shows at least ``level``
  (:func:`~companion.clinical.scoring.cssrs_risk_so_far`). When one answer makes several cssrs
  rules fire, only those with the highest level are kept, so a high risk is never also reported
  as low.
* ``risk_language`` (``levels``: language levels; optional ``language_severity``: urgent | high):
  :func:`~companion.clinical.language.assess` rates the text at one of ``levels`` (and, when given,
  at one of those severities: self-harm is urgent for an act and high for thoughts or urges).
* ``post_session_red_flags``: yes to the post-session red-flag question.
* ``phq9_item9`` (``min`` 1): PHQ-9 item 9 answered ``min`` or more.
* ``mood_low`` (``max`` 2): mood answered ``max`` or less.
* ``mood_drop`` (``points`` 4, ``baseline_window`` 7): mood at least ``points`` below the
  patient's baseline, the median of their last ``baseline_window`` moods (no baseline before 3).
* ``missed_checkins`` (``count`` 3): ``count`` or more check-ins missed in a row.
* ``phq9_rise`` (``points`` 5): a complete PHQ-9 total at least ``points`` above the baseline.
* ``gad7_high`` (``min`` 15): a complete GAD-7 total of ``min`` or more.
* ``side_effects_strong``: a post-session side effect (dizziness, nausea, dissociation,
  headache) answered strong.
* ``undelivered_prompt_during_alert``: a prompt was not delivered while the patient has an open
  high or urgent alert.

Evidence is short and carries no patient identifier ("PHQ-9 item 9 = 2"); a language finding
quotes the concepts and the patient's words that raised it, for the care team ("language: intent
; overdose: 'took 30 trazodone' (done)").

Pure: no I/O and no clock reads.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, TypeAlias, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator

from companion.clinical.language import RiskAssessment, RiskLevel, assess
from companion.clinical.scoring import BASELINE_MIN_ANSWERS, cssrs_risk_so_far, gad7_total, phq9_total

__all__ = [
    "PARAMS_BY_KIND",
    "RULE_KINDS",
    "SEVERITY_RANK",
    "AnswerEvent",
    "CssrsParams",
    "Event",
    "Finding",
    "Gad7HighParams",
    "History",
    "MessageEvent",
    "MissedCheckinsParams",
    "MissedEvent",
    "MoodDropParams",
    "MoodLowParams",
    "NoParams",
    "Phq9Item9Params",
    "Phq9RiseParams",
    "RiskLanguageParams",
    "Rule",
    "RuleKind",
    "RuleParams",
    "RuleSeverity",
    "SafetyReply",
    "UndeliveredEvent",
    "answer_events",
    "default_safety_reply",
    "evaluate",
    "needs_cssrs",
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

_CSSRS_RANK: Mapping[str, int] = {"none": 0, "low": 1, "moderate": 2, "high": 3}
_SIDE_EFFECTS: tuple[str, ...] = ("dizziness", "nausea", "dissociation", "headache")
_STRONG = 2
_EVIDENCE_LINES = 3


# --------------------------------------------------------------------------------------------------
# Parameters, one model per kind


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


# --------------------------------------------------------------------------------------------------
# Events and findings


@dataclass(frozen=True)
class AnswerEvent:
    """One answer. ``answers_so_far`` holds the check-in's answers including this one."""

    instrument: str
    question_key: str
    value: object
    answers_so_far: Mapping[str, object]


@dataclass(frozen=True)
class MessageEvent:
    """Free text from the patient: an SMS, an app message or a check-in's text answer."""

    text: str


@dataclass(frozen=True)
class MissedEvent:
    """The patient has missed ``in_a_row`` check-ins in a row."""

    in_a_row: int


@dataclass(frozen=True)
class UndeliveredEvent:
    """A prompt could not be delivered; the patient has (or has not) an open high or urgent alert."""

    has_open_alert_high_or_urgent: bool


Event: TypeAlias = AnswerEvent | MessageEvent | MissedEvent | UndeliveredEvent


@dataclass(frozen=True)
class History:
    """What the rules need from before the event.

    ``previous_moods``: the patient's mood answers in time order, most recent last, without the
    answer being judged. ``phq9_baseline_total``: the last PHQ-9 total before the first session.
    """

    previous_moods: Sequence[int] = ()
    phq9_baseline_total: int | None = None


@dataclass(frozen=True)
class Finding:
    """A rule that fired. ``evidence`` is short and carries no patient identifier."""

    rule_id: str
    kind: str
    severity: RuleSeverity
    chain: str
    safety_reply: SafetyReply
    evidence: str


def answer_events(instrument: str, answers: Mapping[str, object]) -> list[AnswerEvent]:
    """Answers given together (a form sent at once), as the events of answering them one by one,
    in the mapping's order; evaluate each in turn so every rule sees the answer that shows it."""
    events: list[AnswerEvent] = []
    so_far: dict[str, object] = {}
    for key, value in answers.items():
        so_far[key] = value
        events.append(AnswerEvent(instrument, key, value, dict(so_far)))
    return events


# --------------------------------------------------------------------------------------------------
# Checks: each returns the evidence when its rule fires, else None


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def _int_answer(answers: Mapping[str, object], key: str) -> int | None:
    value = answers.get(key)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return None


class _Context:
    """The event being judged, its history, and the text's risk assessment (made once, if needed)."""

    def __init__(self, event: Event, history: History) -> None:
        self.event = event
        self.history = history
        self._assessment: RiskAssessment | None = None

    def before_after(self, instrument: str) -> tuple[Mapping[str, object], Mapping[str, object]] | None:
        """The check-in's answers without and with the new answer, for an answer to ``instrument``."""
        event = self.event
        if not isinstance(event, AnswerEvent) or event.instrument != instrument:
            return None
        after = {**event.answers_so_far, event.question_key: event.value}
        before = {key: value for key, value in after.items() if key != event.question_key}
        return before, after

    def assessment(self) -> RiskAssessment | None:
        if not isinstance(self.event, MessageEvent) or not self.event.text.strip():
            return None
        if self._assessment is None:
            self._assessment = assess(self.event.text)
        return self._assessment


def _newly(ctx: _Context, instrument: str, shown: Callable[[Mapping[str, object]], str | None]) -> str | None:
    """The evidence when ``shown`` holds with the new answer and did not without it."""
    pair = ctx.before_after(instrument)
    if pair is None:
        return None
    before, after = pair
    evidence = shown(after)
    if evidence is None or shown(before) is not None:
        return None
    return evidence


def _cssrs_items(answers: Mapping[str, object], level: str) -> list[str]:
    def yes(key: str) -> bool:
        return answers.get(key) is True

    found: list[str] = []
    if level == "high":
        found += [f"yes to item {n}" for n in (4, 5) if yes(f"cssrs_{n}")]
        if yes("cssrs_6") and yes("cssrs_6_recent"):
            found.append("yes to item 6 within 3 months")
    elif level == "moderate":
        if yes("cssrs_3"):
            found.append("yes to item 3")
        if yes("cssrs_6"):
            recent = answers.get("cssrs_6_recent")
            found.append("yes to item 6 longer ago" if recent is False else "yes to item 6")
    else:
        found += [f"yes to item {n}" for n in (1, 2) if yes(f"cssrs_{n}")]
    return found


def _check_cssrs(rule: Rule, ctx: _Context) -> str | None:
    assert isinstance(rule.params, CssrsParams)
    threshold = _CSSRS_RANK[rule.params.level]

    def shown(answers: Mapping[str, object]) -> str | None:
        level = cssrs_risk_so_far(answers)
        if _CSSRS_RANK[level] < threshold:
            return None
        return f"C-SSRS {level}: " + ", ".join(_cssrs_items(answers, level))

    return _newly(ctx, "cssrs", shown)


def _check_risk_language(rule: Rule, ctx: _Context) -> str | None:
    assert isinstance(rule.params, RiskLanguageParams)
    found = ctx.assessment()
    if found is None or found.level is RiskLevel.none or found.level.value not in rule.params.levels:
        return None
    severities = rule.params.language_severity
    if severities is not None and found.severity not in severities:
        return None
    label: str = found.level.value
    if found.level is RiskLevel.self_harm:
        label = "self_harm (act)" if found.severity == "urgent" else "self_harm (thoughts)"
    # What raised it, for the care team: the concepts and the words ("overdose: 'took 30 trazodone'").
    shown = [line.split(": ", 1)[1] for line in found.evidence if not line.startswith("ignored")][:_EVIDENCE_LINES]
    return "; ".join([f"language: {label}", *shown])


def _check_red_flags(rule: Rule, ctx: _Context) -> str | None:
    def shown(answers: Mapping[str, object]) -> str | None:
        return "post-session red flags: yes" if answers.get("red_flags") is True else None

    return _newly(ctx, "post_session", shown)


def _check_phq9_item9(rule: Rule, ctx: _Context) -> str | None:
    assert isinstance(rule.params, Phq9Item9Params)
    threshold = rule.params.min

    def shown(answers: Mapping[str, object]) -> str | None:
        value = _int_answer(answers, "phq9_9")
        return f"PHQ-9 item 9 = {value}" if value is not None and value >= threshold else None

    return _newly(ctx, "phq9", shown)


def _check_mood_low(rule: Rule, ctx: _Context) -> str | None:
    assert isinstance(rule.params, MoodLowParams)
    threshold = rule.params.max

    def shown(answers: Mapping[str, object]) -> str | None:
        mood = _int_answer(answers, "mood")
        return f"mood {mood} (threshold {threshold})" if mood is not None and mood <= threshold else None

    return _newly(ctx, "mood", shown)


def _baseline(previous: Sequence[int], window: int) -> float | None:
    if len(previous) < BASELINE_MIN_ANSWERS:
        return None
    return float(statistics.median(list(previous)[-window:]))


def _check_mood_drop(rule: Rule, ctx: _Context) -> str | None:
    assert isinstance(rule.params, MoodDropParams)
    params = rule.params
    baseline = _baseline(ctx.history.previous_moods, params.baseline_window)
    if baseline is None:
        return None

    def shown(answers: Mapping[str, object]) -> str | None:
        mood = _int_answer(answers, "mood")
        if mood is None or baseline - mood < params.points:
            return None
        return f"mood {mood}, {_number(baseline - mood)} below baseline {_number(baseline)}"

    return _newly(ctx, "mood", shown)


def _check_missed(rule: Rule, ctx: _Context) -> str | None:
    assert isinstance(rule.params, MissedCheckinsParams)
    event = ctx.event
    if not isinstance(event, MissedEvent) or event.in_a_row < rule.params.count:
        return None
    return f"{event.in_a_row} check-ins missed in a row"


def _check_phq9_rise(rule: Rule, ctx: _Context) -> str | None:
    assert isinstance(rule.params, Phq9RiseParams)
    points = rule.params.points
    baseline = ctx.history.phq9_baseline_total
    if baseline is None:
        return None

    def shown(answers: Mapping[str, object]) -> str | None:
        total = phq9_total(answers)
        if total is None or total - baseline < points:
            return None
        return f"PHQ-9 {total}, up {total - baseline} from baseline {baseline}"

    return _newly(ctx, "phq9", shown)


def _check_gad7_high(rule: Rule, ctx: _Context) -> str | None:
    assert isinstance(rule.params, Gad7HighParams)
    threshold = rule.params.min

    def shown(answers: Mapping[str, object]) -> str | None:
        total = gad7_total(answers)
        return f"GAD-7 {total} (threshold {threshold})" if total is not None and total >= threshold else None

    return _newly(ctx, "gad7", shown)


def _check_side_effects(rule: Rule, ctx: _Context) -> str | None:
    def shown(answers: Mapping[str, object]) -> str | None:
        strong = [key for key in _SIDE_EFFECTS if _int_answer(answers, key) == _STRONG]
        return "strong side effect: " + ", ".join(strong) if strong else None

    return _newly(ctx, "post_session", shown)


def _check_undelivered(rule: Rule, ctx: _Context) -> str | None:
    event = ctx.event
    if isinstance(event, UndeliveredEvent) and event.has_open_alert_high_or_urgent:
        return "prompt not delivered during an open high or urgent alert"
    return None


_CHECKS: Mapping[str, Callable[[Rule, _Context], str | None]] = {
    "cssrs": _check_cssrs,
    "risk_language": _check_risk_language,
    "post_session_red_flags": _check_red_flags,
    "phq9_item9": _check_phq9_item9,
    "mood_low": _check_mood_low,
    "mood_drop": _check_mood_drop,
    "missed_checkins": _check_missed,
    "phq9_rise": _check_phq9_rise,
    "gad7_high": _check_gad7_high,
    "side_effects_strong": _check_side_effects,
    "undelivered_prompt_during_alert": _check_undelivered,
}


def _drop_superseded_cssrs(fired: list[tuple[Rule, Finding]]) -> list[tuple[Rule, Finding]]:
    levels = [_CSSRS_RANK[rule.params.level] for rule, _ in fired if isinstance(rule.params, CssrsParams)]
    if len(levels) < 2:
        return fired
    top = max(levels)
    return [
        (rule, finding)
        for rule, finding in fired
        if not isinstance(rule.params, CssrsParams) or _CSSRS_RANK[rule.params.level] == top
    ]


def evaluate(rules: Sequence[Rule], event: Event, history: History | None = None) -> list[Finding]:
    """The findings of ``rules`` for ``event``: one per rule at most, most severe first (rules of
    equal severity keep the protocol's order)."""
    ctx = _Context(event, history if history is not None else History())
    fired: list[tuple[Rule, Finding]] = []
    seen: set[str] = set()
    for rule in rules:
        if rule.id in seen:
            continue
        evidence = _CHECKS[rule.kind](rule, ctx)
        if evidence is None:
            continue
        seen.add(rule.id)
        fired.append((rule, Finding(rule.id, rule.kind, rule.severity, rule.chain, rule.safety_reply, evidence)))
    findings = [finding for _, finding in _drop_superseded_cssrs(fired)]
    return sorted(findings, key=lambda finding: SEVERITY_RANK[finding.severity])


def needs_cssrs(event: Event) -> bool:
    """Whether the event asks for the C-SSRS screener at once (CLINICAL.md: when PHQ-9 item 9 is 1
    or more, or free text suggests risk). This follows the instrument, not the protocol's
    thresholds. A text answer inside a check-in counts as free text here."""
    if isinstance(event, AnswerEvent):
        if event.instrument == "phq9" and event.question_key == "phq9_9":
            value = event.value
            return isinstance(value, int) and not isinstance(value, bool) and value >= 1
        if isinstance(event.value, str):
            return _suggests_risk(event.value)
        return False
    if isinstance(event, MessageEvent):
        return _suggests_risk(event.text)
    return False


def _suggests_risk(text: str) -> bool:
    return bool(text.strip()) and assess(text).level not in {RiskLevel.none, RiskLevel.concern}
