"""Risk language in free text: table-driven cases and the labelled set."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from companion.safety import language
from companion.safety.language import RiskAssessment, RiskLevel, assess

LABELLED_SET = Path(__file__).with_name("risk_language_set.jsonl")
RISK_LABELS = {"intent", "self_harm", "passive"}


def _load_set() -> list[tuple[str, str]]:
    rows = [json.loads(line) for line in LABELLED_SET.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [(row["text"], row["label"]) for row in rows]


# --------------------------------------------------------------------------------------------------
# Intent and plans: urgent


@pytest.mark.parametrize(
    "text",
    [
        "I'm going to kill myself tonight",
        "kms",
        "i have the pills saved up",
        "I wrote my goodbye letters",
        "going to end it",
        "i want to kill myself",
        "I am going to kil myself",
        "thinking about sucide all day, tonight i'll do it",
        "i want to die by suiside",
        "gonna unalive myself",
        "i just want to end it all",
        "gonna od on my meds tonight",
        "im going to overdose on my meds",
        "I'M SUICIDAL",
        "i keep thinking about killing myself 😔😔",
        "gonna k1ll myself",
        "i swear im gonna kill myselfff",
        "i'm going to cut myself tonight",
        "i tried to hang myself on sunday",
        "took my whole bottle of trazodone an hour ago",
        "i bought a rope and tied a noose",
        "this is goodbye. thank you for everything",
        "gave away my cat, said my goodbyes, i wont be around much longer",
        "i want to die and i have a way to do it",
    ],
)
def test_intent_is_urgent(text: str) -> None:
    result = assess(text)
    assert result.level is RiskLevel.intent, result
    assert result.severity == "urgent"
    assert result.evidence


# --------------------------------------------------------------------------------------------------
# Self-harm: an act is urgent, thoughts and urges are high


@pytest.mark.parametrize(
    "text",
    [
        "I cut myself again",
        "been cutting again, sorry",
        "relapsed on sh last night",
        "burned myself with a lighter again",
        "i keep scratching my arms until they bleed",
        "punched the wall on purpose",
        "Self-harmed last night 😔",
    ],
)
def test_self_harm_act_is_urgent(text: str) -> None:
    result = assess(text)
    assert (result.level, result.severity) == (RiskLevel.self_harm, "urgent"), result


@pytest.mark.parametrize(
    "text",
    [
        "want to hurt myself",
        "i want to hurt myself so bad rn",
        "thinking about cutting again",
        "sh urges 8/10 today",
        "the urge to cut is back",
        "been having thoughts of hurting myself",
    ],
)
def test_self_harm_thoughts_are_high(text: str) -> None:
    result = assess(text)
    assert (result.level, result.severity) == (RiskLevel.self_harm, "high"), result


# --------------------------------------------------------------------------------------------------
# Passive death wish: high


@pytest.mark.parametrize(
    "text",
    [
        "I wish I wouldn't wake up",
        "I don't want to be alive",
        "I don\u2019t want to be alive",  # typographic apostrophe
        "everyone would be better off without me",
        "i dont want to live anymore",
        "im done with life",
        "I can't go on",
        "i cant go on",
        "I don't want to wake up",
        "I don't see a point in living",
        "id like to not be here anymore",
        "i wish i was dead",
        "i wanna die 😭😭",
        "sooo tired of living",
        "I'd never hurt myself but I wish I was dead",
        "i'm not going to kill myself, but honestly i wish i wasn't alive",
        "suicidal thoughts again but i have no plan, im not going to act on them",
    ],
)
def test_passive_wish_is_high(text: str) -> None:
    result = assess(text)
    assert (result.level, result.severity) == (RiskLevel.passive, "high"), result


# --------------------------------------------------------------------------------------------------
# Uncertain: high, never silent


@pytest.mark.parametrize(
    "text",
    [
        "my friend tried to kill himself",
        "my brother killed himself 3 years ago today",
        "my roommate said she wants to kms, what should i do",
        "been thinking about death a lot lately",
        "had some dark thoughts last night",
        "i'm scared of what i might do",
        "not sure i'm safe tonight",
        "what's the lethal dose of ketamine",
        "I tried to kill myself when I was 17 and today is the anniversary",
        "whats the point anymore",
        "watched a documentary about suicide and it got to me",
    ],
)
def test_uncertain_is_high(text: str) -> None:
    result = assess(text)
    assert (result.level, result.severity) == (RiskLevel.uncertain, "high"), result


# --------------------------------------------------------------------------------------------------
# Not risk: negations, figures of speech, ordinary updates


@pytest.mark.parametrize(
    "text",
    [
        "I would never hurt myself",
        "I'd never kill myself",
        "not suicidal",
        "no thoughts of hurting myself",
        "this traffic is killing me",
        "I'm dying to see my kids",
        "that joke killed me",
        "my feet are killing me",
        "dead tired",
        "i'm dead tired",
        "I could kill for a coffee",
        "just trying to kill time before my appointment",
        "the session was killer",
        "feeling a bit down today 4/10",
        "felt floaty and dissociated after the session",
        "took my 20mg lexapro and 50 of trazodone like usual",
        "i dont want to die, i want to get better",
        "I'm not going to kill myself, don't worry",
        "never in a million years would i hurt myself",
        "i can't go on the trip this weekend",
        "i think i'm going to end it with jake",
        "cut myself shaving lol",
        "suicidal thoughts: none. mood 6",
        "the infusions are working, the suicidal thoughts are gone",
        "ran 5 kms this morning",
        "my nose is runny",
        "got a flu shot myself today",
        "I'd rather die than give a speech lol",
        "i want to sleep for god knows how long",
        "",
    ],
)
def test_not_risk(text: str) -> None:
    result = assess(text)
    assert result.level is RiskLevel.none, result
    assert result.severity is None


def test_double_denial_is_not_a_denial() -> None:
    assert assess("i can't promise i won't hurt myself").level is RiskLevel.self_harm
    assert assess("i never stopped wishing i was dead").level is RiskLevel.passive


def test_evidence_quotes_what_matched() -> None:
    result = assess("Honestly I'm going to KILL myself tonight")
    assert any("kill myself" in line and line.startswith("intent") for line in result.evidence)


def test_negated_mentions_are_shown_as_ignored() -> None:
    result = assess("I would never hurt myself")
    assert result.evidence and all(line.startswith("ignored") for line in result.evidence)


def test_risk_wins_over_lower_levels() -> None:
    result = assess("my friend tried to kill himself and now i want to kill myself too")
    assert result.level is RiskLevel.intent


def test_types() -> None:
    assert [level.value for level in RiskLevel] == ["none", "uncertain", "passive", "self_harm", "intent"]
    result = assess("i wish i was dead")
    assert isinstance(result, RiskAssessment)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.level = RiskLevel.none  # type: ignore[misc]


# --------------------------------------------------------------------------------------------------
# The labelled set


def test_labelled_set_is_well_formed() -> None:
    items = _load_set()
    labels = [label for _, label in items]
    assert len(items) >= 350
    assert sum(label in RISK_LABELS for label in labels) >= 120
    assert labels.count("none") >= 150
    assert labels.count("uncertain") >= 10
    assert len({text for text, _ in items}) == len(items)


def test_labelled_set_figures() -> None:
    results = [(label, assess(text)) for text, label in _load_set()]
    risk = [r for label, r in results if label in RISK_LABELS]
    intent = [r for label, r in results if label == "intent"]
    none = [r for label, r in results if label == "none"]

    recall = sum(r.severity is not None for r in risk) / len(risk)
    silent_intent = [r for r in intent if r.severity is None]
    urgent_intent = sum(r.severity == "urgent" for r in intent) / len(intent)
    false_alarm = sum(r.severity is not None for r in none) / len(none)

    assert recall >= 0.97
    assert silent_intent == []
    assert urgent_intent >= 0.90
    assert false_alarm <= 0.10


def test_every_match_is_reached_by_its_triggers() -> None:
    """A rule skipped for want of a trigger word must not have matched anyway."""
    for text, _ in _load_set():
        normalised = language._Text(text).norm
        run = {rule.name for rule in language._rules_to_run(normalised)}
        for rule in language._RULES:
            if rule.name not in run:
                assert not rule.pattern.search(normalised), (rule.name, text)


# --------------------------------------------------------------------------------------------------
# Performance guard: long messages must not blow up


@pytest.mark.parametrize(
    "text",
    [
        ("so i had my infusion and it was fine, mood 5, slept ok, and i want to kill myself " * 20)[:1600],
        "a " * 800,
        ("i dont want to " * 120)[:1600],
        ("how many of the " * 120)[:1600],
        ("wish i could just " * 100)[:1600],
        "k" * 1600,
        "😭" * 1600,
        ("hit my hand " * 150)[:1600],
    ],
)
def test_long_input_completes(text: str) -> None:
    assert isinstance(assess(text), RiskAssessment)
