"""Risk language in free text: concepts table by table, the vocabulary's validation, failing safe,
metamorphic variants, and the labelled set (held-out figures apart from tuning ones)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from companion.clinical import language
from companion.clinical.language import RiskAssessment, RiskLevel, assess
from companion.clinical.language.vocabulary import VocabularyError, parse_vocabulary
from companion.clinical.rules import MessageEvent, evaluate
from companion.protocols import default_protocol

# The labelled set stays in tests/safety/risk_language: benchmarks/risk_language_eval.py reads it too.
SETS = Path(__file__).parents[1] / "safety" / "risk_language"
RANK = {"urgent": 0, "high": 1, "routine": 2, None: 3}


def _level(text: str) -> RiskLevel:
    return assess(text).level


# --------------------------------------------------------------------------------------------------
# Concepts


@pytest.mark.parametrize(
    "text",
    [
        "I'm going to kill myself tonight",
        "kms",
        "i want to kill myself",
        "gonna unalive myself",
        "I'M SUICIDAL",
        "took 30 trazodone",
        "swallowed the whole bottle of tylenol",
        "i have the pills saved up",
        "I wrote my goodbye letters",
        "looked up the lethal dose of my lithium",
        "im standing on the ledge",
        "in the garage with the car running",
        "i tried to hang myself on sunday",
        "iwanttokillmyself",
        "going to end it all tonight lol",
        "im going to do it this time, goodbye forever",
        "took 30 extra strength tylenol",
        "so my kids are taken care of after im gone",
        "Last week I take many pills to die",
        "ill be dead by morning",
        "i wont be alive by your next check in",
        "50 ibuprofen gone",
    ],
)
def test_intent_means_acts_preparation_and_farewell_are_urgent(text: str) -> None:
    result = assess(text)
    assert (result.level, result.severity) == (RiskLevel.intent, "urgent"), result
    assert result.evidence


@pytest.mark.parametrize("text", ["I cut myself again", "burned my arm with a lighter last night", "i just cut",
                                  "i just cut myself with a kitchen knife", "i relapsed and cut rn"])
def test_a_self_harm_act_is_urgent(text: str) -> None:
    assert (assess(text).level, assess(text).severity) == (RiskLevel.self_harm, "urgent")


@pytest.mark.parametrize("text", ["want to hurt myself", "i really want to cut tonight", "sh urges 8/10 today"])
def test_self_harm_urges_are_high(text: str) -> None:
    assert (assess(text).level, assess(text).severity) == (RiskLevel.self_harm, "high")


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("I wish I wouldn't wake up", RiskLevel.passive),
        ("I don't want to be alive", RiskLevel.passive),
        ("everyone would be better off without me", RiskLevel.passive),
        ("whats the point anymore", RiskLevel.passive),
        ("there's no way out", RiskLevel.passive),
        ("i wish i was ded tbh", RiskLevel.passive),
        ("i keep thinking about the gun in the closet", RiskLevel.uncertain),
        ("not sure i'm safe tonight", RiskLevel.uncertain),
        ("i tried to od years ago and lately it feels the same", RiskLevel.uncertain),
        ("suicidal thoughts again but i have no plan, im not going to act on them", RiskLevel.passive),
        ("I wouldn't care if I got hit by a bus", RiskLevel.passive),
        ("i wish i could fall asleep and not come back", RiskLevel.passive),
        ("i cant keep going like this", RiskLevel.passive),
        ("i keep staring at the pills", RiskLevel.uncertain),
        ("I have my old lithium saved and it scares me", RiskLevel.uncertain),
        ("I'm not in a good place and I have my pills here", RiskLevel.uncertain),
        ("im really not okay tonight", RiskLevel.uncertain),
        ("i need someone right now", RiskLevel.uncertain),
        ("i dont think ill be around for the next appointment", RiskLevel.uncertain),
        ("deleted all my accounts", RiskLevel.uncertain),
        ("wiped my phone last night", RiskLevel.uncertain),
    ],
)
def test_wishes_hopelessness_and_what_cannot_be_placed_are_high(text: str, level: RiskLevel) -> None:
    result = assess(text)
    assert (result.level, result.severity) == (level, "high"), result


@pytest.mark.parametrize(
    "text",
    [
        "I would never hurt myself",
        "not suicidal",
        "nope no suicidal thoughts, just hate mondays lol",
        "this commute is killing me",
        "I'm dying to see my kids",
        "dead tired",
        "I could kill for a coffee",
        "felt like i was dying during the infusion but it passed",
        "took my 2 tylenol for the headache",
        "popped 2 extra strength tylenol for the headache",
        "my mom said she will miss me when im gone to college",
        "who will feed the dog when im gone for the weekend",
        "ill be dead tired by friday",
        "cut myself cooking in the kitchen",
        "relapsed and cut my hair lol",
        "urges are gone",
        "drove past the old mill road tonight",
        "took my trazodone at 10 like usual",
        "the pharmacy gave me 30 tablets of xanax instead of 15",
        "the nurse asked if i had thoughts of hurting myself, i said no",
        "if i ever feel suicidal i will call 988",
        "cut myself shaving lol",
        "i can't go on the trip this weekend",
        "ran 5 kms this morning",
        "this traffic makes me wanna kms lol jk",
        "I'm not okay with the new time, can we do 3?",
        "i need someone to drive me on friday",
        "I'm done with the forms, sent them this morning",
        "i cant go on like this with the printer at work",
        "",
    ],
)
def test_denials_figures_of_speech_and_aftercare_are_not_risk(text: str) -> None:
    """The detector places them as no risk. The second reader may still read a few as risk
    (uncertain: the screener asks; its false alarms are in the benchmark's figures), but it never
    reads an ordinary message like these as a crisis."""
    result = assess(text, second_reader=False)
    assert result.severity is None, result
    assert result.level is RiskLevel.none, result
    assert assess(text).severity != "urgent"


@pytest.mark.parametrize(
    "text",
    ["my friend wants to die and i dont know how to help", "I used to cut in high school, 6 years clean now",
     "used to be suicidal all the time, havent felt that in 2 years", "1 year clean from sh today",
     "I went through a suicidal patch in university. It's been over for a long time."],
)
def test_another_persons_risk_and_a_resolved_past_are_a_concern(text: str) -> None:
    result = assess(text)
    assert (result.level, result.severity) == (RiskLevel.concern, None), result


def test_double_denial_is_not_a_denial() -> None:
    assert assess("i can't promise i won't hurt myself").severity is not None


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("my son said 'i want to die' when i took his xbox, teenagers", RiskLevel.concern),
        ("she said \"i'm going to kill myself\"", RiskLevel.concern),
        ("i told my therapist 'i want to die' and she didnt believe me", RiskLevel.passive),
        ("I said to my friend \"I don't want to be here anymore\" and I meant it.", RiskLevel.passive),
        ("i'm not sure i'm safe, it's my dad's 'spare' gun", RiskLevel.uncertain),
    ],
)
def test_words_in_quotes_are_whoever_is_quoted(text: str, level: RiskLevel) -> None:
    """Single quotes quote as double ones do; apostrophes inside words are not quotes."""
    assert assess(text, second_reader=False).level is level


@pytest.mark.parametrize(
    "text",
    ["i'm just gonna kill myself honestly lol, not even joking this time", "i want to kill myself jk unless"],
)
def test_a_joke_taken_back_again_is_no_joke(text: str) -> None:
    assert assess(text, second_reader=False).severity == "urgent"


@pytest.mark.parametrize(
    ("text", "context"),
    [
        ("I have no plan and I'm not going to act on anything, I'm just low today.", "placed"),
        ("my brother said he wants to die", "placed"),
        ("no plan, not going to act on anything", "placed"),
        ("thanks for today, home now", "bare"),
        ("im so tired today", "bare"),  # distress alone: read as everyday talk is, never later
        ("took 2 advil for the headache", "read"),
        ("took 30 of my trazodone", "read"),
    ],
)
def test_what_the_second_reader_is_told_of_the_detectors_placing(text: str, context: str) -> None:
    assert language.placed(text) == (False, context)


def test_evidence_names_the_concepts_and_words() -> None:
    result = assess("took 30 trazodone")
    assert any(line.startswith("intent: overdose: 'took 30 trazodone'") for line in result.evidence)
    assert "overdose" in result.concepts
    assert any(line.startswith("ignored denied") for line in assess("I would never hurt myself").evidence)


def test_types() -> None:
    assert [level.value for level in RiskLevel] == ["none", "concern", "uncertain", "passive", "self_harm", "intent"]
    result = assess("i wish i was dead")
    assert isinstance(result, RiskAssessment)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.level = RiskLevel.none  # type: ignore[misc]


# --------------------------------------------------------------------------------------------------
# The vocabulary is data, validated; an unreadable text fails safe


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"frames": [{"concept": "x", "pattern": "a"}]}, "[classes] is missing"),
        ({"classes": {"a": ["b"]}, "frames": [{"concept": "x", "pattern": "<nope>"}]}, "unknown class <nope>"),
        ({"classes": {"a": ["b"]}, "frames": [{"concept": "x", "pattern": "~2 <a>"}]}, "cannot start with a gap"),
        ({"classes": {"a": ["B c"]}, "frames": [{"concept": "x", "pattern": "<a>"}]}, "lower-case words"),
        ({"classes": {"a": ["b"]}, "frames": [{"concept": "x", "pattern": "<a>", "stage": "later"}]}, "stage"),
        ({"classes": {"a": ["b"]}, "frames": [{"concept": "x", "pattern": "<a>", "colour": 1}]}, "unknown keys"),
    ],
)
def test_a_bad_vocabulary_names_the_place(data: dict[str, object], message: str) -> None:
    with pytest.raises(VocabularyError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_vocabulary(data)


def test_a_text_that_cannot_be_read_is_uncertain_and_high(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> object:
        raise VocabularyError("vocabulary.toml: broken")

    monkeypatch.setattr(language, "load_vocabulary", broken)
    result = assess("fine thanks")
    assert (result.level, result.severity) == (RiskLevel.uncertain, "high")
    [finding] = evaluate(default_protocol().rules, MessageEvent("fine thanks"))
    assert (finding.severity, finding.safety_reply) == ("high", "safety")


@pytest.mark.parametrize(
    "text",
    [
        ("so i had my infusion and it was fine, mood 5, slept ok, and i want to kill myself " * 20)[:1600],
        "a " * 800,
        ("i dont want to " * 120)[:1600],
        ("how many of the " * 120)[:1600],
        "k" * 1600,
        "\U0001f62d" * 1600,
        ("took 30 " * 200)[:1600],
    ],
)
def test_long_input_completes(text: str) -> None:
    assert isinstance(assess(text), RiskAssessment)


# --------------------------------------------------------------------------------------------------
# The labelled set


def _load(name: str) -> list[dict[str, str]]:
    return [json.loads(line) for line in (SETS / f"{name}.jsonl").read_text(encoding="utf-8").splitlines() if line]


def _judged(text: str) -> tuple[str | None, bool]:
    findings = evaluate(default_protocol().rules, MessageEvent(text))
    top = min((f.severity for f in findings), key=lambda s: RANK[s], default=None)
    return top, any(f.safety_reply == "safety" for f in findings)


def _figures(rows: list[dict[str, str]]) -> dict[str, float]:
    hits: dict[str, list[bool]] = {"urgent": [], "high": [], "none": []}
    for row in rows:
        severity, reply = _judged(row["text"])
        if row["label"] == "urgent":
            hits["urgent"].append(severity == "urgent" and reply)
        elif row["label"] == "high":
            hits["high"].append(RANK[severity] <= 1 and reply)
        else:
            hits["none"].append(RANK[severity] > 1)
    return {label: sum(values) / len(values) for label, values in hits.items()}


def test_the_set_is_well_formed_and_the_held_out_part_is_apart() -> None:
    heldout, tuning = _load("heldout"), _load("tuning")
    rows = heldout + tuning
    assert len(rows) >= 2000
    assert sum(r["label"] == "none" for r in rows) >= len(rows) / 2
    assert {r["label"] for r in rows} == {"urgent", "high", "none"}
    assert all(set(r) == {"text", "label", "category", "phenomenon"} for r in rows)
    texts = [" ".join(r["text"].lower().split()) for r in rows]
    assert len(set(texts)) == len(texts)  # no held-out message is also a tuning one


# Floors at the figures measured when these were last changed (benchmarks/risk_language_eval.py
# prints them); they guard against a change that makes the detector worse. The targets are higher.
@pytest.mark.parametrize(
    ("part", "urgent", "high", "ordinary"),
    [("tuning", 0.98, 0.99, 0.96), ("heldout", 0.96, 0.93, 0.92)],
)
def test_figures_do_not_fall(part: str, urgent: float, high: float, ordinary: float) -> None:
    figures = _figures(_load(part))
    assert figures["urgent"] >= urgent, figures
    assert figures["high"] >= high, figures
    assert figures["none"] >= ordinary, figures


def _variants(text: str) -> list[str]:
    """Case, a prefix, a suffix, and two letters swapped in the longest vocabulary word."""
    vocabulary = language.load_vocabulary().words
    words = text.split()
    typo = list(words)
    known = [i for i, w in enumerate(words) if w.lower() in vocabulary and len(w) >= 8]
    if known:
        i = max(known, key=lambda k: len(words[k]))
        w = words[i]
        typo[i] = w[:3] + w[4] + w[3] + w[5:]
    return [text.upper(), text.lower(), f"{text} lol", f"{text} \U0001f62d", f"3. {text}",
            f"mood 2 today. {text}", " ".join(typo)]


def test_metamorphic_variants_of_risk_messages_keep_their_level() -> None:
    order = list(RiskLevel)
    failures = []
    for row in _load("tuning") + _load("heldout"):
        if row["label"] == "none":
            continue
        base = assess(row["text"]).level
        if base is RiskLevel.none:
            continue
        for variant in _variants(row["text"]):
            if order.index(assess(variant).level) < order.index(base):
                failures.append((row["text"], variant, base.value, assess(variant).level.value))
    assert failures == []
