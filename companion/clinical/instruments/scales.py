"""The answer scales the instruments share, and the helpers that build their questions.

The PHQ-9 and GAD-7 frequency scale (0 Not at all to 3 Nearly every day), the post-session side
effect scale (0 None, 1 Mild, 2 Strong) and yes/no questions, each with the reply hint its SMS
wording ends with.
"""

from __future__ import annotations

from companion.clinical.instruments.questions import AnswerType, AskIf, Choice, Question

_FREQUENCY_CHOICES = (
    Choice(0, "Not at all", ("not at all", "none", "never")),
    Choice(1, "Several days", ("several", "some days")),
    Choice(2, "More than half the days", ("more than half", "over half", "over half the days")),
    Choice(3, "Nearly every day", ("nearly every day", "every day", "almost every day", "daily")),
)
_FREQUENCY_REPLY = "Reply 0 Not at all, 1 Several days, 2 More than half the days, 3 Nearly every day"
_TWO_WEEKS_APP = "Over the last 2 weeks, how often have you been bothered by any of the following problems?"

_SIDE_EFFECT_CHOICES = (
    Choice(0, "None", ("no", "nope", "nothing", "not at all")),
    Choice(1, "Mild", ("a little", "a bit", "little", "slight", "slightly", "mildly")),
    Choice(2, "Strong", ("strongly", "severe", "a lot")),
)
_SIDE_EFFECT_REPLY = "Reply 0 None, 1 Mild or 2 Strong"
_YES_NO_REPLY = "Reply YES or NO"


def _frequency_item(key: str, sms_item: str, app_item: str) -> Question:
    return Question(
        key=key,
        sms_text=f"{sms_item} {_FREQUENCY_REPLY}",
        app_text=app_item,
        answer_type=AnswerType.CHOICE,
        choices=_FREQUENCY_CHOICES,
    )


def _side_effect(key: str, question: str) -> Question:
    return Question(
        key=key,
        sms_text=f"{question} {_SIDE_EFFECT_REPLY}",
        app_text=question,
        answer_type=AnswerType.CHOICE,
        choices=_SIDE_EFFECT_CHOICES,
    )


def _yes_no(key: str, sms_question: str, app_question: str | None = None, ask_if: AskIf | None = None) -> Question:
    return Question(
        key=key,
        sms_text=f"{sms_question} {_YES_NO_REPLY}",
        app_text=app_question or sms_question,
        answer_type=AnswerType.YESNO,
        ask_if=ask_if,
    )
