"""The daily mood check-in: mood 0-10 (asked on SMS), and in the app anxiety, hours slept and a note."""

from __future__ import annotations

from companion.clinical.instruments.questions import AnswerType, Instrument, Question

__all__ = ["MOOD"]

MOOD = Instrument(
    code="mood",
    version="1",
    title="Daily mood",
    questions=(
        Question(
            key="mood",
            sms_text="How is your mood today, from 0 (worst) to 10 (best)?",
            app_text="How is your mood today, from 0 (worst) to 10 (best)?",
            answer_type=AnswerType.SCALE,
            min=0,
            max=10,
        ),
        Question(
            key="anxiety",
            sms_text="How anxious do you feel today, from 0 (not at all) to 10 (extremely)?",
            app_text="How anxious do you feel today, from 0 (not at all) to 10 (extremely)?",
            answer_type=AnswerType.SCALE,
            min=0,
            max=10,
            optional=True,
            sms=False,
        ),
        Question(
            key="sleep_hours",
            sms_text="How many hours did you sleep last night?",
            app_text="How many hours did you sleep last night?",
            answer_type=AnswerType.NUMBER,
            min=0,
            max=24,
            optional=True,
            sms=False,
        ),
        Question(
            key="note",
            sms_text="Anything your care team should know?",
            app_text="Anything your care team should know?",
            answer_type=AnswerType.TEXT,
            optional=True,
            sms=False,
        ),
    ),
)
