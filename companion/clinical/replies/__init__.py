"""Parsing of inbound SMS replies: keywords, staff commands and answers to check-in questions.

Everything here is pure and linear in the length of the message (no regular expression here can
backtrack catastrophically), so a 1,600-character body is parsed as quickly as a short one.

Answers are parsed generously ("7", "7/10", "7 out of 10", "seven", "it's a 7 today", full-width,
Arabic-Indic and keycap digits, emoji around the number) but never guessed: two different numbers
("5-6", "7 or 8"), a decimal on a whole-number scale, a "yes" and a "no" together, or "not sure" are
ambiguous and asked again with the range.

Modules:

* :mod:`~companion.clinical.replies.keywords`: STOP, START, HELP and their synonyms.
* :mod:`~companion.clinical.replies.staff`: the staff commands ACK and RESOLVE.
* :mod:`~companion.clinical.replies.tokens`: the text as words and numbers (digits of any script,
  number words), and phrase matching.
* :mod:`~companion.clinical.replies.answers`: an answer to a check-in question, or the re-ask.
* :mod:`~companion.clinical.replies.confirmations`: the reply confirming what was stored.
"""

from companion.clinical.replies.answers import (
    MAX_ANSWER_CHARS,
    MAX_BODY_CHARS,
    Invalid,
    InvalidReason,
    Parsed,
    ParsedAnswer,
    parse_answer,
    reask_text,
)
from companion.clinical.replies.confirmations import confirmation_text
from companion.clinical.replies.keywords import Keyword, classify_keyword, is_conditional_opt_in
from companion.clinical.replies.staff import Ack, Resolve, StaffCommand, StaffCommandError, parse_staff_command

__all__ = [
    "MAX_ANSWER_CHARS",
    "MAX_BODY_CHARS",
    "Ack",
    "Invalid",
    "InvalidReason",
    "Keyword",
    "Parsed",
    "ParsedAnswer",
    "Resolve",
    "StaffCommand",
    "StaffCommandError",
    "classify_keyword",
    "confirmation_text",
    "is_conditional_opt_in",
    "parse_answer",
    "parse_staff_command",
    "reask_text",
]
