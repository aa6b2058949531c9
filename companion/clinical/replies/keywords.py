"""SMS keywords: a whole message that is STOP, START or HELP (or a synonym) opts out, opts in or asks
for help; YES opts in only a patient who is not opted in (a new patient answering the welcome, or
one who opted out)."""

from __future__ import annotations

import unicodedata
from enum import StrEnum
from typing import Final

__all__ = ["Keyword", "classify_keyword", "is_conditional_opt_in"]


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

    YES is returned as OPT_IN, but it only counts as one when the patient is not opted in (pending
    or opted out); otherwise it is an answer. See `is_conditional_opt_in`.
    """
    return _KEYWORDS.get(_keyword_text(body))


def is_conditional_opt_in(body: str) -> bool:
    """True for the opt-in keyword that only applies to a patient who is not opted in (YES)."""
    return _keyword_text(body) == "YES"
