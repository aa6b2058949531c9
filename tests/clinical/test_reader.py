"""The second reader of risk language: it reads as scikit-learn computed it, it only raises the
detector's reading, it was learned from the committed tuning part, and a broken file fails safe."""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy.sparse import hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from companion.clinical import language
from companion.clinical.language import RiskAssessment, RiskLevel, assess
from companion.clinical.language import reader as reader_module
from companion.clinical.language.reader import (
    CLASSES,
    Opinion,
    char_grams,
    load_reader,
    parse_reader,
    second_opinion,
    word_grams,
)
from companion.clinical.rules import MessageEvent, evaluate
from companion.protocols import default_protocol

ROOT = Path(__file__).parents[2]
TUNING = ROOT / "tests" / "safety" / "risk_language" / "tuning.jsonl"
sys.path.insert(0, str(ROOT / "benchmarks"))

import train_risk_reader  # noqa: E402


def _rows(limit: int | None = None) -> list[dict[str, str]]:
    rows = [json.loads(line) for line in TUNING.read_text(encoding="utf-8").splitlines() if line]
    return rows[:limit] if limit else rows


def test_the_n_grams_are_scikit_learns() -> None:
    words = TfidfVectorizer(ngram_range=(1, 2)).build_analyzer()
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4)).build_analyzer()
    texts = [language.reader_text(row["text"]) for row in _rows()] + ["a", "ab  cd\tef", "I'M OK", "x y"]
    for text in texts:
        assert sorted(word_grams(text, 1, 2)) == sorted(words(text)), text
        assert sorted(char_grams(text, 2, 4)) == sorted(chars(text)), text


def test_its_probabilities_are_the_fitted_models() -> None:
    """A model fitted here on part of the set, exported as the trainer exports it, reads every
    message with scikit-learn's probabilities."""
    rows = _rows()
    train, test = rows[::3], rows[1::7]
    texts = [language.reader_text(r["text"]) for r in train]
    labels = np.array([CLASSES.index(r["label"]) for r in train])
    words = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2).fit(texts)
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True, min_df=2).fit(texts)
    matrix = hstack([words.transform(texts), chars.transform(texts)])
    model = LogisticRegression(C=10.0, max_iter=3000).fit(matrix, labels)
    thresholds = {"urgent": 0.5, "risk": 0.9, "cross_validated": {"urgent": 1.0, "high": 1.0, "false_alarms": 0.0}}
    reader = parse_reader(train_risk_reader.export(words, chars, model, thresholds, {"messages": len(train)}))
    read = [language.reader_text(r["text"]) for r in test]
    expected = model.predict_proba(hstack([words.transform(read), chars.transform(read)]))
    for text, want in zip(read, expected, strict=True):
        if len(list(word_grams(text, 1, 1))) < reader_module.URGENT_WORDS:
            continue
        opinion = reader.opinion(text)
        assert [opinion.urgent, opinion.high, opinion.none] == pytest.approx(list(want), abs=1e-4), text


def test_the_shipped_reader_learned_the_committed_tuning_part() -> None:
    raw = (Path(reader_module.__file__).parent / reader_module.READER_FILE).read_bytes()
    trained_on = json.loads(gzip.decompress(raw))["trained_on"]
    assert trained_on["sha256"] == hashlib.sha256(TUNING.read_bytes()).hexdigest(), (
        "tuning.jsonl changed: run python benchmarks/train_risk_reader.py")
    assert trained_on["messages"] == len(_rows())


_READER = load_reader()
_NOTHING = RiskAssessment(RiskLevel.none, None, ())
_CONCERN = RiskAssessment(RiskLevel.concern, None, ("concern: passive: 'wants to die' (about someone else)",))
_PASSIVE = RiskAssessment(RiskLevel.passive, "high", ("passive: hopeless: 'no point'",), ("hopeless",))
_INTENT = RiskAssessment(RiskLevel.intent, "urgent", ("intent: overdose: 'took 30'",), ("overdose",))


def _opinion(urgent: float, high: float) -> Opinion:
    return Opinion(urgent, high, 1.0 - urgent - high, ("pills",))


@pytest.mark.parametrize(
    ("found", "urgent", "high", "level", "severity"),
    [
        (_NOTHING, 0.01, 0.02, RiskLevel.none, None),  # both read nothing
        (_NOTHING, _READER.urgent_threshold, 0.0, RiskLevel.intent, "urgent"),  # reads as urgent: urgent
        (_PASSIVE, 0.97, 0.01, RiskLevel.intent, "urgent"),  # above the detector's high
        (_CONCERN, 0.9, 0.05, RiskLevel.intent, "urgent"),
        (_NOTHING, 0.1, _READER.risk_threshold - 0.1, RiskLevel.uncertain, "high"),  # reads as risk: ask
        (_CONCERN, 0.2, 0.75, RiskLevel.uncertain, "high"),
        (_NOTHING, 0.1, _READER.risk_threshold - 0.11, RiskLevel.none, None),  # just under: nothing
        (_PASSIVE, 0.2, 0.75, RiskLevel.passive, "high"),  # already high: kept
        (_INTENT, 0.0, 0.0, RiskLevel.intent, "urgent"),  # never lowered
        (_PASSIVE, 0.0, 0.0, RiskLevel.passive, "high"),
    ],
)
def test_the_second_reader_only_raises(found: RiskAssessment, urgent: float, high: float, level: RiskLevel,
                                       severity: str | None) -> None:
    result = second_opinion(found, _opinion(urgent, high), _READER)
    assert (result.level, result.severity) == (level, severity)
    assert result.evidence[: len(found.evidence)] == found.evidence
    if result is not found:
        assert "second reader" in result.evidence[-1] and "'pills'" in result.evidence[-1]
        assert result.concepts[-1] == "second_reader"


