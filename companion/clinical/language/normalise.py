"""Text as the detector reads it: a list of plain lower-case words, each with its sentence.

NFKC, case folded, accents stripped; apostrophes removed ("don't" -> "dont"); digits and symbols
inside a word read as letters ("k1ll" -> "kill"); emoji that carry meaning become words (the pill
emoji, a knife, a gun, a rope, crying faces), the rest are dropped; numbers are split from their
units ("800mg" -> "800 mg"); a letter repeated three times or more is cut to two, or to one when
only that makes a word ("killlll" -> "kill", "diiieee" -> "die"); then each unknown word is
corrected against the vocabulary or split when it runs words together (spelling.py).

Sentences end at . ! ? ; and line breaks; within a sentence a comma, a colon, a dash or "but" starts a new
part, which bounds how far a negation reaches.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from companion.clinical.language.spelling import Speller

__all__ = ["AFTERTHOUGHTS", "Text", "normalise"]

_APOSTROPHES = str.maketrans(dict.fromkeys("\u2019\u2018\u201b`\u00b4\u02bc\u2032\uff07", "'"))
_LEET = {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i"}
_EMOJI_WORDS = {
    "\U0001f48a": "pillemoji",  # pill
    "\U0001f52a": "knife",
    "\U0001f5e1": "knife",  # dagger
    "\U0001f52b": "gun",
    "\U0001faa2": "rope",  # knot
    "\U0001fa78": "blood",  # drop of blood
    "\u26b0": "coffin",
    "\U0001faa6": "coffin",  # headstone
    "\U0001f62d": "sademoji",  # loudly crying
    "\U0001f622": "sademoji",  # crying
    "\U0001f614": "sademoji",  # pensive
    "\U0001f61e": "sademoji",  # disappointed
    "\U0001f494": "sademoji",  # broken heart
    "\U0001f97a": "sademoji",  # pleading
    "\U0001f629": "sademoji",  # weary
    "\U0001f309": "bridge",  # bridge at night
    "\U0001f9e0": "brain",
    "\U0001f682": "train",
    "\U0001f697": "car",
    "\U0001f4a8": "exhaust",
    "\U0001f47b": "ghost",
    "\U0001f686": "train",
    "\U0001f683": "train",
}
_SENTENCE_END = frozenset(".!?;\n\r")
_PART_END = frozenset(",:()[]\u2013\u2014")
_PART_WORDS = frozenset({"but", "though", "although", "however", "except", "whereas"})
# laughter and a crying face close what came before ("nothing will lol"), as a full stop would not
AFTERTHOUGHTS = frozenset({"lol", "lmao", "lmfao", "haha", "hahaha", "rofl", "sademoji", "tbh", "fr", "ngl",
                            "honestly", "idk", "tho"})
_TOKEN = re.compile(r"[a-z]+|[0-9]+|[.!?;\n\r,:()\[\]\u2013\u2014\"\u201c\u201d]")
_QUOTES = frozenset('"\u201c\u201d')
# Words in single quotes are quoted too ("my son said 'i want to die' when i took his xbox"): a
# quote opens before a letter where no letter or digit stands before it and closes after one where
# none follows; apostrophes inside words ("i'm", "dad's") are neither.
_SINGLE_QUOTED = re.compile(r"(?<![a-z0-9'])'([a-z](?:[^'\n]|(?<=[a-z])'(?=[a-z])){0,200}?[a-z.!?,])'(?![a-z0-9'])")
_DASH = re.compile(r"\s[-\u2013\u2014]+\s")
_RUN3 = re.compile(r"([a-z])\1{2,}")
_RUN2 = re.compile(r"([a-z])\1+")


@dataclass(frozen=True)
class Text:
    """``words[i]`` is in sentence ``sentence[i]`` and part ``part[i]`` (parts number across the
    whole text, so two words share a part only inside one sentence)."""

    words: tuple[str, ...]
    sentence: tuple[int, ...]
    part: tuple[int, ...]
    quote: tuple[int, ...] = ()  # the number of the double-quoted span a word is in, 0 outside

    def quote_start(self, pos: int) -> int:
        """The first word of the quotation ``pos`` is in (``pos`` itself outside one)."""
        q = self.quote[pos] if self.quote else 0
        while q and pos > 0 and self.quote[pos - 1] == q:
            pos -= 1
        return pos


def _fold(text: str) -> str:
    if text.isascii():
        return text.lower()
    out: list[str] = []
    for ch in text:
        word = _EMOJI_WORDS.get(ch)
        if word:
            out.append(f" {word} ")
        elif unicodedata.category(ch) == "So":
            out.append(" , ")  # an emoji closes what came before ("goodbye \U0001f5a4 it was never anyones fault")
        else:
            out.append(ch)
    folded = unicodedata.normalize("NFKC", "".join(out).translate(_APOSTROPHES)).casefold()
    return "".join(ch for ch in unicodedata.normalize("NFKD", folded) if not unicodedata.combining(ch))


_LEET_RUN = re.compile(r"(?<=[a-z])[013457@$!](?=[a-z])")
_TIMES = re.compile(r"(?<=[0-9a-z])x(?=[0-9])")


_PRODUCT = re.compile(r"\b(extra|maximum|max)[ -]strength\b")


def _unleet(text: str) -> str:
    """A run of symbols or digits between two letters reads as letters ("k1ll", "su1c1de"); "x"
    before a count stands apart ("100mgx30" -> "100mg x 30"); apostrophes go."""
    text = _PRODUCT.sub("extrastrength", _TIMES.sub(" x ", text.replace("'", "")))  # a product, not an amount
    return _LEET_RUN.sub(lambda m: "".join(_LEET[c] for c in m.group(0)), text)


def _squeeze(word: str, speller: Speller) -> str:
    if not _RUN3.search(word):
        return word
    two = _RUN3.sub(r"\1\1", word)
    if speller.known(two):
        return two
    one = _RUN2.sub(r"\1", word)
    return one if speller.known(one) else two


def normalise(text: str, speller: Speller) -> Text:
    words: list[str] = []
    sentences: list[int] = []
    parts: list[int] = []
    quotes: list[int] = []
    sentence = part = 0
    quote = opened = 0
    for token in _TOKEN.findall(_DASH.sub(" , ", _unleet(_SINGLE_QUOTED.sub(r'"\1"', _fold(text))))):
        if token in _QUOTES:
            if quote:
                quote = 0
            else:
                opened += 1
                quote = opened
            continue
        if token in _SENTENCE_END:
            if words and sentences[-1] == sentence:
                sentence += 1
                part += 1
            continue
        if token in _PART_END:
            if words and parts[-1] == part:
                part += 1
            continue
        if token in _PART_WORDS and words and parts[-1] == part:
            part += 1
        for word in speller.correct(_squeeze(token, speller)) if token.isalpha() else (token,):
            if word in AFTERTHOUGHTS and words and parts[-1] == part:
                part += 1
            words.append(word)
            sentences.append(sentence)
            parts.append(part)
            quotes.append(quote)
    return Text(tuple(words), tuple(_join_tails(words, sentences)), tuple(parts), tuple(quotes))


_TAIL_STARTS = frozenset({"it", "its", "im", "all", "every", "thats", "not", "with", "both", "the"})


def _join_tails(words: list[str], sentences: list[int]) -> list[int]:
    """A sentence of three words or fewer that only finishes the one before ("took the oxys. all of
    them.", "told her it was for a while. it isnt.") belongs to it (as a part of its own)."""
    out = list(sentences)
    i = 0
    while i < len(words):
        j = i
        while j < len(words) and sentences[j] == sentences[i]:
            j += 1
        if i > 0 and j - i <= 3 and words[i] in _TAIL_STARTS:
            for k in range(i, j):
                out[k] = out[i - 1]
        i = j
    return out
