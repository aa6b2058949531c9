"""Parsing of inbound SMS replies (SMS.md): keywords, staff commands and answers to check-in questions.

Everything here is pure and linear in the length of the message (no regular expression here can
backtrack catastrophically), so a 1,600-character body is parsed as quickly as a short one.

Answers are parsed generously ("7", "7/10", "7 out of 10", "seven", "it's a 7 today", full-width,
Arabic-Indic and keycap digits, emoji around the number) but never guessed: two different numbers
("5-6", "7 or 8"), a decimal on a whole-number scale, a "yes" and a "no" together, or "not sure" are
ambiguous and asked again with the range.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from typing import Final, Literal

from companion.clinical.instruments import AnswerType, AnswerValue, Question

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

#: Longest inbound or outbound SMS body.
MAX_BODY_CHARS: Final = 1600
#: A reply longer than one SMS segment is treated as a message to the care team, never as an answer
#: to a scale, choice or yes/no question (it is still stored and scanned for risk by the caller).
MAX_ANSWER_CHARS: Final = 160


# --- keywords ------------------------------------------------------------------------------------


class Keyword(StrEnum):
    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"
    HELP = "help"


_KEYWORDS: Final[dict[str, Keyword]] = {
    **dict.fromkeys(("STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"), Keyword.OPT_OUT),
    **dict.fromkeys(("START", "UNSTOP", "YES"), Keyword.OPT_IN),
    **dict.fromkeys(("HELP", "INFO"), Keyword.HELP),
}
_TRAILING_PUNCTUATION: Final = ".!?,;:"


def _keyword_text(body: str) -> str:
    text = unicodedata.normalize("NFKC", body).strip()
    text = text.rstrip(_TRAILING_PUNCTUATION + " \t\r\n").strip("\"'")
    return text.upper()


def classify_keyword(body: str) -> Keyword | None:
    """The keyword the whole message is, if any (case-insensitive, trimmed, trailing "." or "!"
    ignored). "stop it please" is not a keyword.

    YES is returned as OPT_IN, but it only counts as one when the patient is opted out; otherwise
    it is an answer. See `is_conditional_opt_in`.
    """
    return _KEYWORDS.get(_keyword_text(body))


def is_conditional_opt_in(body: str) -> bool:
    """True for the opt-in keyword that only applies to a patient who is opted out (YES)."""
    return _keyword_text(body) == "YES"


# --- staff commands ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Ack:
    """Acknowledge the alert with this code; None: the newest alert paged to the sender."""

    code: str | None


@dataclass(frozen=True, slots=True)
class Resolve:
    code: str
    note: str


@dataclass(frozen=True, slots=True)
class StaffCommandError:
    """A staff command that could not be carried out; `message` is the reply to send."""

    message: str


StaffCommand = Ack | Resolve | StaffCommandError

_CODE_RE: Final = re.compile(r"[A-Za-z0-9]{4,8}")
_CODE_HELP: Final = "Alert codes are 4 to 8 letters or digits, e.g. ACK 4821."


def _clean_code(token: str) -> str | None:
    """An alert code from a token ("4821", "#4821", "4821."), upper-cased; None if malformed."""
    token = token.rstrip(_TRAILING_PUNCTUATION).removeprefix("#")
    return token.upper() if _CODE_RE.fullmatch(token) else None


def parse_staff_command(body: str) -> StaffCommand | None:
    """Parse a message from a staff number: `ACK`, `ACK <code>` or `RESOLVE <code> <note>`.

    Case-insensitive and tolerant of extra spaces. Returns None when the message is not a command
    at all, and StaffCommandError (with the reply to send) when it is a malformed one.
    """
    text = unicodedata.normalize("NFKC", body).strip()
    parts = text.split(maxsplit=2)
    if not parts:
        return None
    verb = parts[0].rstrip(_TRAILING_PUNCTUATION).casefold()

    if verb == "ack":
        if len(parts) == 1:
            return Ack(code=None)
        if len(parts) > 2:
            return StaffCommandError("To acknowledge, reply ACK <code>, or just ACK for your newest alert.")
        code = _clean_code(parts[1])
        return Ack(code=code) if code else StaffCommandError(_CODE_HELP)

    if verb == "resolve":
        if len(parts) == 1:
            return StaffCommandError("Please include the alert code and a note: RESOLVE <code> <note>")
        code = _clean_code(parts[1])
        if code is None:
            return StaffCommandError(_CODE_HELP)
        note = parts[2].strip() if len(parts) == 3 else ""
        if not note:
            return StaffCommandError(f"Please include a note: RESOLVE {code} <note>")
        return Resolve(code=code, note=note)

    return None


# --- answers -------------------------------------------------------------------------------------

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

_TOKEN_RE: Final = re.compile(r"[0-9]+(?:\.[0-9]+)?|[a-z]+")
_DASHES: Final = frozenset("\u2010\u2011\u2012\u2013\u2014\u2212\ufe63\uff0d")
_KEYCAP_PARTS: Final = frozenset("\ufe0f\u20e3")  # "7️⃣" is 7, variation selector, combining keycap
_KEYCAP_TEN: Final = "\U0001f51f"

_UNITS: Final[dict[str, int]] = {
    word: value
    for value, word in enumerate(
        (
            "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
            "fifteen sixteen seventeen eighteen nineteen"
        ).split()
    )
}
_TENS: Final[dict[str, int]] = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
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


def _normalise(body: str) -> str:
    """Lower-case ASCII text with every decimal digit (full-width, Arabic-Indic, keycap ...) as 0-9,
    every dash as "-", and other symbols (emoji) as spaces."""
    text = body.replace("½", " and a half ").replace(_KEYCAP_TEN, " 10 ")
    text = unicodedata.normalize("NFKC", text).casefold()
    out: list[str] = []
    for char in text:
        if char.isascii():
            out.append(char)
        elif char in _KEYCAP_PARTS:
            continue
        elif char in _DASHES:
            out.append("-")
        else:
            digit = unicodedata.decimal(char, None)
            out.append(str(digit) if digit is not None else " ")
    return "".join(out)


@dataclass(frozen=True, slots=True)
class _Token:
    text: str  # a word, or the digits of a number
    value: int | float | None  # the number a token stands for ("7", "seven", "twenty-four"), else None
    start: int
    end: int


def _tokenise(text: str) -> list[_Token]:
    raw = [(match.group(), match.start(), match.end()) for match in _TOKEN_RE.finditer(text)]
    tokens: list[_Token] = []
    i = 0
    while i < len(raw):
        word, start, end = raw[i]
        value: int | float | None = None
        if word[0].isdigit():
            value = float(word) if "." in word else int(word)
            # "-1" is negative, but "5-6" is a range (and so two numbers).
            if start > 0 and text[start - 1] == "-" and (start == 1 or not text[start - 2].isalnum()):
                value = -value
        elif word in _TENS:
            value = _TENS[word]
            if i + 1 < len(raw):
                unit, unit_start, unit_end = raw[i + 1]
                if 1 <= _UNITS.get(unit, 0) <= 9 and text[end:unit_start] in ("", " ", "-"):
                    value += _UNITS[unit]  # "twenty-four", "twenty four"
                    end = unit_end
                    i += 1
        elif word in _UNITS:
            value = _UNITS[word]
        tokens.append(_Token(word, value, start, end))
        i += 1
    return tokens


def _numbers(tokens: list[_Token], text: str, maximum: float | None) -> list[int | float]:
    """The numbers in the reply, leaving out a denominator equal to the scale's maximum ("7/10",
    "7 out of 10", "out of 10, a 7")."""
    numbers: list[int | float] = []
    for index, token in enumerate(tokens):
        if token.value is None:
            continue
        if maximum is not None and token.value == maximum and index > 0:
            previous = tokens[index - 1]
            if previous.value is not None and text[previous.end : token.start].strip() == "/":
                continue
            if previous.text == "of" and index > 1:
                before = tokens[index - 2]
                if before.text == "out" or before.value is not None:
                    continue
        numbers.append(token.value)
    return numbers


_Phrases = dict[tuple[str, ...], object]


def _phrase_table(entries: dict[str, object]) -> _Phrases:
    return {tuple(_TOKEN_RE.findall(_normalise(phrase))): value for phrase, value in entries.items()}


def _match_phrases(tokens: list[_Token], table: _Phrases) -> list[object]:
    """Values of the phrases found, longest match first, each word used once."""
    longest = max((len(phrase) for phrase in table), default=0)
    words = [token.text for token in tokens]
    found: list[object] = []
    i = 0
    while i < len(words):
        for length in range(min(longest, len(words) - i), 0, -1):
            phrase = tuple(words[i : i + length])
            if phrase in table:
                found.append(table[phrase])
                i += length
                break
        else:
            i += 1
    return found


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


# --- confirmations -------------------------------------------------------------------------------


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
