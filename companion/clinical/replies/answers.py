"""Answers to check-in questions by SMS: the reply parsed into the stored form of its question's answer
type, or an :class:`Invalid` carrying the re-ask that states the range."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from companion.clinical.instruments import AnswerType, AnswerValue, Question
from companion.clinical.replies.tokens import (
    _match_phrases,
    _normalise,
    _numbers,
    _phrase_table,
    _Phrases,
    _Token,
    _tokenise,
)

__all__ = [
    "MAX_ANSWER_CHARS",
    "MAX_BODY_CHARS",
    "Invalid",
    "InvalidReason",
    "Parsed",
    "ParsedAnswer",
    "parse_answer",
    "reask_text",
]

#: Longest inbound or outbound SMS body.
MAX_BODY_CHARS: Final = 1600
#: A reply longer than one SMS segment is treated as a message to the care team, never as an answer
#: to a scale, choice or yes/no question (it is still stored and scanned for risk by the caller).
MAX_ANSWER_CHARS: Final = 160

InvalidReason = Literal["empty", "ambiguous", "out_of_range", "unrecognised"]


@dataclass(frozen=True, slots=True)
class Parsed:
    value: AnswerValue


@dataclass(frozen=True, slots=True)
class Invalid:
    """An answer that could not be stored; `message` is the re-ask to send, stating the range."""

    reason: InvalidReason
    message: str


ParsedAnswer = Parsed | Invalid

_REASON_PREFIX: Final[dict[InvalidReason, str]] = {
    "empty": "",
    "ambiguous": "Sorry, we need a single answer. ",
    "out_of_range": "Sorry, that is outside the range. ",
    "unrecognised": "Sorry, we didn't understand. ",
}


def _bound_text(bound: float) -> str:
    return str(int(bound)) if float(bound).is_integer() else f"{bound:g}"


def reask_text(question: Question) -> str:
    """How to answer `question`, stating the range; the body of every re-ask."""
    kind = question.answer_type
    if kind is AnswerType.YESNO:
        return "Please reply YES or NO."
    if kind is AnswerType.CHOICE:
        options = ", ".join(f"{choice.value} {choice.label}" for choice in question.choices)
        return f"Please reply with one number: {options}."
    if kind is AnswerType.TEXT:
        return "Please reply with a short message."
    bounds = question.bounds
    assert bounds is not None
    low, high = (_bound_text(bound) for bound in bounds)
    return f"Please reply with one number from {low} to {high}."


def _invalid(reason: InvalidReason, question: Question) -> Invalid:
    return Invalid(reason=reason, message=_REASON_PREFIX[reason] + reask_text(question))


_UNSURE: Final = object()
_YES_NO_PHRASES: Final = _phrase_table(
    {
        **dict.fromkeys(("yes", "y", "yeah", "yea", "yep", "yup", "sure", "of course"), True),
        **dict.fromkeys(("no", "n", "nope", "nah", "not really", "never", "not at all"), False),
        **dict.fromkeys(
            (
                "not sure",
                "not really sure",
                "unsure",
                "maybe",
                "no idea",
                "don't know",
                "dont know",
                "do not know",
                "idk",
            ),
            _UNSURE,
        ),
    }
)


def _choice_table(question: Question) -> _Phrases:
    entries: dict[str, object] = {}
    for choice in question.choices:
        for phrase in (choice.label, *choice.aliases):
            entries[phrase] = choice.value
    return _phrase_table(entries)


def _single(values: list[object]) -> tuple[bool, object]:
    """(True, value) when the values are all the same one; (False, None) otherwise."""
    distinct = set(values)
    if len(distinct) == 1:
        return True, distinct.pop()
    return False, None


def _parse_yes_no(tokens: list[_Token], question: Question) -> ParsedAnswer:
    found = _match_phrases(tokens, _YES_NO_PHRASES)
    if not found:
        return _invalid("unrecognised", question)  # a bare 0 or 1 is not yes or no
    if _UNSURE in found:
        return _invalid("ambiguous", question)
    single, value = _single(found)
    if not single:
        return _invalid("ambiguous", question)
    assert isinstance(value, bool)
    return Parsed(value)


def _parse_choice(tokens: list[_Token], text: str, question: Question) -> ParsedAnswer:
    bounds = question.bounds
    assert bounds is not None
    found: list[object] = [
        *_numbers(tokens, text, bounds[1]),
        *_match_phrases(tokens, _choice_table(question)),
    ]
    if not found:
        return _invalid("unrecognised", question)
    single, value = _single(found)
    if not single:
        return _invalid("ambiguous", question)
    assert isinstance(value, int | float)
    low, high = bounds
    if not low <= value <= high:
        return _invalid("out_of_range", question)
    if not float(value).is_integer():
        return _invalid("ambiguous", question)
    if int(value) not in {choice.value for choice in question.choices}:
        return _invalid("out_of_range", question)
    return Parsed(int(value))


def _parse_number(tokens: list[_Token], text: str, question: Question) -> ParsedAnswer:
    bounds = question.bounds
    assert bounds is not None
    low, high = bounds
    found: list[object] = list(_numbers(tokens, text, high))
    if not found:
        return _invalid("unrecognised", question)
    single, value = _single(found)
    if not single:
        return _invalid("ambiguous", question)
    assert isinstance(value, int | float)
    if any(token.text == "half" for token in tokens):
        if question.answer_type is not AnswerType.NUMBER:
            return _invalid("ambiguous", question)  # "6 and a half" on a whole-number scale
        value = value + 0.5 if value >= 0 else value - 0.5
    if not low <= value <= high:
        return _invalid("out_of_range", question)
    if question.answer_type is AnswerType.SCALE and not float(value).is_integer():
        return _invalid("ambiguous", question)
    if question.answer_type is AnswerType.SCALE:
        return Parsed(int(value))
    return Parsed(float(value))


def parse_answer(body: str, question: Question) -> ParsedAnswer:
    """Parse an SMS reply to `question`.

    Returns Parsed(value) with the value in its stored form (int for scale and choice, bool for
    yes/no, float for number, trimmed str for text), or Invalid(reason, message) where `message`
    is the patient-facing re-ask stating the range. A reply longer than MAX_ANSWER_CHARS is never
    taken as an answer to a scale, number, choice or yes/no question.
    """
    text = body.strip()
    if not text:
        return _invalid("empty", question)

    if question.answer_type is AnswerType.TEXT:
        if len(text) > MAX_BODY_CHARS:
            return Invalid(
                "out_of_range",
                f"Sorry, that is too long. Please keep it under {MAX_BODY_CHARS:,} characters.",
            )
        return Parsed(text)

    normalised = _normalise(text)
    tokens = _tokenise(normalised)
    if question.answer_type is AnswerType.YESNO:
        result = _parse_yes_no(tokens, question)
    elif question.answer_type is AnswerType.CHOICE:
        result = _parse_choice(tokens, normalised, question)
    else:
        result = _parse_number(tokens, normalised, question)

    if isinstance(result, Parsed) and len(text) > MAX_ANSWER_CHARS:
        return _invalid("unrecognised", question)
    return result
