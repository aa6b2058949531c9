"""Train the second reader of risk language from the tuning part of the labelled set.

Usage: python benchmarks/train_risk_reader.py

The second reader (companion/clinical/language/reader.py; docs/risk-language.md) is a
multinomial logistic regression over word 1-2-grams and character 2-4-grams (inside word
boundaries), TF-IDF weighted, trained on tests/safety/risk_language/tuning.jsonl only: the
held-out part is never read here. Its thresholds (an urgent reading, a risk reading; one pair
for each context the detector saw where it found no risk of the writer's, combine.reader_context)
are chosen by 5-fold cross-validation on the tuning part, judged together with the concept
detector as the default protocol judges a message, as those that cost least (COST: what a miss
costs in false alarms); the figures of that cross-validation are printed and kept in the file.

Writes companion/clinical/language/reader.json.gz, which records the sha256 of the tuning part it
learned (a test checks that it is the committed part's).

Needs scikit-learn (in the test extra); the companion itself reads the file without it.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import random
import sys
from pathlib import Path

import numpy as np
from scipy.sparse import hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from companion.clinical import language, rules  # noqa: E402
from companion.clinical.language.reader import CLASSES, CONTEXTS, MIN_WORDS, READER_FILE, URGENT_WORDS  # noqa: E402
from companion.protocols import default_protocol  # noqa: E402

TUNING = ROOT / "tests" / "safety" / "risk_language" / "tuning.jsonl"
OUTPUT = ROOT / "companion" / "clinical" / "language" / READER_FILE
WORDS = {"ngram_range": (1, 2), "min_df": 2}
CHARS = {"ngram_range": (2, 4), "min_df": 2}
C = 10.0
FOLDS = 5
# candidate thresholds: P(urgent) for an urgent reading (from 0.5: the reader pages a crisis only
# when urgent is more likely than not), P(urgent) + P(high) for a risk reading
URGENT_CANDIDATES = (0.5, 0.6, 0.7, 0.8, 0.9)
RISK_CANDIDATES = (0.6, 0.7, 0.8, 0.9, 0.95, 0.98)
# Where the detector found no risk of the writer's, each context it saw (reader.CONTEXTS) has its
# own pair, from the same candidates or NEVER (the reader does not raise such a text).
NEVER = 2.0
RANK = {"urgent": 0, "high": 1, "routine": 2, None: 3}
# What a wrong reading costs, in false alarms: a missed urgent message (no crisis page, perhaps no
# safety reply) as much as five, a missed high one as one and a half. The thresholds are the ones
# whose cross-validated readings cost least.
COST = {"urgent": 10.0, "high": 3.0, "false_alarms": 2.0}
# How patients wrap what they say: an opener or a mood number in front, an afterthought after, a
# slip of the finger. Each training message is also learned in a few such variants, so that a
# reading does not turn on them.
OPENERS = ("3.", "2 -", "mood 4.", "mood 2 today.", "hey", "ok so", "idk", "so yeah", "sorry", "7/10.", "1.",
           "hi its me")
AFTERTHOUGHTS = ("lol", "lmao", "haha", "idk", "\U0001f62d", "\U0001f642", "\U0001f480", "ugh", "tbh", "anyway",
                 "...", "!!")
VARIANTS = 5


def _typo(text: str, rng: random.Random) -> str:
    words = text.split()
    long = [i for i, w in enumerate(words) if len(w) >= 5 and w.isalpha()]
    if not long:
        return text
    i = rng.choice(long)
    w = words[i]
    k = rng.randrange(1, len(w) - 2)
    words[i] = w[:k] + w[k + 1] + w[k] + w[k + 2 :]
    return " ".join(words)


def _variants(text: str, rng: random.Random) -> list[str]:
    out = []
    for _ in range(VARIANTS):
        variant = text
        if rng.random() < 0.5:
            variant = f"{rng.choice(OPENERS)} {variant}"
        if rng.random() < 0.5:
            variant = f"{variant} {rng.choice(AFTERTHOUGHTS)}"
        if rng.random() < 0.5 or variant == text:
            variant = _typo(variant, rng)
        out.append(variant)
    return out


def _augmented(texts: list[str], labels: np.ndarray, seed: int) -> tuple[list[str], np.ndarray]:
    rng = random.Random(seed)
    out_texts, out_labels = [], []
    for text, label in zip(texts, labels, strict=True):
        for variant in [text, *_variants(text, rng)]:
            out_texts.append(language.reader_text(variant))
            out_labels.append(label)
    return out_texts, np.array(out_labels)


def _vectorizers() -> tuple[TfidfVectorizer, TfidfVectorizer]:
    words = TfidfVectorizer(sublinear_tf=True, **WORDS)
    chars = TfidfVectorizer(analyzer="char_wb", sublinear_tf=True, **CHARS)
    return words, chars


def _fit(texts: list[str], labels: np.ndarray) -> tuple[TfidfVectorizer, TfidfVectorizer, LogisticRegression]:
    """The vocabulary and idf from the messages as written; the model from them and their
    variants, each read as the reader reads it."""
    words, chars = _vectorizers()
    read = [language.reader_text(text) for text in texts]
    words.fit(read)
    chars.fit(read)
    many, many_labels = _augmented(texts, labels, seed=len(texts))
    matrix = hstack([words.transform(many), chars.transform(many)]).tocsr()
    model = LogisticRegression(C=C, max_iter=5000, class_weight="balanced").fit(matrix, many_labels)
    return words, chars, model


def _proba(fitted: tuple[TfidfVectorizer, TfidfVectorizer, LogisticRegression], texts: list[str]) -> np.ndarray:
    words, chars, model = fitted
    read = [language.reader_text(text) for text in texts]
    proba = model.predict_proba(hstack([words.transform(read), chars.transform(read)]).tocsr())
    counts = np.array([len(words.build_tokenizer()(text)) for text in read])
    short = counts < URGENT_WORDS  # urgent counted as high (reader.Reader.opinion)
    proba[short, 1] += proba[short, 0]
    proba[short, 0] = 0.0
    proba[counts < MIN_WORDS] = [0.0, 0.0, 1.0]  # not read
    return proba


def _judged(text: str, protocol_rules: list[rules.Rule]) -> tuple[str | None, bool, str]:
    """The default protocol's top severity for the text from the concept detector alone, as its
    risk_language rules map a reading (companion/clinical/rules/checks.py), and whether the
    detector placed risk words in it as harmless, and what it saw (combine.reader_context)."""
    found = language.assess(text, second_reader=False)
    severities = [
        rule.severity for rule in protocol_rules
        if isinstance(rule.params, rules.RiskLanguageParams) and found.level.value in rule.params.levels
        and (rule.params.language_severity is None or found.severity in rule.params.language_severity)
    ]
    return min(severities, key=lambda s: RANK[s], default=None), *language.placed(text)


Base = tuple[str | None, bool, str]  # the detector's severity, placed harmless, its context


def _raised(base: Base, p: np.ndarray, thresholds: dict[str, tuple[float, float]]) -> str | None:
    """As reader.second_opinion raises a reading."""
    severity, harmless, context = base
    found = RANK[severity] > RANK["high"]  # the detector found no risk of the writer's
    urgent, risk = thresholds[context] if found else thresholds["read"]
    if p[0] >= urgent and not harmless:
        return "urgent"
    if p[0] + p[1] >= risk and found:
        return "high"
    return severity


def _figures(rows: list[dict[str, str]], base: list[Base], proba: np.ndarray,
             thresholds: dict[str, tuple[float, float]]) -> dict[str, float]:
    hits: dict[str, list[bool]] = {"urgent": [], "high": [], "none": []}
    for row, judged, p in zip(rows, base, proba, strict=True):
        severity = _raised(judged, p, thresholds)
        if row["label"] == "none":
            hits["none"].append(RANK[severity] <= RANK["high"])
        elif row["label"] == "urgent":
            hits["urgent"].append(severity == "urgent")
        else:
            hits["high"].append(RANK[severity] <= RANK["high"])
    return {"urgent": float(np.mean(hits["urgent"])), "high": float(np.mean(hits["high"])),
            "false_alarms": float(np.mean(hits["none"]))}


def _cost(rows: list[dict[str, str]], base: list[Base], proba: np.ndarray,
          thresholds: dict[str, tuple[float, float]]) -> float:
    """What the readings cost, in false alarms (COST)."""
    cost = 0.0
    for row, judged, p in zip(rows, base, proba, strict=True):
        severity = _raised(judged, p, thresholds)
        if row["label"] == "none":
            cost += COST["false_alarms"] * (RANK[severity] <= RANK["high"])
        elif row["label"] == "urgent":
            cost += COST["urgent"] * (severity != "urgent")
        else:
            cost += COST["high"] * (RANK[severity] > RANK["high"])
    return cost


def _choose(rows: list[dict[str, str]], texts: list[str], labels: np.ndarray, base: list[Base]) -> dict[str, object]:
    """Cross-validated thresholds: the ones whose misses and false alarms cost least (COST);
    among equals the higher (more sparing) thresholds. The messages of each context the detector
    saw with no risk of the writer's found are read by their context's pair alone, so each pair is
    chosen on them; the others (and "read") by the main pair."""
    proba = np.zeros((len(rows), len(CLASSES)))
    for train, test in StratifiedKFold(FOLDS, shuffle=True, random_state=0).split(texts, labels):
        fitted = _fit([texts[i] for i in train], labels[train])
        proba[test] = _proba(fitted, [texts[i] for i in test])
    pairs = [(u, r) for u in URGENT_CANDIDATES for r in RISK_CANDIDATES]
    chosen: dict[str, tuple[float, float]] = {}
    # the main pair: on the messages the detector found the writer's risk in, and those it saw as "read"
    main = [i for i, (severity, _, context) in enumerate(base) if RANK[severity] <= RANK["high"] or context == "read"]
    chosen["read"] = _cheapest([rows[i] for i in main], [base[i] for i in main], proba[main], pairs, "read")
    for context in CONTEXTS:
        if context == "read":
            continue
        part = [i for i, (severity, _, c) in enumerate(base) if RANK[severity] > RANK["high"] and c == context]
        options = [*pairs, *((u, NEVER) for u in URGENT_CANDIDATES), (NEVER, NEVER)]
        chosen[context] = _cheapest([rows[i] for i in part], [base[i] for i in part], proba[part], options, context)
    figures = _figures(rows, base, proba, chosen)
    print(f"  chosen: {chosen}; cross-validated: urgent {figures['urgent']:.1%}, high {figures['high']:.1%},"
          f" false alarms {figures['false_alarms']:.1%}")
    thresholds: dict[str, object] = {"urgent": chosen["read"][0], "risk": chosen["read"][1], "cross_validated": figures}
    for context in CONTEXTS:
        if context != "read":
            thresholds[f"{context}_urgent"], thresholds[f"{context}_risk"] = chosen[context]
    return thresholds


def _cheapest(rows: list[dict[str, str]], base: list[Base], proba: np.ndarray,
              options: list[tuple[float, float]], context: str) -> tuple[float, float]:
    best: tuple[tuple[float, ...], tuple[float, float]] | None = None
    for urgent, risk in options:
        thresholds = dict.fromkeys(CONTEXTS, (urgent, risk))
        cost = _cost(rows, base, proba, thresholds)
        key = (-round(cost, 6), urgent, risk)
        if best is None or key > best[0]:
            best = (key, (urgent, risk))
    assert best is not None
    print(f"  {context} ({len(rows)} messages): urgent >= {best[1][0]}, risk >= {best[1][1]}, cost {-best[0][0]:.0f}")
    return best[1]


def _features(vectorizer: TfidfVectorizer, coef: np.ndarray) -> dict[str, list[float]]:
    return {term: [round(float(vectorizer.idf_[i]), 6), *(round(float(c), 6) for c in coef[:, i])]
            for term, i in sorted(vectorizer.vocabulary_.items())}


def export(words: TfidfVectorizer, chars: TfidfVectorizer, model: LogisticRegression,
           thresholds: dict[str, object], trained_on: dict[str, object]) -> bytes:
    """The file the companion reads (companion/clinical/language/reader.py)."""
    width = len(words.vocabulary_)
    data = {
        "about": "second reader of risk language; benchmarks/train_risk_reader.py; docs/risk-language.md",
        "classes": list(CLASSES),
        "trained_on": trained_on,
        "thresholds": thresholds,
        "intercept": [round(float(b), 6) for b in model.intercept_],
        "words": {"ngram_range": list(words.ngram_range), "features": _features(words, model.coef_[:, :width])},
        "chars": {"ngram_range": list(chars.ngram_range), "features": _features(chars, model.coef_[:, width:])},
    }
    raw = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return gzip.compress(raw, compresslevel=9, mtime=0)


def build() -> bytes:
    text = TUNING.read_text(encoding="utf-8")
    rows = [json.loads(line) for line in text.splitlines() if line.strip()]
    texts = [row["text"] for row in rows]
    labels = np.array([CLASSES.index(row["label"]) for row in rows])
    protocol_rules = list(default_protocol().rules)
    base = [_judged(row["text"], protocol_rules) for row in rows]
    alone = _figures(rows, base, np.zeros((len(rows), len(CLASSES))), dict.fromkeys(CONTEXTS, (NEVER, NEVER)))
    print(f"the detector alone: urgent {alone['urgent']:.1%}, high {alone['high']:.1%},"
          f" false alarms {alone['false_alarms']:.1%}")
    thresholds = _choose(rows, texts, labels, base)
    words, chars, model = _fit(texts, labels)
    trained_on = {"file": "tests/safety/risk_language/tuning.jsonl", "messages": len(rows),
                  "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest()}
    return export(words, chars, model, thresholds, trained_on)


def main() -> int:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()
    built = build()
    data = json.loads(gzip.decompress(built))
    print(f"thresholds: {data['thresholds']}")
    print(f"features: {len(data['words']['features'])} word, {len(data['chars']['features'])} character")
    OUTPUT.write_bytes(built)
    print(f"wrote {OUTPUT} ({len(built)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
