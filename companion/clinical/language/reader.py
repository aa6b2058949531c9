"""The second reader: a linear model of how messages labelled urgent, high and none are written.

The concept detector (concepts.py, combine.py) places what it recognises; wording it has no frame
for reads as nothing. The second reader was learned from the tuning part of the labelled set
(benchmarks/train_risk_reader.py; docs/risk-language.md): word 1-2-grams and character 2-4-grams
inside word boundaries, TF-IDF weighted with sublinear counts, a multinomial logistic regression.
It never lowers the detector's reading; it raises it where the detector stayed below it:

- an urgent reading (P(urgent) at or above the file's ``urgent`` threshold) is urgent: ``intent``;
- a risk reading (P(urgent) + P(high) at or above ``risk``) of a text the detector found no
  risk in is ``uncertain`` (high): the screener asks, the companion never stays silent.

Where the detector found no risk of the writer's, the thresholds are those of what it saw
(combine.reader_context): risk words placed away from the writer's present (denied, reported,
another person's, media, the resolved past: "no plan, not going to act on anything" reads to the
reader much like a plan, whose it is escapes it), no concept at all, distress aside (everyday talk
as far as the vocabulary knows), or risk words judged below risk. Each pair is chosen by
cross-validation.

The evidence says so and names the words that weighed most. Pure: the file is read once, then
each text costs one pass over its n-grams.
"""

from __future__ import annotations

import gzip
import importlib.resources
import json
import math
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain
from typing import Any

from companion.clinical.language.levels import RiskAssessment, RiskLevel

__all__ = ["CLASSES", "CONTEXTS", "MIN_WORDS", "READER_FILE", "URGENT_WORDS", "Opinion", "Reader", "char_grams",
           "load_reader", "parse_reader", "second_opinion", "word_grams"]

READER_FILE = "reader.json.gz"
CLASSES = ("urgent", "high", "none")
CONTEXTS = ("placed", "bare", "read")  # what the detector saw (combine.reader_context)
_TOKEN = re.compile(r"(?u)\b\w\w+\b")
_SPACES = re.compile(r"\s\s+")
_SHOWN_WORDS = 3
# Fewer words than MIN_WORDS give the model too little to read ("3", "stop", "note one"): the
# detector alone reads them (its vocabulary has the short slang, "kms"). Fewer than URGENT_WORDS
# can read as risk (the screener asks), never as a crisis on the reader's word alone ("note to self").
MIN_WORDS = 3
URGENT_WORDS = 5


def word_grams(text: str, low: int, high: int) -> Iterator[str]:
    """Word n-grams of the lower-cased text (words of two or more letters or digits)."""
    tokens = _TOKEN.findall(text.lower())
    for n in range(low, high + 1):
        for i in range(len(tokens) - n + 1):
            yield " ".join(tokens[i : i + n])


def char_grams(text: str, low: int, high: int) -> Iterator[str]:
    """Character n-grams inside each word padded with a space either side; a padded word no
    longer than ``n`` gives itself once and no longer n-grams."""
    for word in _SPACES.sub(" ", text.lower()).split():
        padded = f" {word} "
        for n in range(low, high + 1):
            if n >= len(padded):
                yield padded
                break
            for i in range(len(padded) - n + 1):
                yield padded[i : i + n]


@dataclass(frozen=True)
class _Space:
    """One vectoriser: its n-gram range and, per feature, the idf and one weight per class."""

    low: int
    high: int
    features: Mapping[str, Sequence[float]]

    def weighted(self, grams: Iterable[str]) -> list[tuple[str, float, Sequence[float]]]:
        """Known features with their normalised TF-IDF value and class weights."""
        counts = Counter(g for g in grams if g in self.features)
        values = [(g, (1.0 + math.log(n)) * self.features[g][0]) for g, n in counts.items()]
        norm = math.sqrt(sum(v * v for _, v in values))
        return [(g, v / norm, self.features[g][1:]) for g, v in values] if norm else []

    def add_scores(self, grams: Iterable[str], scores: list[float], *, known: bool = False) -> None:
        """Add the space's part of each class's score (urgent, high, none): the dot product of the
        normalised TF-IDF vector with the class weights, in one pass (the norm divides the sums
        once). ``known``: the grams are all features already."""
        features = self.features
        counts = Counter(grams if known else (g for g in grams if g in features))
        squares = urgent = high = none = 0.0
        log = math.log
        for g, n in counts.items():
            idf, w_urgent, w_high, w_none = features[g]
            value = (1.0 + log(n)) * idf if n > 1 else idf
            squares += value * value
            urgent += value * w_urgent
            high += value * w_high
            none += value * w_none
        if squares:
            norm = math.sqrt(squares)
            scores[0] += urgent / norm
            scores[1] += high / norm
            scores[2] += none / norm


class _CharSpace(_Space):
    """Character n-grams are read word by word: a word's known n-grams are kept once found."""

    _LIMIT = 50_000

    def __init__(self, low: int, high: int, features: Mapping[str, Sequence[float]]) -> None:
        super().__init__(low, high, features)
        object.__setattr__(self, "_known", {})

    def grams(self, text: str) -> Iterator[str]:
        """The text's known character n-grams (each word's found once and kept)."""
        known: dict[str, tuple[str, ...]] = self._known  # type: ignore[attr-defined]
        words = text.lower().split()
        if len(known) > self._LIMIT:
            known.clear()
        for word in set(words).difference(known):
            known[word] = tuple(g for g in char_grams(word, self.low, self.high) if g in self.features)
        return chain.from_iterable(known[word] for word in words)


