"""Evaluate the risk-language detector on a labelled set.

Usage: python benchmarks/risk_language_eval.py [path-to-jsonl]

Each line of the set is {"text": ..., "label": "intent"|"self_harm"|"passive"|"uncertain"|"none"}.
Prints the number of items per label, recall on risk (intent, self_harm and passive items that get any
severity), urgent recall on intent items, the false-alarm rate on none items (any severity), a
confusion table of labelled against predicted level, and the misclassified items.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from companion.safety.language import RiskAssessment, RiskLevel, assess

DEFAULT_SET = Path(__file__).resolve().parents[1] / "tests" / "safety" / "risk_language_set.jsonl"
LEVELS = [level.value for level in RiskLevel]
RISK_LABELS = {"intent", "self_harm", "passive"}


def load(path: Path) -> list[tuple[str, str]]:
    items: list[tuple[str, str]] = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            row = json.loads(line)
            if row["label"] not in LEVELS:
                raise ValueError(f"line {number}: unknown label {row['label']!r}")
            items.append((row["text"], row["label"]))
    return items


def ratio(part: int, whole: int) -> str:
    return f"{part}/{whole} = {part / whole:.3f}" if whole else "n/a"


def main(argv: list[str]) -> int:
    path = Path(argv[1]) if len(argv) > 1 else DEFAULT_SET
    items = load(path)
    results: list[tuple[str, str, RiskAssessment]] = [(text, label, assess(text)) for text, label in items]

    counts = Counter(label for _, label, _ in results)
    print(f"Set: {path} ({len(results)} items)")
    for level in LEVELS:
        print(f"  {level:<10} {counts[level]}")

    risk = [r for r in results if r[1] in RISK_LABELS]
    intent = [r for r in results if r[1] == "intent"]
    none = [r for r in results if r[1] == "none"]
    uncertain = [r for r in results if r[1] == "uncertain"]
    print()
    print(
        f"Recall on risk (intent+self_harm+passive with a severity): "
        f"{ratio(sum(a.severity is not None for _, _, a in risk), len(risk))}"
    )
    print(
        f"Intent items never silent:                               "
        f"{ratio(sum(a.severity is not None for _, _, a in intent), len(intent))}"
    )
    print(
        f"Urgent recall on intent:                                 "
        f"{ratio(sum(a.severity == 'urgent' for _, _, a in intent), len(intent))}"
    )
    print(
        f"Uncertain items with a severity:                         "
        f"{ratio(sum(a.severity is not None for _, _, a in uncertain), len(uncertain))}"
    )
    print(f"False-alarm rate on none (any severity):                 "
          f"{ratio(sum(a.severity is not None for _, _, a in none), len(none))}")  # fmt: skip

    print()
    print("Confusion (rows: label, columns: predicted level)")
    matrix = Counter((label, a.level.value) for _, label, a in results)
    width = max(len(level) for level in LEVELS) + 2
    print(" " * width + "".join(f"{level:>{width}}" for level in LEVELS))
    for label in LEVELS:
        print(f"{label:<{width}}" + "".join(f"{matrix[(label, level)]:>{width}}" for level in LEVELS))

    wrong = [r for r in results if r[2].level.value != r[1]]
    print()
    print(f"Misclassified: {len(wrong)}")
    for text, label, assessment in wrong:
        print(f"- [{label} -> {assessment.level.value}/{assessment.severity}] {text}")
        for line in assessment.evidence:
            print(f"      {line}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
