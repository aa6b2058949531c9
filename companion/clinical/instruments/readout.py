"""A check-in read back: every question of the instrument in order, with its wording and the
answer the patient gave in words, for the care team (docs/clinical.md, "What raised an alert").

A question the skip rules left out is "not asked"; one still waiting is "unanswered"; an optional
question the patient chose to skip is "skipped". An answer stored under a key the instrument does
not know (an older version) is read back after the questions, under its key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from companion.clinical.instruments.flow import applicable_questions
from companion.clinical.instruments.questions import AnswerType, Instrument, Question

__all__ = ["ItemState", "ReadItem", "answer_label", "read_back"]

ItemState = Literal["answered", "skipped", "unanswered", "not_asked"]


@dataclass(frozen=True, slots=True)
class ReadItem:
    number: int  # the question's place in the instrument, from 1
    key: str
    question: str  # the app wording, the instrument's full text
    state: ItemState
    value: object = None
    label: str | None = None  # the answer in words: "Yes", "Nearly every day", "7 of 10", the text


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def answer_label(question: Question, value: object) -> str | None:
    """The answer in words, as the question offered it; None for no answer."""
    if value is None:
        return None
    kind = question.answer_type
    if kind is AnswerType.YESNO and isinstance(value, bool):
        return "Yes" if value else "No"
    if kind is AnswerType.CHOICE and isinstance(value, int) and not isinstance(value, bool):
        try:
            return question.choice(value).label
        except KeyError:
            return str(value)
    if kind is AnswerType.SCALE and isinstance(value, int | float) and not isinstance(value, bool):
        assert question.max is not None
        return f"{_number(value)} of {_number(question.max)}"
    if kind is AnswerType.NUMBER and isinstance(value, int | float) and not isinstance(value, bool):
        return _number(value)
    return str(value)


def _state(question: Question, answers: Mapping[str, object], asked: set[str]) -> ItemState:
    if question.key in answers:
        return "skipped" if answers[question.key] is None else "answered"
    return "unanswered" if question.key in asked else "not_asked"


def read_back(instrument: Instrument, answers: Mapping[str, object]) -> tuple[ReadItem, ...]:
    """Every question of ``instrument`` in order with its answer, then any answer under a key the
    instrument does not know."""
    asked = {question.key for question in applicable_questions(instrument, answers, "app")}
    items = [
        ReadItem(number, question.key, question.app_text, _state(question, answers, asked),
                 answers.get(question.key), answer_label(question, answers.get(question.key)))
        for number, question in enumerate(instrument.questions, start=1)
    ]
    known = set(instrument.keys)
    extra = [key for key in answers if key not in known]
    items += [
        ReadItem(len(instrument.questions) + offset, key, key, "answered" if answers[key] is not None else "skipped",
                 answers[key], None if answers[key] is None else str(answers[key]))
        for offset, key in enumerate(extra, start=1)
    ]
    return tuple(items)
