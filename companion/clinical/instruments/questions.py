"""The shape of a question and of an instrument; the errors of looking up a question or answering one.

A question carries its app and SMS wording, its answer type, its allowed answers and its skip rule
(:class:`AskIf`); an instrument is a versioned, ordered tuple of questions with distinct keys.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

from companion.clinical.instruments.gsm7 import _check_sms_text

__all__ = [
    "TEXT_MAX_CHARS",
    "AnswerError",
    "AnswerType",
    "AnswerValue",
    "AskIf",
    "Channel",
    "Choice",
    "Instrument",
    "Question",
    "UnknownQuestion",
]

Channel = Literal["sms", "app"]
AnswerValue = int | float | bool | str

#: Longest free-text answer accepted from the app.
TEXT_MAX_CHARS = 1000


class AnswerType(StrEnum):
    SCALE = "scale"  # integer in [min, max]
    CHOICE = "choice"  # one of the named choices, stored as the choice's integer value
    YESNO = "yesno"  # bool
    NUMBER = "number"  # float in [min, max], e.g. hours slept
    TEXT = "text"  # free text, at most TEXT_MAX_CHARS characters


class UnknownQuestion(KeyError):
    """The instrument has no question with this key."""

    def __init__(self, instrument_code: str, key: str) -> None:
        super().__init__(key)
        self.instrument_code = instrument_code
        self.key = key

    def __str__(self) -> str:
        return f"instrument {self.instrument_code!r} has no question {self.key!r}"


class AnswerError(ValueError):
    """An answer does not fit its question. `message` names the question and what is allowed."""

    def __init__(self, question_key: str, message: str) -> None:
        super().__init__(message)
        self.question_key = question_key
        self.message = message

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True, slots=True)
class Choice:
    value: int
    label: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class AskIf:
    """Skip rule: the question is asked only when the earlier question `key` was answered `equals`."""

    key: str
    equals: int | bool


@dataclass(frozen=True, slots=True)
class Question:
    key: str
    sms_text: str
    app_text: str
    answer_type: AnswerType
    min: float | None = None
    max: float | None = None
    choices: tuple[Choice, ...] = ()
    optional: bool = False
    sms: bool = True
    ask_if: AskIf | None = None

    def __post_init__(self) -> None:
        _check_sms_text(self.sms_text, self.key)
        if not self.app_text.strip():
            raise ValueError(f"{self.key}: app text must not be empty")
        kind = self.answer_type
        if kind in (AnswerType.SCALE, AnswerType.NUMBER):
            if self.min is None or self.max is None or self.min >= self.max:
                raise ValueError(f"{self.key}: a {kind} question needs min < max")
            if kind is AnswerType.SCALE and not (float(self.min).is_integer() and float(self.max).is_integer()):
                raise ValueError(f"{self.key}: a scale question needs whole-number bounds")
        elif self.min is not None or self.max is not None:
            raise ValueError(f"{self.key}: only scale and number questions have min and max")
        if kind is AnswerType.CHOICE:
            values = [choice.value for choice in self.choices]
            if not values or len(set(values)) != len(values):
                raise ValueError(f"{self.key}: a choice question needs choices with distinct values")
        elif self.choices:
            raise ValueError(f"{self.key}: only choice questions have choices")

    def choice(self, value: int) -> Choice:
        """The choice with this value (KeyError if there is none)."""
        for choice in self.choices:
            if choice.value == value:
                return choice
        raise KeyError(value)

    @property
    def bounds(self) -> tuple[float, float] | None:
        """Smallest and largest allowed numeric answer (for choices: the choice values)."""
        if self.answer_type is AnswerType.CHOICE:
            values = [choice.value for choice in self.choices]
            return float(min(values)), float(max(values))
        if self.min is not None and self.max is not None:
            return self.min, self.max
        return None


@dataclass(frozen=True, slots=True)
class Instrument:
    code: str
    version: str
    title: str
    questions: tuple[Question, ...]
    sms_intro: str | None = None
    app_intro: str | None = None
    patient_title: str | None = None  # what the patient reads, without jargon; ``title`` when None
    _by_key: dict[str, Question] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_key: dict[str, Question] = {}
        for question in self.questions:
            if question.key in by_key:
                raise ValueError(f"{self.code}: duplicate question key {question.key!r}")
            if question.ask_if is not None and question.ask_if.key not in by_key:
                raise ValueError(
                    f"{self.code}: {question.key!r} depends on {question.ask_if.key!r}, "
                    "which must be an earlier question"
                )
            by_key[question.key] = question
        if not by_key:
            raise ValueError(f"{self.code}: an instrument needs at least one question")
        if self.sms_intro is not None:
            _check_sms_text(self.sms_intro, f"{self.code} intro")
        object.__setattr__(self, "_by_key", by_key)

    @property
    def title_for_patient(self) -> str:
        return self.patient_title or self.title

    def question(self, key: str) -> Question:
        try:
            return self._by_key[key]
        except KeyError:
            raise UnknownQuestion(self.code, key) from None

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(question.key for question in self.questions)
