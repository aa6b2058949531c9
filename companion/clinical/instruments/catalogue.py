"""Every instrument by its code, and the error for a code that names none."""

from __future__ import annotations

from companion.clinical.instruments.cssrs import CSSRS
from companion.clinical.instruments.gad7 import GAD7
from companion.clinical.instruments.mood import MOOD
from companion.clinical.instruments.phq9 import PHQ9
from companion.clinical.instruments.post_session import POST_SESSION
from companion.clinical.instruments.questions import Instrument

__all__ = ["INSTRUMENTS", "UnknownInstrument", "get_instrument"]


class UnknownInstrument(KeyError):
    """No instrument has this code."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code

    def __str__(self) -> str:
        known = ", ".join(sorted(INSTRUMENTS))
        return f"unknown instrument {self.code!r} (known: {known})"


INSTRUMENTS: dict[str, Instrument] = {
    instrument.code: instrument for instrument in (MOOD, POST_SESSION, PHQ9, GAD7, CSSRS)
}


def get_instrument(code: str) -> Instrument:
    try:
        return INSTRUMENTS[code]
    except KeyError:
        raise UnknownInstrument(code) from None
