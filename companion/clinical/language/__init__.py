"""Risk language in free text: any SMS or app note, whatever question is open.

``assess(text)`` reads the text for the clinical concepts of suicide and self-harm risk (the
vocabulary, vocabulary.toml; docs/risk-language.md) and returns its level, how acute it reads and
the evidence. The steps, each in its own module: normalise (normalise.py, spelling.py), find the
concepts and what their sentences say of them (matcher.py, concepts.py), combine them (combine.py).

Pure: no I/O after the vocabulary and the English dictionary are loaded, once per process.
"""

from __future__ import annotations

import logging
from functools import lru_cache

from companion.clinical.language.combine import combine
from companion.clinical.language.concepts import read
from companion.clinical.language.levels import Acuity, RiskAssessment, RiskLevel
from companion.clinical.language.normalise import normalise
from companion.clinical.language.spelling import Speller
from companion.clinical.language.vocabulary import load_vocabulary

__all__ = ["Acuity", "RiskAssessment", "RiskLevel", "assess", "status", "warm"]

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
    assess("warm up")


def assess(text: str, *, fresh: bool = False) -> RiskAssessment:
    """The text's risk level and evidence. Fails safe: a text that cannot be read (a broken
    vocabulary, a dictionary that will not load, a bug) is uncertain, so the patient gets the
    safety reply and a person looks; the error is logged with its traceback, never the text.
    ``fresh`` reads it again even if this process has read it before (a timing, a health check)."""
    global _failures, _last_failure
    if not text or not text.strip():
        return RiskAssessment(RiskLevel.none, None, ())
    try:
        load_vocabulary()  # outside the cache: a vocabulary that cannot load fails every text
        return (_read.__wrapped__ if fresh else _read)(text[:MAX_TEXT])
    except Exception as exc:
        _failures += 1
        _last_failure = f"{type(exc).__name__}: {exc}"[:200]
        log.exception("risk language could not be read; judged uncertain")
        return RiskAssessment(RiskLevel.uncertain, "high", ("uncertain: the text could not be read",), ("unread",))


@lru_cache(maxsize=4096)
def _read(text: str) -> RiskAssessment:
    """A text is read once per process: the webhook that stores a message and the handler that
    judges it, or an answer's rules and its screener check, read the same words."""
    return combine(read(normalise(text, _speller()), load_vocabulary()))


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
