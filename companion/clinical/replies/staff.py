"""Staff commands by SMS: ``ACK``, ``ACK <code>`` and ``RESOLVE <code> <note>``, or the reply that
explains a malformed one."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Final

from companion.clinical.replies.keywords import _TRAILING_PUNCTUATION

__all__ = ["Ack", "Resolve", "StaffCommand", "StaffCommandError", "parse_staff_command"]


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
