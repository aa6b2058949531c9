"""Check-in instruments as versioned, immutable data.

An instrument is a fixed list of questions. Each question carries the wording used in the app and a
shortened, faithful wording for SMS (one GSM-7 segment, fewer than 160 characters), its answer type
and the allowed answers. The clinic's protocol can change when instruments are sent and what their
scores trigger, never the instruments themselves; a change of wording or answers is a new `version`.

Answers are kept as a mapping from question key to value (int for scale and choice, bool for yes/no,
float for number, str for text). A key that is present with the value ``None`` marks an optional
question the patient chose to skip.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

__all__ = [
    "GSM7_BASIC",
    "GSM7_EXTENDED",
    "INSTRUMENTS",
    "SMS_MAX_CHARS",
    "TEXT_MAX_CHARS",
    "AnswerError",
    "AnswerType",
    "AnswerValue",
    "AskIf",
    "Channel",
    "Choice",
    "Instrument",
    "Question",
    "UnknownInstrument",
    "UnknownQuestion",
    "applicable_questions",
    "get_instrument",
    "gsm7_length",
    "is_complete",
    "next_question",
    "sms_messages",
    "validate_answer",
]

Channel = Literal["sms", "app"]
AnswerValue = int | float | bool | str

#: A prompt must fit in one SMS segment: strictly fewer than this many GSM-7 characters.
SMS_MAX_CHARS = 160
#: Longest free-text answer accepted from the app.
TEXT_MAX_CHARS = 1000

# GSM 03.38 default alphabet; characters of the extension table cost two septets each.
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = frozenset("\f^{}\\[~]|€")


def gsm7_length(text: str) -> int | None:
    """Length of `text` in GSM-7 septets, or None if it holds a character outside GSM-7."""
    length = 0
    for char in text:
        if char in GSM7_BASIC:
            length += 1
        elif char in GSM7_EXTENDED:
            length += 2
        else:
            return None
    return length


def _check_sms_text(text: str, what: str) -> None:
    length = gsm7_length(text)
    if length is None:
        raise ValueError(f"{what}: SMS text must use GSM-7 characters only")
    if length >= SMS_MAX_CHARS:
        raise ValueError(f"{what}: SMS text is {length} characters; it must be under {SMS_MAX_CHARS}")
    if not text.strip():
        raise ValueError(f"{what}: SMS text must not be empty")


class AnswerType(StrEnum):
    SCALE = "scale"  # integer in [min, max]
    CHOICE = "choice"  # one of the named choices, stored as the choice's integer value
    YESNO = "yesno"  # bool
    NUMBER = "number"  # float in [min, max], e.g. hours slept
    TEXT = "text"  # free text, at most TEXT_MAX_CHARS characters


class UnknownInstrument(KeyError):
    """No instrument has this code."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code

    def __str__(self) -> str:
        known = ", ".join(sorted(INSTRUMENTS))
        return f"unknown instrument {self.code!r} (known: {known})"


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

    def question(self, key: str) -> Question:
        try:
            return self._by_key[key]
        except KeyError:
            raise UnknownQuestion(self.code, key) from None

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(question.key for question in self.questions)


# --- the instruments ---------------------------------------------------------------------------

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

POST_SESSION = Instrument(
    code="post_session",
    version="1",
    title="After your session",
    sms_intro="Evening check-in after today's session: a few quick questions.",
    app_intro="A few quick questions now that you are home after today's session.",
    questions=(
        _yes_no("home_safely", "Are you home safely after today's session?"),
        _side_effect("dizziness", "Are you still feeling dizzy?"),
        _side_effect("nausea", "Are you still feeling nauseous?"),
        _side_effect("dissociation", "Are you still feeling detached or unreal?"),
        _side_effect("headache", "Do you still have a headache?"),
        _yes_no(
            "red_flags",
            "Do you have any severe headache, chest pain, shortness of breath, confusion or vision change?"
            " If it is severe, call 911 now.",
            "Do you have any severe headache, chest pain, shortness of breath, confusion or vision change?",
        ),
    ),
)

