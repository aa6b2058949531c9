"""Evaluate free-text risk judging on the labelled set, as the default protocol judges it.

Usage: python benchmarks/risk_language_eval.py [--part heldout|tuning|all] [--misses]
           [--without-second-reader] [FILE ...]

Each line of a set is {"text", "label": "urgent"|"high"|"none", "category", "phenomenon"}. A
message is judged as a patient's SMS is: the detector reads it and the default protocol's rules
turn the reading into findings. Printed for each part: recall per label (urgent: an urgent finding
and the safety reply; high: at least a high finding and the safety reply), recall per category and
per phenomenon, false alarms (an urgent or high finding on a message labelled none), and the
slowest message's time (each message, and the longest repeated to 1,600 characters, timed as the
best of three runs; the ten slowest again as the best of a hundred).

The second reader (companion/clinical/language/reader.py) was trained on the tuning part, so its
figures there are not a measure of how it generalises: the cross-validated ones its training kept
are printed beside them. ``--without-second-reader`` judges with the concept detector alone.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from companion.clinical import language, rules
from companion.clinical.language.reader import load_reader
from companion.clinical.rules import checks
from companion.protocols import default_protocol

SETS = Path(__file__).resolve().parents[1] / "tests" / "safety" / "risk_language"
RANK = {"urgent": 0, "high": 1, "routine": 2, None: 3}


@dataclass(frozen=True)
class Item:
    text: str
    label: str
    category: str
    phenomenon: str


@dataclass(frozen=True)
class Outcome:
    severity: str | None  # the highest finding's severity
    safety_reply: bool


def load(path: Path) -> list[Item]:
    items = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            row = json.loads(line)
            if row["label"] not in {"urgent", "high", "none"}:
                raise ValueError(f"{path}:{number}: unknown label {row['label']!r}")
            items.append(Item(row["text"], row["label"], row["category"], row["phenomenon"]))
    return items


def judge(protocol_rules: Sequence[rules.Rule], text: str) -> Outcome:
    findings = rules.evaluate(protocol_rules, rules.MessageEvent(text=text))
    severity = min((f.severity for f in findings), key=lambda s: RANK[s], default=None)
    return Outcome(severity, any(f.safety_reply == "safety" for f in findings))


def met(item: Item, outcome: Outcome) -> bool:
    """Whether the outcome is what the label asks for."""
    if item.label == "urgent":
        return outcome.severity == "urgent" and outcome.safety_reply
    if item.label == "high":
        return RANK[outcome.severity] <= RANK["high"] and outcome.safety_reply
    return RANK[outcome.severity] > RANK["high"]


def ratio(part: int, whole: int) -> str:
    return f"{part}/{whole} = {100 * part / whole:.1f}%" if whole else "n/a"


def report(name: str, items: list[Item], protocol_rules: Sequence[rules.Rule], misses: bool) -> dict[str, float]:
    outcomes = [judge(protocol_rules, item.text) for item in items]
    print(f"== {name}: {len(items)} messages")
    figures: dict[str, float] = {}
    for label in ("urgent", "high", "none"):
        part = [(i, o) for i, o in zip(items, outcomes, strict=True) if i.label == label]
        good = sum(met(i, o) for i, o in part)
        title = {"urgent": "urgent -> urgent + safety reply", "high": "high -> at least high + safety reply",
                 "none": "ordinary -> no urgent or high"}[label]
        print(f"  {title:<40} {ratio(good, len(part))}")
        figures[label] = good / len(part) if part else 1.0
    none = [o for i, o in zip(items, outcomes, strict=True) if i.label == "none"]
    alarms = sum(RANK[o.severity] <= RANK["high"] for o in none)
    print(f"  {'false alarms on ordinary messages':<40} {ratio(alarms, len(none))}")
    figures["false_alarms"] = alarms / len(none) if none else 0.0
    for field in ("category", "phenomenon"):
        groups: dict[str, list[bool]] = defaultdict(list)
        for item, outcome in zip(items, outcomes, strict=True):
            groups[getattr(item, field)].append(met(item, outcome))
        print(f"  by {field}:")
        for key in sorted(groups):
            values = groups[key]
            print(f"    {key:<22} {ratio(sum(values), len(values))}")
    if misses:
        print("  misses:")
        for item, outcome in zip(items, outcomes, strict=True):
            if not met(item, outcome):
                reading = language.assess(item.text)
                print(f"  - [{item.label} -> {outcome.severity}] ({item.category}) {item.text[:300]!r}")
                for line in reading.evidence:
                    print(f"        {line}")
    return figures


def slowest(items: list[Item]) -> tuple[float, str]:
    """The slowest message: every message timed as the best of three runs, then the ten slowest
    again as the best of a hundred (the code's time, not the machine's load at that moment)."""
    longest = max((i.text for i in items), key=len)
    candidates = {i.text for i in items} | {(longest * 4)[:1600]}
    first = sorted(((min(_time(text) for _ in range(3)), text) for text in candidates), reverse=True)
    return max((min(_time(text) for _ in range(100)), text) for _, text in first[:10])


def _time(text: str) -> float:
    start = time.perf_counter()
    language.assess(text, fresh=True)
    return time.perf_counter() - start


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=["heldout", "tuning", "all"], default="all")
    parser.add_argument("--misses", action="store_true", help="list the messages judged wrongly")
    parser.add_argument("--without-second-reader", action="store_true", help="the concept detector alone")
    parser.add_argument("files", nargs="*", type=Path)
    args = parser.parse_args(argv)
    if args.without_second_reader:
        checks.assess = lambda text: language.assess(text, second_reader=False)  # type: ignore[assignment]
    protocol_rules = default_protocol().rules
    language.warm()
    parts = {p.stem: load(p) for p in args.files} if args.files else {
        name: load(SETS / f"{name}.jsonl") for name in ("tuning", "heldout") if args.part in {name, "all"}}
    verdict: bool | None = None
    everything: list[Item] = []
    for name, items in parts.items():
        figures = report(name, items, protocol_rules, args.misses and name != "heldout")
        everything += items
        if name == "tuning" and not args.without_second_reader:
            cv = load_reader().cross_validated
            print("  (the second reader learned this part; its 5-fold cross-validated figures with the detector:"
                  f" urgent {cv['urgent']:.1%}, high {cv['high']:.1%}, false alarms {cv['false_alarms']:.1%})")
        if name == "heldout":
            verdict = figures["urgent"] == 1.0 and figures["high"] >= 0.98 and figures["false_alarms"] < 0.05
    seconds, text = slowest(everything)
    print(f"slowest message: {seconds * 1000:.2f} ms ({len(text)} characters; target < 5 ms)")
    if verdict is not None:
        print("held-out targets (urgent 100%, high >= 98%, false alarms < 5%):", "met" if verdict else "NOT met")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
