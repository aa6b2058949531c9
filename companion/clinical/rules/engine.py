"""The rules engine: :func:`evaluate` runs the protocol's rules against one event and returns the
findings, most severe first; :func:`needs_cssrs` tells whether the event asks for the C-SSRS
screener at once."""

from __future__ import annotations

from collections.abc import Sequence

from companion.clinical.language import RiskLevel, assess
from companion.clinical.rules.checks import _CHECKS, _CSSRS_RANK, _Context
from companion.clinical.rules.events import AnswerEvent, Event, Finding, History, MessageEvent
from companion.clinical.rules.params import SEVERITY_RANK, CssrsParams
from companion.clinical.rules.rule import Rule

__all__ = ["evaluate", "needs_cssrs"]


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
    """Whether the event asks for the C-SSRS screener at once (docs/clinical.md: when PHQ-9 item 9 is 1
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
