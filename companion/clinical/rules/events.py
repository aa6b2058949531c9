"""What the rules judge: the events (an answer, a message, missed check-ins, an undelivered prompt), the
patient's history they are judged against, and the findings of the rules that fire."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TypeAlias

from companion.clinical.rules.params import RuleSeverity, SafetyReply

__all__ = [
    "AnswerEvent",
    "Event",
    "Finding",
    "History",
    "MessageEvent",
    "MissedEvent",
    "UndeliveredEvent",
    "answer_events",
]


@dataclass(frozen=True)
class AnswerEvent:
    """One answer. ``answers_so_far`` holds the check-in's answers including this one."""

    instrument: str
    question_key: str
    value: object
    answers_so_far: Mapping[str, object]


@dataclass(frozen=True)
class MessageEvent:
    """Free text from the patient: an SMS, an app message or a check-in's text answer."""

    text: str


@dataclass(frozen=True)
class MissedEvent:
    """The patient has missed ``in_a_row`` check-ins in a row."""

    in_a_row: int


@dataclass(frozen=True)
class UndeliveredEvent:
    """A prompt could not be delivered; the patient has (or has not) an open high or urgent alert."""

    has_open_alert_high_or_urgent: bool


Event: TypeAlias = AnswerEvent | MessageEvent | MissedEvent | UndeliveredEvent


@dataclass(frozen=True)
class History:
    """What the rules need from before the event.

    ``previous_moods``: the patient's mood answers in time order, most recent last, without the
    answer being judged. ``phq9_baseline_total``: the last PHQ-9 total before the first session.
    """

    previous_moods: Sequence[int] = ()
    phq9_baseline_total: int | None = None


@dataclass(frozen=True)
class Finding:
    """A rule that fired. ``evidence`` is short and carries no patient identifier."""

    rule_id: str
    kind: str
    severity: RuleSeverity
    chain: str
    safety_reply: SafetyReply
    evidence: str


def answer_events(instrument: str, answers: Mapping[str, object]) -> list[AnswerEvent]:
    """Answers given together (a form sent at once), as the events of answering them one by one,
    in the mapping's order; evaluate each in turn so every rule sees the answer that shows it."""
    events: list[AnswerEvent] = []
    so_far: dict[str, object] = {}
    for key, value in answers.items():
        so_far[key] = value
        events.append(AnswerEvent(instrument, key, value, dict(so_far)))
    return events
