from __future__ import annotations

from collections.abc import Mapping, Sequence

import pytest
from pydantic import ValidationError

from companion.clinical.rules import (
    AnswerEvent,
    Event,
    Finding,
    History,
    MessageEvent,
    MissedEvent,
    MoodLowParams,
    Rule,
    UndeliveredEvent,
    answer_events,
    default_safety_reply,
    evaluate,
    needs_cssrs,
)
from companion.protocols import default_protocol

RULES = default_protocol().rules
NO_HISTORY = History()


def answer(instrument: str, key: str, value: object, **earlier: object) -> AnswerEvent:
    """The answer ``key = value`` given after the ``earlier`` answers of the same check-in."""
    return AnswerEvent(instrument, key, value, {**earlier, key: value})


def phq9(total: int, item9: int = 0) -> AnswerEvent:
    """A PHQ-9 completed by item 9, items 1-8 adding up to ``total - item9``."""
    rest = total - item9
    items = {f"phq9_{n}": min(3, max(0, rest - 3 * (n - 1))) for n in range(1, 9)}
    assert sum(items.values()) == rest
    return answer("phq9", "phq9_9", item9, **items)


def gad7(total: int) -> AnswerEvent:
    items = {f"gad7_{n}": min(3, max(0, total - 3 * (n - 1))) for n in range(1, 7)}
    last = total - sum(items.values())
    assert 0 <= last <= 3
    return answer("gad7", "gad7_7", last, **items)


def fired(event: Event, history: History = NO_HISTORY, rules: Sequence[Rule] = RULES) -> list[tuple[str, str]]:
    """Each finding's rule and the head of its evidence (a language finding then quotes the words)."""
    return [(finding.rule_id, finding.evidence.split("; ")[0]) for finding in evaluate(rules, event, history)]


def test_a_language_finding_quotes_the_concepts_and_words() -> None:
    [finding] = evaluate(RULES, MessageEvent("took 30 trazodone tonight"))
    assert finding.rule_id == "language_intent"
    assert finding.evidence.startswith("language: intent; overdose: 'took 30 trazodone'")


STEADY = History(previous_moods=[7, 7, 7, 7, 7, 7, 7])
EVEN = History(previous_moods=[7, 8, 7, 8])  # median 7.5

