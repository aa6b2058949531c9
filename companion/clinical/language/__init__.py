"""Risk language in free text: any SMS or app note, whatever question is open.

``assess(text)`` reads the text for the clinical concepts of suicide and self-harm risk (the
vocabulary, vocabulary.toml; docs/risk-language.md) and returns its level, how acute it reads and
the evidence. The steps, each in its own module: normalise (normalise.py, spelling.py), find the
concepts and what their sentences say of them (matcher.py, concepts.py), combine them (combine.py),
and let the second reader, learned from the labelled tuning messages, raise a reading that stays
below how the text is written (reader.py).

Pure: no I/O after the vocabulary, the English dictionary and the second reader are loaded, once
per process.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache

from companion.clinical.language.combine import combine, reader_context
from companion.clinical.language.concepts import read
from companion.clinical.language.levels import Acuity, RiskAssessment, RiskLevel
from companion.clinical.language.normalise import AFTERTHOUGHTS, Text, normalise
from companion.clinical.language.reader import load_reader, second_opinion
from companion.clinical.language.spelling import Speller
from companion.clinical.language.vocabulary import load_vocabulary

__all__ = ["Acuity", "RiskAssessment", "RiskLevel", "assess", "placed", "placed_harmless", "reader_text", "status",
           "warm"]

MAX_TEXT = 4000
log = logging.getLogger("companion.clinical.language")
_failures = 0  # texts that could not be read since the process started
_last_failure: str | None = None


@lru_cache(maxsize=1)
def _speller() -> Speller:
    return Speller(load_vocabulary().words)


def warm() -> None:
    """Load the vocabulary and the dictionary now (the first message should not wait for them)."""
    _speller().warm()
    load_reader()
    assess("warm up")


def assess(text: str, *, fresh: bool = False, second_reader: bool = True) -> RiskAssessment:
    """The text's risk level and evidence. Fails safe: a text that cannot be read (a broken
    vocabulary, a dictionary that will not load, a bug) is uncertain, so the patient gets the
    safety reply and a person looks; the error is logged with its traceback, never the text.
    ``fresh`` reads it again even if this process has read it before (a timing, a health check);
    ``second_reader=False`` gives the concept detector's reading alone (its training, its figures)."""
    global _failures, _last_failure
    if not text or not text.strip():
        return RiskAssessment(RiskLevel.none, None, ())
    try:
        load_vocabulary()  # outside the caches: a vocabulary or reader that cannot load fails every text
        text = text[:MAX_TEXT]
        if not second_reader:
            return _concepts(text) if fresh else _read_concepts(text)
        load_reader()
        return (_read.__wrapped__ if fresh else _read)(text)
    except Exception as exc:
        _failures += 1
        _last_failure = f"{type(exc).__name__}: {exc}"[:200]
        log.exception("risk language could not be read; judged uncertain")
        return RiskAssessment(RiskLevel.uncertain, "high", ("uncertain: the text could not be read",), ("unread",))


# A mood number reported in front: "3.", "mood 2 today.", "my mood is 4/10 -"
_MOOD_REPORT = re.compile(r"^\s*(?:my\s+)?(?:mood\s*(?:is|:)?\s*)?\d{1,2}(?:\s*/\s*10|\s+out\s+of\s+10)?"
                          r"(?:\s+today)?\s*[.:,\-)!]+\s+(?=\S)", re.IGNORECASE)


def reader_text(text: str) -> str:
    """What the second reader reads, as it was trained on it (reader_words)."""
    return _reader_words(normalise(text, _speller()), text)


def _reader_words(normal: Text, text: str) -> str:
    """The normalised words (emoji as words, run-together words split, contractions whole),
    without a mood number reported in front (the number answers the mood question and its own
    rules judge it) and without afterthoughts ("lol", a crying face): the reading does not turn on
    them."""
    report = _MOOD_REPORT.match(text)
    if report:
        normal = normalise(text[report.end():], _speller())
    return " ".join(w for w in normal.words if w not in AFTERTHOUGHTS)


def placed_harmless(text: str) -> bool:
    """Whether the detector placed risk words in the text as harmless (Reading.placed_harmless)."""
    return read(normalise(text, _speller()), load_vocabulary()).placed_harmless()


def placed(text: str) -> tuple[bool, str]:
    """What the second reader is told of the detector's placing: whether it placed risk words in
    the text as harmless, and the reader's context (combine.reader_context)."""
    reading = read(normalise(text, _speller()), load_vocabulary())
    return reading.placed_harmless(), reader_context(reading)


def _concepts(text: str) -> RiskAssessment:
    """The concept detector's reading."""
    return combine(read(normalise(text, _speller()), load_vocabulary()))


# A text is read once per process: the webhook that stores a message and the handler that judges
# it, or an answer's rules and its screener check, read the same words.
_read_concepts = lru_cache(maxsize=4096)(_concepts)


@lru_cache(maxsize=4096)
def _read(text: str) -> RiskAssessment:
    """The concept detector's reading, raised where the second reader reads the text as more acute
    (both read the normalised words)."""
    normal = normalise(text, _speller())
    reader = load_reader()
    reading = read(normal, load_vocabulary())
    return second_opinion(combine(reading), reader.opinion(_reader_words(normal, text)), reader,
                          placed_harmless=reading.placed_harmless(), context=reader_context(reading))


def status() -> tuple[bool, str]:
    """Whether texts can be read now (a check text is read), and what /ready should say: while
    they cannot, every message is judged uncertain (high)."""
    before = _failures
    assess("status check: i want to kill myself", fresh=True)
    if _failures > before:
        return False, f"failing, every message is judged uncertain: {_last_failure}"
    if _failures:
        return True, f"ok ({_failures} texts could not be read since start; last: {_last_failure})"
    return True, "ok"
