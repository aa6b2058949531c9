"""Skip logic: which questions apply given the answers so far, which comes next, whether a check-in is
complete, and the SMS bodies that ask a question."""

from __future__ import annotations

from collections.abc import Mapping

from companion.clinical.instruments.questions import Channel, Instrument, Question

__all__ = ["applicable_questions", "is_complete", "next_question", "sms_messages"]


def _is_answered(question: Question, answers: Mapping[str, object]) -> bool:
    """Answered, or (for an optional question) explicitly skipped with None."""
    if question.key not in answers:
        return False
    return answers[question.key] is not None or question.optional


def _is_applicable(question: Question, answers: Mapping[str, object]) -> bool:
    rule = question.ask_if
    if rule is None:
        return True
    if rule.key not in answers:
        return False
    value = answers[rule.key]
    # bool is a subclass of int: compare types too, so an answer of 1 never passes for True.
    return type(value) is type(rule.equals) and value == rule.equals


def applicable_questions(
    instrument: Instrument, answers: Mapping[str, object], channel: Channel = "app"
) -> tuple[Question, ...]:
    """Questions that apply on this channel given the answers so far, in order.

    A question whose skip rule depends on a question not yet answered is left out until that answer
    arrives (the question it depends on always comes first).
    """
    return tuple(
        question
        for question in instrument.questions
        if (channel == "app" or question.sms) and _is_applicable(question, answers)
    )


def next_question(instrument: Instrument, answers: Mapping[str, object], channel: Channel = "app") -> Question | None:
    """The next question to ask, or None when nothing is left.

    On SMS, app-only questions (``sms=False``) are never asked. In the app, optional questions are
    returned in their place like any other; a caller that lets the patient skip one records None.
    C-SSRS: a no to cssrs_2 skips cssrs_3 to cssrs_5; cssrs_6_recent follows only a yes to cssrs_6.
    """
    for question in applicable_questions(instrument, answers, channel):
        if not _is_answered(question, answers):
            return question
    return None


def is_complete(instrument: Instrument, answers: Mapping[str, object], channel: Channel = "app") -> bool:
    """True when every required question that applies on this channel has an answer."""
    return all(
        question.optional or answers.get(question.key) is not None
        for question in applicable_questions(instrument, answers, channel)
    )


def sms_messages(instrument: Instrument, question: Question) -> tuple[str, ...]:
    """The SMS bodies to send for `question`: the instrument's intro first when this is its first
    SMS question, then the question. Each body is a single GSM-7 segment."""
    first = next(q for q in instrument.questions if q.sms)
    if instrument.sms_intro and question.key == first.key:
        return (instrument.sms_intro, question.sms_text)
    return (question.sms_text,)
