"""The reply that confirms what was stored, so a misparse is visible to the patient."""

from __future__ import annotations

from companion.clinical.instruments import AnswerType, AnswerValue, Question
from companion.clinical.replies.answers import _bound_text

__all__ = ["confirmation_text"]


def confirmation_text(question: Question, value: AnswerValue) -> str:
    """A short reply confirming what was stored, so a misparse is visible to the patient.

    Echoes only the answer (and a choice's own label); never a score or a judgement.
    """
    kind = question.answer_type
    if kind is AnswerType.TEXT:
        return "Thanks, your message is saved for your care team."
    if kind is AnswerType.YESNO:
        if not isinstance(value, bool):
            raise TypeError(f"{question.key}: a yes/no answer is a bool")
        return f"Saved: {'yes' if value else 'no'}."
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{question.key}: a {kind} answer is a number")
    if kind is AnswerType.CHOICE:
        choice = question.choice(int(value))
        return f"Saved: {choice.value} ({choice.label})."
    shown = _bound_text(value)
    if question.key == "mood":
        return f"Thanks, mood {shown} saved for today."
    return f"Saved: {shown}."
