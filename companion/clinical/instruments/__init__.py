"""Check-in instruments as versioned, immutable data.

An instrument is a fixed list of questions. Each question carries the wording used in the app and a
shortened, faithful wording for SMS (one GSM-7 segment, fewer than 160 characters), its answer type
and the allowed answers. The clinic's protocol can change when instruments are sent and what their
scores trigger, never the instruments themselves; a change of wording or answers is a new `version`.

Answers are kept as a mapping from question key to value (int for scale and choice, bool for yes/no,
float for number, str for text). A key that is present with the value ``None`` marks an optional
question the patient chose to skip.

Modules:

* :mod:`~companion.clinical.instruments.gsm7`: what fits in one SMS segment (GSM-7 lengths).
* :mod:`~companion.clinical.instruments.questions`: the shape of a question and an instrument,
  and the errors of looking up a question or answering one.
* :mod:`~companion.clinical.instruments.scales`: the answer scales the instruments share.
* :mod:`~companion.clinical.instruments.mood`, :mod:`~companion.clinical.instruments.post_session`,
  :mod:`~companion.clinical.instruments.phq9`, :mod:`~companion.clinical.instruments.gad7`,
  :mod:`~companion.clinical.instruments.cssrs`: the wording of each instrument.
* :mod:`~companion.clinical.instruments.catalogue`: every instrument by its code.
* :mod:`~companion.clinical.instruments.flow`: skip logic, which question comes next, and the SMS
  bodies that ask it.
* :mod:`~companion.clinical.instruments.answers`: validation of typed answers from the app.
* :mod:`~companion.clinical.instruments.readout`: a check-in read back, every question with its
  wording and the answer in words, for the care team.
"""

from companion.clinical.instruments.answers import validate_answer
from companion.clinical.instruments.catalogue import INSTRUMENTS, UnknownInstrument, get_instrument
from companion.clinical.instruments.cssrs import CSSRS
from companion.clinical.instruments.flow import applicable_questions, is_complete, next_question, sms_messages
from companion.clinical.instruments.gad7 import GAD7
from companion.clinical.instruments.gsm7 import GSM7_BASIC, GSM7_EXTENDED, SMS_MAX_CHARS, gsm7_length
from companion.clinical.instruments.mood import MOOD
from companion.clinical.instruments.phq9 import PHQ9
from companion.clinical.instruments.post_session import POST_SESSION
from companion.clinical.instruments.questions import (
    TEXT_MAX_CHARS,
    AnswerError,
    AnswerType,
    AnswerValue,
    AskIf,
    Channel,
    Choice,
    Instrument,
    Question,
    UnknownQuestion,
)
from companion.clinical.instruments.readout import ItemState, ReadItem, answer_label, read_back

__all__ = [
    "CSSRS",
    "GAD7",
    "GSM7_BASIC",
    "GSM7_EXTENDED",
    "INSTRUMENTS",
    "MOOD",
    "PHQ9",
    "POST_SESSION",
    "SMS_MAX_CHARS",
    "TEXT_MAX_CHARS",
    "AnswerError",
    "AnswerType",
    "AnswerValue",
    "AskIf",
    "Channel",
    "Choice",
    "Instrument",
    "ItemState",
    "Question",
    "ReadItem",
    "UnknownInstrument",
    "UnknownQuestion",
    "answer_label",
    "applicable_questions",
    "get_instrument",
    "gsm7_length",
    "is_complete",
    "next_question",
    "read_back",
    "sms_messages",
    "validate_answer",
]