PHQ9 = Instrument(
    code="phq9",
    version="1",
    title="PHQ-9",
    sms_intro="Over the last 2 weeks, how often have you been bothered by each of these? "
    "9 short questions, one at a time.",
    app_intro=_TWO_WEEKS_APP,
    questions=(
        _frequency_item(
            "phq9_1",
            "Little interest or pleasure in doing things?",
            "Little interest or pleasure in doing things",
        ),
        _frequency_item(
            "phq9_2",
            "Feeling down, depressed, or hopeless?",
            "Feeling down, depressed, or hopeless",
        ),
        _frequency_item(
            "phq9_3",
            "Trouble falling or staying asleep, or sleeping too much?",
            "Trouble falling or staying asleep, or sleeping too much",
        ),
        _frequency_item(
            "phq9_4",
            "Feeling tired or having little energy?",
            "Feeling tired or having little energy",
        ),
        _frequency_item(
            "phq9_5",
            "Poor appetite or overeating?",
            "Poor appetite or overeating",
        ),
        _frequency_item(
            "phq9_6",
            "Feeling bad about yourself, or that you're a failure or let your family down?",
            "Feeling bad about yourself, or that you are a failure or have let yourself or your family down",
        ),
        _frequency_item(
            "phq9_7",
            "Trouble concentrating on things, such as reading or watching TV?",
            "Trouble concentrating on things, such as reading or watching television",
        ),
        _frequency_item(
            "phq9_8",
            "Moving/speaking so slowly others noticed, or so fidgety you moved a lot more?",
            "Moving or speaking so slowly that other people could have noticed, or the opposite, being so "
            "fidgety or restless that you have been moving around a lot more than usual",
        ),
        _frequency_item(
            "phq9_9",
            "Thoughts that you'd be better off dead or of hurting yourself in some way?",
            "Thoughts that you would be better off dead or of hurting yourself in some way",
        ),
    ),
)

GAD7 = Instrument(
    code="gad7",
    version="1",
    title="GAD-7",
    sms_intro="Over the last 2 weeks, how often have you been bothered by each of these? "
    "7 short questions, one at a time.",
    app_intro=_TWO_WEEKS_APP,
    questions=(
        _frequency_item(
            "gad7_1",
            "Feeling nervous, anxious, or on edge?",
            "Feeling nervous, anxious, or on edge",
        ),
        _frequency_item(
            "gad7_2",
            "Not being able to stop or control worrying?",
            "Not being able to stop or control worrying",
        ),
        _frequency_item(
            "gad7_3",
            "Worrying too much about different things?",
            "Worrying too much about different things",
        ),
        _frequency_item(
            "gad7_4",
            "Trouble relaxing?",
            "Trouble relaxing",
        ),
        _frequency_item(
            "gad7_5",
            "Being so restless that it is hard to sit still?",
            "Being so restless that it is hard to sit still",
        ),
        _frequency_item(
            "gad7_6",
            "Becoming easily annoyed or irritable?",
            "Becoming easily annoyed or irritable",
        ),
        _frequency_item(
            "gad7_7",
            "Feeling afraid, as if something awful might happen?",
            "Feeling afraid, as if something awful might happen",
        ),
    ),
)

_THOUGHTS_OF_SUICIDE = AskIf("cssrs_2", True)

CSSRS = Instrument(
    code="cssrs",
    version="1",
    title="C-SSRS screener",
    sms_intro="A few yes/no questions about the past month. If you are in danger, call or text 988 or call 911.",
    app_intro="These questions are about the past month.",
    questions=(
        _yes_no(
            "cssrs_1",
            "Have you wished you were dead or wished you could go to sleep and not wake up?",
        ),
        _yes_no(
            "cssrs_2",
            "Have you actually had any thoughts of killing yourself?",
        ),
        _yes_no(
            "cssrs_3",
            "Have you been thinking about how you might do this?",
            ask_if=_THOUGHTS_OF_SUICIDE,
        ),
        _yes_no(
            "cssrs_4",
            "Have you had these thoughts and had some intention of acting on them?",
            ask_if=_THOUGHTS_OF_SUICIDE,
        ),
        _yes_no(
            "cssrs_5",
            "Have you started to work out or worked out the details of how to kill yourself, and do you "
            "intend to carry out this plan?",
            ask_if=_THOUGHTS_OF_SUICIDE,
        ),
        _yes_no(
            "cssrs_6",
            "Have you ever done anything, started to do anything, or prepared to do anything to end your life?",
        ),
        _yes_no(
            "cssrs_6_recent",
            "Was this within the past 3 months?",
            ask_if=AskIf("cssrs_6", True),
        ),
    ),
)

INSTRUMENTS: dict[str, Instrument] = {
    instrument.code: instrument for instrument in (MOOD, POST_SESSION, PHQ9, GAD7, CSSRS)
}


def get_instrument(code: str) -> Instrument:
    try:
        return INSTRUMENTS[code]
    except KeyError:
        raise UnknownInstrument(code) from None


# --- skip logic ----------------------------------------------------------------------------------


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


# --- validation of typed answers (the app API) --------------------------------------------------


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