CASES: list[tuple[str, Event, History, list[tuple[str, str]]]] = [
    # mood <= 2
    ("mood 2 fires", answer("mood", "mood", 2), NO_HISTORY, [("mood_low", "mood 2 (threshold 2)")]),
    ("mood 0 fires", answer("mood", "mood", 0), NO_HISTORY, [("mood_low", "mood 0 (threshold 2)")]),
    ("mood 3 does not", answer("mood", "mood", 3), NO_HISTORY, []),
    # mood at least 4 below the median of the last 7
    ("drop exactly 4", answer("mood", "mood", 3), STEADY, [("mood_drop", "mood 3, 4 below baseline 7")]),
    ("drop 3", answer("mood", "mood", 4), STEADY, []),
    ("drop 4.5", answer("mood", "mood", 3), EVEN, [("mood_drop", "mood 3, 4.5 below baseline 7.5")]),
    ("drop 3.5", answer("mood", "mood", 4), EVEN, []),
    ("no baseline before 3 moods", answer("mood", "mood", 3), History(previous_moods=[9, 9]), []),
    (
        "baseline from the last 7 only",
        answer("mood", "mood", 4),
        History(previous_moods=[1, 1, 1, 1, 1, 8, 8, 8, 8, 8, 8, 8]),
        [("mood_drop", "mood 4, 4 below baseline 8")],
    ),
    (
        "low and dropping",
        answer("mood", "mood", 1),
        STEADY,
        [("mood_low", "mood 1 (threshold 2)"), ("mood_drop", "mood 1, 6 below baseline 7")],
    ),
    ("optional mood answers do not fire", answer("mood", "anxiety", 10, mood=5), STEADY, []),
    # PHQ-9 item 9 >= 1, at once, items 1-8 missing
    ("item 9 = 1", answer("phq9", "phq9_9", 1), NO_HISTORY, [("phq9_item9", "PHQ-9 item 9 = 1")]),
    ("item 9 = 3", answer("phq9", "phq9_9", 3, phq9_1=2), NO_HISTORY, [("phq9_item9", "PHQ-9 item 9 = 3")]),
    ("item 9 = 0", answer("phq9", "phq9_9", 0), NO_HISTORY, []),
    ("other items do not", answer("phq9", "phq9_2", 3), NO_HISTORY, []),
    # PHQ-9 up >= 5 from baseline
    (
        "rise 5",
        phq9(15),
        History(phq9_baseline_total=10),
        [("phq9_rise", "PHQ-9 15, up 5 from baseline 10")],
    ),
    ("rise 4", phq9(14), History(phq9_baseline_total=10), []),
    ("no PHQ-9 baseline", phq9(24), NO_HISTORY, []),
    (
        "rise with item 9",
        phq9(20, item9=2),
        History(phq9_baseline_total=3),
        [("phq9_item9", "PHQ-9 item 9 = 2"), ("phq9_rise", "PHQ-9 20, up 17 from baseline 3")],
    ),
    ("incomplete PHQ-9 has no total", answer("phq9", "phq9_8", 3), History(phq9_baseline_total=0), []),
    # GAD-7 >= 15
    ("GAD-7 15", gad7(15), NO_HISTORY, [("gad7_high", "GAD-7 15 (threshold 15)")]),
    ("GAD-7 21", gad7(21), NO_HISTORY, [("gad7_high", "GAD-7 21 (threshold 15)")]),
    ("GAD-7 14", gad7(14), NO_HISTORY, []),
    # C-SSRS
    ("C-SSRS all no", answer("cssrs", "cssrs_6", False, cssrs_1=False, cssrs_2=False), NO_HISTORY, []),
    ("C-SSRS low", answer("cssrs", "cssrs_1", True), NO_HISTORY, [("cssrs_low", "C-SSRS low: yes to item 1")]),
    ("C-SSRS low already shown", answer("cssrs", "cssrs_2", True, cssrs_1=True), NO_HISTORY, []),
    (
        "C-SSRS low by item 2",
        answer("cssrs", "cssrs_2", True, cssrs_1=False),
        NO_HISTORY,
        [("cssrs_low", "C-SSRS low: yes to item 2")],
    ),
    (
        "C-SSRS moderate",
        answer("cssrs", "cssrs_3", True, cssrs_1=True, cssrs_2=True),
        NO_HISTORY,
        [("cssrs_moderate", "C-SSRS moderate: yes to item 3")],
    ),
    (
        "C-SSRS high by item 4, at once",
        answer("cssrs", "cssrs_4", True, cssrs_1=True, cssrs_2=True, cssrs_3=False),
        NO_HISTORY,
        [("cssrs_high", "C-SSRS high: yes to item 4")],
    ),
    (
        "C-SSRS high by item 4 from low: only the highest level",
        answer("cssrs", "cssrs_4", True, cssrs_2=True),
        NO_HISTORY,
        [("cssrs_high", "C-SSRS high: yes to item 4")],
    ),
    (
        "C-SSRS item 4 alone",
        answer("cssrs", "cssrs_4", True),
        NO_HISTORY,
        [("cssrs_high", "C-SSRS high: yes to item 4")],
    ),
    (
        "C-SSRS high by item 5 after moderate",
        answer("cssrs", "cssrs_5", True, cssrs_1=True, cssrs_2=True, cssrs_3=True, cssrs_4=False),
        NO_HISTORY,
        [("cssrs_high", "C-SSRS high: yes to item 5")],
    ),
    (
        "C-SSRS item 6 before its recency is known",
        answer("cssrs", "cssrs_6", True, cssrs_1=False, cssrs_2=False),
        NO_HISTORY,
        [("cssrs_moderate", "C-SSRS moderate: yes to item 6")],
    ),
    (
        "C-SSRS item 6 within 3 months",
        answer("cssrs", "cssrs_6_recent", True, cssrs_1=False, cssrs_2=False, cssrs_6=True),
        NO_HISTORY,
        [("cssrs_high", "C-SSRS high: yes to item 6 within 3 months")],
    ),
    (
        "C-SSRS item 6 longer ago (moderate already shown)",
        answer("cssrs", "cssrs_6_recent", False, cssrs_1=False, cssrs_2=False, cssrs_6=True),
        NO_HISTORY,
        [],
    ),
    ("C-SSRS item 3 no", answer("cssrs", "cssrs_3", False, cssrs_1=True, cssrs_2=True), NO_HISTORY, []),
    # post-session
    (
        "red flags yes",
        answer("post_session", "red_flags", True, home_safely=True, dizziness=1),
        NO_HISTORY,
        [("post_session_red_flags", "post-session red flags: yes")],
    ),
    ("red flags no", answer("post_session", "red_flags", False, home_safely=True), NO_HISTORY, []),
    (
        "strong side effect",
        answer("post_session", "dizziness", 2, home_safely=True),
        NO_HISTORY,
        [("side_effects_strong", "strong side effect: dizziness")],
    ),
    ("mild side effect", answer("post_session", "headache", 1), NO_HISTORY, []),
    ("strong side effect already shown", answer("post_session", "nausea", 2, dizziness=2), NO_HISTORY, []),
    (
        "red flags after a strong side effect",
        answer("post_session", "red_flags", True, dissociation=2),
        NO_HISTORY,
        [("post_session_red_flags", "post-session red flags: yes")],
    ),
    # missed check-ins
    ("missed 2", MissedEvent(2), NO_HISTORY, []),
    ("missed 3", MissedEvent(3), NO_HISTORY, [("missed_checkins", "3 check-ins missed in a row")]),
    ("missed 4", MissedEvent(4), NO_HISTORY, [("missed_checkins", "4 check-ins missed in a row")]),
    # undelivered prompts
    (
        "undelivered during an alert",
        UndeliveredEvent(True),
        NO_HISTORY,
        [("undelivered_during_alert", "prompt not delivered during an open high or urgent alert")],
    ),
    ("undelivered without an alert", UndeliveredEvent(False), NO_HISTORY, []),
    # free text
    (
        "intent",
        MessageEvent("I am going to kill myself tonight"),
        NO_HISTORY,
        [("language_intent", "language: intent")],
    ),
    ("passive", MessageEvent("I wish I was dead"), NO_HISTORY, [("language_passive", "language: passive")]),
    (
        "not wanting to be alive",
        MessageEvent("I dont want to be alive"),
        NO_HISTORY,
        [("language_passive", "language: passive")],
    ),
    (
        "uncertain",
        MessageEvent("sometimes I think about death"),
        NO_HISTORY,
        [("language_passive", "language: uncertain")],
    ),
    (
        "self-harm act",
        MessageEvent("I cut myself again last night"),
        NO_HISTORY,
        [("language_self_harm_act", "language: self_harm (act)")],
    ),
    (
        "self-harm thoughts",
        MessageEvent("I want to hurt myself"),
        NO_HISTORY,
        [("language_self_harm_thoughts", "language: self_harm (thoughts)")],
    ),
    ("negated", MessageEvent("I would never hurt myself"), NO_HISTORY, []),
    ("none", MessageEvent("had a great day, slept well"), NO_HISTORY, []),
    ("empty text", MessageEvent("   "), NO_HISTORY, []),
    # a text answer is judged as a MessageEvent by the caller, not inside the AnswerEvent
    ("text answer", answer("mood", "note", "I am going to kill myself", mood=5), NO_HISTORY, []),
]


