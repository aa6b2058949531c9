"""Validation of typed answers from the app: each answer checked against its question and returned
in its stored form."""

from __future__ import annotations

from companion.clinical.instruments.questions import TEXT_MAX_CHARS, AnswerError, AnswerType, AnswerValue, Question

__all__ = ["validate_answer"]


def _format_bound(bound: float) -> str:
    return str(int(bound)) if float(bound).is_integer() else str(bound)


def validate_answer(question: Question, value: object) -> AnswerValue:
    """Check a typed answer from the app and return it in its stored form.

    Strict: a scale or choice answer is an int (not a bool, not a float), a yes/no answer is a bool,
    a number is an int or float, text is a non-empty string of at most TEXT_MAX_CHARS characters
    (returned trimmed). Raises AnswerError naming the question and what is allowed.
    """
    key = question.key
    kind = question.answer_type

    if kind is AnswerType.SCALE:
        assert question.min is not None and question.max is not None
        low, high = _format_bound(question.min), _format_bound(question.max)
        if not isinstance(value, int) or isinstance(value, bool):
            raise AnswerError(key, f"{key}: expected a whole number from {low} to {high}")
        if not question.min <= value <= question.max:
            raise AnswerError(key, f"{key}: {value} is out of range; allowed {low} to {high}")
        return value

    if kind is AnswerType.CHOICE:
        allowed = ", ".join(f"{choice.value} ({choice.label})" for choice in question.choices)
        if not isinstance(value, int) or isinstance(value, bool):
            raise AnswerError(key, f"{key}: expected one of {allowed}")
        if value not in {choice.value for choice in question.choices}:
            raise AnswerError(key, f"{key}: {value} is not a choice; allowed {allowed}")
        return value

    if kind is AnswerType.YESNO:
        if not isinstance(value, bool):
            raise AnswerError(key, f"{key}: expected true or false")
        return value

    if kind is AnswerType.NUMBER:
        assert question.min is not None and question.max is not None
        low, high = _format_bound(question.min), _format_bound(question.max)
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise AnswerError(key, f"{key}: expected a number from {low} to {high}")
        number = float(value)
        if not question.min <= number <= question.max:  # also rejects NaN
            raise AnswerError(key, f"{key}: {number:g} is out of range; allowed {low} to {high}")
        return number

    # AnswerType.TEXT
    if not isinstance(value, str):
        raise AnswerError(key, f"{key}: expected text of at most {TEXT_MAX_CHARS} characters")
    text = value.strip()
    if not text:
        raise AnswerError(key, f"{key}: the text is empty")
    if len(text) > TEXT_MAX_CHARS:
        raise AnswerError(key, f"{key}: the text is {len(text)} characters; at most {TEXT_MAX_CHARS} allowed")
    return text
