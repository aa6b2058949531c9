"""One check per rule kind: each returns the evidence when its rule fires for the event, else None.

An answer check fires when its condition holds with the new answer and did not hold without it
(:func:`_newly`); a language check rates the text once per event (:class:`_Context`).
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Mapping, Sequence

from companion.clinical.language import RiskAssessment, RiskLevel, assess
from companion.clinical.rules.events import AnswerEvent, Event, History, MessageEvent, MissedEvent, UndeliveredEvent
from companion.clinical.rules.params import (
    CssrsParams,
    Gad7HighParams,
    MissedCheckinsParams,
    MoodDropParams,
    MoodLowParams,
    Phq9Item9Params,
    Phq9RiseParams,
    RiskLanguageParams,
)
from companion.clinical.rules.rule import Rule, _number
from companion.clinical.scoring import BASELINE_MIN_ANSWERS, cssrs_risk_so_far, gad7_total, phq9_total

_CSSRS_RANK: Mapping[str, int] = {"none": 0, "low": 1, "moderate": 2, "high": 3}
_SIDE_EFFECTS: tuple[str, ...] = ("dizziness", "nausea", "dissociation", "headache")
_STRONG = 2
_EVIDENCE_LINES = 3


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