@dataclass(frozen=True)
class Opinion:
    """The second reader's probabilities, and the words that weighed most toward risk."""

    urgent: float
    high: float
    none: float
    words: tuple[str, ...]


@dataclass(frozen=True)
class Reader:
    words: _Space
    chars: _CharSpace
    intercept: Sequence[float]
    urgent_threshold: float
    risk_threshold: float
    # (urgent, risk) thresholds by what the detector saw, where it found no risk of the writer's
    by_context: Mapping[str, tuple[float, float]]
    cross_validated: Mapping[str, float]  # its training's figures, with the detector, on held-back folds

    def opinion(self, text: str) -> Opinion:
        """Its probabilities for the text; a text of fewer than MIN_WORDS words is not read (none),
        one of fewer than URGENT_WORDS has its urgent probability counted as high."""
        count = len(_TOKEN.findall(text))
        if count < MIN_WORDS:
            return Opinion(0.0, 0.0, 1.0, ())
        word_part = self.words.weighted(word_grams(text, self.words.low, self.words.high))
        scores = list(self.intercept)
        for _, value, weights in word_part:
            for k, weight in enumerate(weights):
                scores[k] += value * weight
        self.chars.add_scores(self.chars.grams(text), scores, known=True)
        top = max(scores)
        exps = [math.exp(s - top) for s in scores]
        total = sum(exps)
        urgent, high, none = (e / total for e in exps)
        if count < URGENT_WORDS:
            urgent, high = 0.0, urgent + high
        # toward risk: what a word adds to urgent and high over none
        lean = sorted(((value * (w[0] + w[1] - 2 * w[2]), g) for g, value, w in word_part), reverse=True)
        return Opinion(urgent, high, none, tuple(g for weight, g in lean[:_SHOWN_WORDS] if weight > 0))


def _space(data: Mapping[str, Any], kind: type[_Space] = _Space) -> _Space:
    low, high = data["ngram_range"]
    features = data["features"]
    if not isinstance(features, dict) or not features:
        raise ValueError("the second reader's file has no features")
    if any(len(v) != 1 + len(CLASSES) for v in features.values()):
        raise ValueError("the second reader's features need an idf and one weight per class")
    return kind(int(low), int(high), features)


def parse_reader(raw: bytes) -> Reader:
    data = json.loads(gzip.decompress(raw))
    if tuple(data["classes"]) != CLASSES or len(data["intercept"]) != len(CLASSES):
        raise ValueError(f"the second reader's classes must be {CLASSES}")
    thresholds = data["thresholds"]
    chars = _space(data["chars"], _CharSpace)
    assert isinstance(chars, _CharSpace)
    urgent, risk = float(thresholds["urgent"]), float(thresholds["risk"])
    by_context = {context: (float(thresholds.get(f"{context}_urgent", urgent)),
                            float(thresholds.get(f"{context}_risk", risk))) for context in CONTEXTS}
    return Reader(_space(data["words"]), chars, tuple(data["intercept"]), urgent, risk, by_context,
                  dict(thresholds["cross_validated"]))


@lru_cache(maxsize=1)
def load_reader() -> Reader:
    """The packaged file, read once per process; a file that cannot be read raises."""
    return parse_reader(importlib.resources.files(__package__).joinpath(READER_FILE).read_bytes())


def second_opinion(found: RiskAssessment, opinion: Opinion, reader: Reader, *,
                   placed_harmless: bool = False, context: str = "read") -> RiskAssessment:
    """The detector's reading, raised where the second reader reads the text as more acute.
    ``placed_harmless``: the detector placed risk words in the text as harmless (a figure of
    speech, an aftercare experience, a context that cancels them): the reader, which cannot see
    placement, then asks (uncertain) rather than pages a crisis. ``context``: what the detector saw
    (combine.reader_context); where it found no risk of the writer's, that context's thresholds
    apply."""
    words = ", ".join(f"'{w}'" for w in opinion.words) or "no single word"
    urgent_at, risk_at = (reader.urgent_threshold, reader.risk_threshold) if found.severity is not None else \
        reader.by_context.get(context, (reader.urgent_threshold, reader.risk_threshold))
    if opinion.urgent >= urgent_at and found.severity != "urgent" and not placed_harmless:
        line = f"intent: second reader: reads as urgent ({opinion.urgent:.2f}), weighed most: {words}"
        return RiskAssessment(RiskLevel.intent, "urgent", (*found.evidence, line), (*found.concepts, "second_reader"))
    risk = opinion.urgent + opinion.high
    if risk >= risk_at and found.severity is None:
        line = f"uncertain: second reader: reads as risk ({risk:.2f}), weighed most: {words}"
        return RiskAssessment(RiskLevel.uncertain, "high", (*found.evidence, line), (*found.concepts, "second_reader"))
    return found