def test_what_the_detector_saw_picks_the_thresholds() -> None:
    """Where the detector found no risk of the writer's, the context it saw has its own pair; where
    it found some, the main pair raises it whatever the context."""
    reader = dataclasses.replace(_READER, urgent_threshold=0.5, risk_threshold=0.8,
                                 by_context={"placed": (0.9, 0.95), "bare": (2.0, 2.0), "read": (0.5, 0.8)})
    for context, urgent, high, level in [
        ("read", 0.6, 0.3, RiskLevel.intent),
        ("placed", 0.6, 0.3, RiskLevel.none),  # placed away from the writer: the stricter pair
        ("placed", 0.3, 0.6, RiskLevel.none),
        ("placed", 0.92, 0.05, RiskLevel.intent),
        ("placed", 0.3, 0.66, RiskLevel.uncertain),
        ("bare", 0.99, 0.0, RiskLevel.none),  # never
    ]:
        result = second_opinion(_NOTHING, _opinion(urgent, high), reader, context=context)
        assert result.level is level, (context, urgent, high, result)
    # the detector found the writer's risk: the main pair pages, placed or not
    assert second_opinion(_PASSIVE, _opinion(0.6, 0.3), reader, context="placed").level is RiskLevel.intent


def test_an_older_file_without_context_thresholds_reads_every_context_alike() -> None:
    raw = (Path(reader_module.__file__).parent / reader_module.READER_FILE).read_bytes()
    data = json.loads(gzip.decompress(raw))
    data["thresholds"] = {"urgent": 0.6, "risk": 0.85, "cross_validated": {}}
    reader = parse_reader(gzip.compress(json.dumps(data).encode()))
    assert set(reader.by_context.values()) == {(0.6, 0.85)}


def test_words_the_detector_has_no_frame_for_still_reach_a_person() -> None:
    """Wording the concepts miss but that reads like the urgent messages is urgent, with its evidence."""
    text = "goodnight everyone, the whole bottle of ambien is gone and so am i soon"
    assert assess(text, second_reader=False).severity != "urgent"
    found = assess(text)
    assert found.severity == "urgent", found
    [top, *_] = sorted(evaluate(default_protocol().rules, MessageEvent(text)), key=lambda f: f.severity != "urgent")
    assert (top.severity, top.safety_reply) == ("urgent", "safety")


@pytest.mark.parametrize("text", ["3", "stop", "1", "y", "hi", "\U0001f62d", "note one", "at once"])
def test_a_word_or_two_are_the_detectors_to_read(text: str) -> None:
    assert _READER.opinion(language.reader_text(text)) == Opinion(0.0, 0.0, 1.0, ())


@pytest.mark.parametrize("text", ["note to self", "its all gone now", "sorry for everything"])
def test_a_few_words_are_never_a_crisis_on_the_readers_word_alone(text: str) -> None:
    opinion = _READER.opinion(language.reader_text(text))
    assert opinion.urgent == 0.0 and opinion.high > 0.0


def test_a_reader_that_cannot_be_read_fails_safe(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> object:
        raise ValueError("the second reader's file has no features")

    monkeypatch.setattr(language, "load_reader", broken)
    result = assess("fine thanks, see you thursday", fresh=True)
    assert (result.level, result.severity) == (RiskLevel.uncertain, "high")
    ok, said = language.status()
    assert not ok and "second reader" in said


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"classes": ["urgent", "none"], "intercept": [0, 0]}, "classes"),
        ({"words": {"ngram_range": [1, 2], "features": {}}}, "no features"),
        ({"chars": {"ngram_range": [2, 4], "features": {"ab": [1.0, 0.1]}}}, "one weight per class"),
    ],
)
def test_a_bad_reader_file_is_refused(data: dict[str, object], message: str) -> None:
    good = {"classes": list(CLASSES), "intercept": [0.0, 0.0, 0.0],
            "thresholds": {"urgent": 0.5, "risk": 0.9, "cross_validated": {}},
            "words": {"ngram_range": [1, 2], "features": {"pills": [1.0, 1.0, 0.0, -1.0]}},
            "chars": {"ngram_range": [2, 4], "features": {" p": [1.0, 0.1, 0.0, -0.1]}}}
    with pytest.raises(ValueError, match=message):
        parse_reader(gzip.compress(json.dumps({**good, **data}).encode()))
