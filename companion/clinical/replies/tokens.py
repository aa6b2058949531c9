"""A reply as tokens: normalised to lower-case ASCII (decimal digits of any script, keycaps and dashes
made plain, emoji dropped), split into words and numbers (digits or number words such as
"twenty-four"), and matched against phrase tables, longest phrase first."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Final

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