@pytest.mark.parametrize(
    ("event", "history", "expected"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_default_rules(event: Event, history: History, expected: list[tuple[str, str]]) -> None:
    assert fired(event, history) == expected


FINDING_DETAILS = [
    ("cssrs_high", answer("cssrs", "cssrs_4", True), "urgent", "crisis", "safety"),
    ("language_intent", MessageEvent("going to kill myself"), "urgent", "crisis", "safety"),
    ("post_session_red_flags", answer("post_session", "red_flags", True), "urgent", "medical", "medical"),
    ("phq9_item9", answer("phq9", "phq9_9", 2), "high", "same_day", "safety"),
    ("mood_low", answer("mood", "mood", 1), "high", "same_day", "safety"),
    ("language_passive", MessageEvent("I wish I was dead"), "high", "same_day", "safety"),
    ("undelivered_during_alert", UndeliveredEvent(True), "high", "same_day", "none"),
    ("cssrs_low", answer("cssrs", "cssrs_1", True), "routine", "routine", "none"),
    ("gad7_high", gad7(18), "routine", "routine", "none"),
    ("side_effects_strong", answer("post_session", "headache", 2), "routine", "routine", "none"),
]


@pytest.mark.parametrize(
    ("rule_id", "event", "severity", "chain", "reply"),
    FINDING_DETAILS,
    ids=[row[0] for row in FINDING_DETAILS],
)
def test_finding_carries_severity_chain_and_reply(
    rule_id: str, event: Event, severity: str, chain: str, reply: str
) -> None:
    [finding] = evaluate(RULES, event, NO_HISTORY)
    assert finding == Finding(rule_id, finding.kind, severity, chain, reply, finding.evidence)  # type: ignore[arg-type]
    assert finding.kind == default_protocol().rule(rule_id).kind


def test_c_ssrs_screener_fires_on_the_answer_that_shows_each_level() -> None:
    answers: Mapping[str, object] = {
        "cssrs_1": True,
        "cssrs_2": True,
        "cssrs_3": True,
        "cssrs_4": False,
        "cssrs_5": True,
        "cssrs_6": True,
        "cssrs_6_recent": True,
    }
    per_answer = [[f.rule_id for f in evaluate(RULES, event, NO_HISTORY)] for event in answer_events("cssrs", answers)]
    assert per_answer == [["cssrs_low"], [], ["cssrs_moderate"], [], ["cssrs_high"], [], []]


def test_answer_events_grow_the_answers() -> None:
    events = answer_events("phq9", {"phq9_1": 0, "phq9_9": 1})
    assert [(e.question_key, dict(e.answers_so_far)) for e in events] == [
        ("phq9_1", {"phq9_1": 0}),
        ("phq9_9", {"phq9_1": 0, "phq9_9": 1}),
    ]


def test_the_new_answer_counts_even_if_missing_from_answers_so_far() -> None:
    event = AnswerEvent("phq9", "phq9_9", 2, {"phq9_1": 1})
    assert fired(event) == [("phq9_item9", "PHQ-9 item 9 = 2")]


def test_most_severe_first_and_one_finding_per_rule() -> None:
    routine = Rule.create("note_low_mood", "mood_low", "routine", "routine", {"max": 4})
    high = Rule.create("low_mood", "mood_low", "high", "same_day")
    urgent = Rule.create("very_low_mood", "mood_low", "urgent", "crisis", {"max": 0})
    findings = evaluate([routine, high, urgent, high], answer("mood", "mood", 0), NO_HISTORY)
    assert [(f.rule_id, f.severity) for f in findings] == [
        ("very_low_mood", "urgent"),
        ("low_mood", "high"),
        ("note_low_mood", "routine"),
    ]


def test_cssrs_rules_at_least_their_level() -> None:
    """A protocol with only a moderate C-SSRS rule still hears about a high risk."""
    moderate_only = [Rule.create("cssrs_moderate", "cssrs", "high", "same_day", {"level": "moderate"})]
    assert fired(answer("cssrs", "cssrs_4", True), rules=moderate_only) == [
        ("cssrs_moderate", "C-SSRS high: yes to item 4")
    ]
    assert fired(answer("cssrs", "cssrs_1", True), rules=moderate_only) == []


def test_clinic_thresholds() -> None:
    rules = [
        Rule.create("drop", "mood_drop", "high", "same_day", {"points": 2.5, "baseline_window": 3}),
        Rule.create("missed", "missed_checkins", "routine", "routine", {"count": 5}),
        Rule.create("anxious", "gad7_high", "routine", "routine", {"min": 10}),
    ]
    history = History(previous_moods=[2, 2, 2, 8, 8, 8])
    assert fired(answer("mood", "mood", 5), history, rules) == [("drop", "mood 5, 3 below baseline 8")]
    assert fired(MissedEvent(4), rules=rules) == []
    assert fired(MissedEvent(5), rules=rules) == [("missed", "5 check-ins missed in a row")]
    assert fired(gad7(10), rules=rules) == [("anxious", "GAD-7 10 (threshold 10)")]


@pytest.mark.parametrize(
    ("kind", "severity", "expected"),
    [
        ("post_session_red_flags", "urgent", "medical"),
        ("cssrs", "urgent", "safety"),
        ("mood_low", "high", "safety"),
        ("risk_language", "high", "safety"),
        ("undelivered_prompt_during_alert", "high", "none"),
        ("gad7_high", "routine", "none"),
        ("cssrs", "routine", "none"),
    ],
)
def test_default_safety_reply(kind: str, severity: str, expected: str) -> None:
    assert default_safety_reply(kind, severity) == expected


def test_rule_validation() -> None:
    with pytest.raises(ValueError, match="unknown rule kind"):
        Rule.create("x", "mood_lo", "high", "same_day")
    with pytest.raises(ValidationError):
        Rule.create("x", "mood_low", "high", "same_day", {"maximum": 2})
    with pytest.raises(ValueError, match="a gad7_high rule takes Gad7HighParams, got MoodLowParams"):
        Rule("x", "gad7_high", "routine", "routine", MoodLowParams())
    assert Rule.create("x", "mood_low", "high", "same_day").params == MoodLowParams(max=2)


NEEDS_CSSRS = [
    ("item 9 = 1", answer("phq9", "phq9_9", 1), True),
    ("item 9 = 3", answer("phq9", "phq9_9", 3), True),
    ("item 9 = 0", answer("phq9", "phq9_9", 0), False),
    ("another PHQ-9 item", answer("phq9", "phq9_2", 3), False),
    ("a yes/no answer", answer("post_session", "red_flags", True), False),
    ("risky message", MessageEvent("I wish I could go to sleep and not wake up"), True),
    ("uncertain message", MessageEvent("whats the point anymore"), True),
    ("benign message", MessageEvent("feeling calmer today"), False),
    ("negated message", MessageEvent("not suicidal, just tired"), False),
    ("risky note", answer("mood", "note", "i want to die", mood=4), True),
    ("benign note", answer("mood", "note", "slept badly", mood=4), False),
    ("low mood alone", answer("mood", "mood", 0), False),
    ("missed", MissedEvent(5), False),
    ("undelivered", UndeliveredEvent(True), False),
]


@pytest.mark.parametrize(("event", "expected"), [row[1:] for row in NEEDS_CSSRS], ids=[row[0] for row in NEEDS_CSSRS])
def test_needs_cssrs(event: Event, expected: bool) -> None:
    assert needs_cssrs(event) is expected
