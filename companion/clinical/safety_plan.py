"""The patient's personal safety plan (the Stanley-Brown safety planning form), as data and its checks.

Six sections, in the form's order, and the one thing most important to the patient:

1. ``warning_signs``: thoughts, images, moods, situations or behaviours that a crisis may be coming;
2. ``coping_strategies``: things the patient can do alone to take their mind off their problems;
3. ``distractions``: people and social settings that help take their mind off things;
4. ``people_to_ask``: people the patient can ask for help, by name and phone;
5. ``professionals``: professionals or agencies to contact in a crisis (the clinic, a clinician);
   988 and 911 (:data:`CRISIS_LINES`) are always listed with them, whatever the plan says;
6. ``safe_environment``: making the environment safe (what to keep away or lock up).

Pure: :class:`SafetyPlanContent` checks what is written (how many entries, how long each is, that
a phone number can be dialled) and names the field at fault; :func:`sections_changed` says which
sections a new version changes, for the audit event (names, never the words). docs/clinical.md,
"The safety plan", describes it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

MAX_ENTRIES = 12  # per section
MAX_ENTRY = 300  # characters of one warning sign, strategy or step
MAX_NAME = 120  # characters of a person's, place's or service's name
MAX_PHONE = 32  # characters of a phone number as written
MIN_PHONE_DIGITS = 3  # 988, 911 and the like
MAX_PHONE_DIGITS = 15  # E.164
MAX_REASON = 1000  # characters of the one thing most important to the patient


@dataclass(frozen=True)
class Section:
    key: str
    number: int
    title: str  # in the patient's words, as the app heads it
    contacts: bool  # entries are people or places with an optional phone, not lines of text


SECTIONS: tuple[Section, ...] = (
    Section("warning_signs", 1, "Warning signs that a crisis may be starting", False),
    Section("coping_strategies", 2, "Things I can do on my own to take my mind off my problems", False),
    Section("distractions", 3, "People and places that help take my mind off things", True),
    Section("people_to_ask", 4, "People I can ask for help", True),
    Section("professionals", 5, "Professionals and services I can contact in a crisis", True),
    Section("safe_environment", 6, "Making my surroundings safe", False),
)
SECTION_KEYS: tuple[str, ...] = tuple(s.key for s in SECTIONS)
REASON_KEY = "reason_for_living"
CONTENT_KEYS: tuple[str, ...] = (*SECTION_KEYS, REASON_KEY)


@dataclass(frozen=True)
class CrisisLine:
    name: str
    call: str
    text: str | None = None


# Section 5 always lists these, whatever the plan says; they are never stored with it.
CRISIS_LINES: tuple[CrisisLine, ...] = (
    CrisisLine("988 Suicide & Crisis Lifeline", call="988", text="988"),
    CrisisLine("Emergency services", call="911"),
)

_PHONE_CHARACTERS = re.compile(r"^\+?[0-9 ().\-]+$")
_ALLOWED_CONTROLS = frozenset("\n\t")
EMPTY_ENTRY = "must not be empty; leave the entry out instead"
CONTROL_CHARACTER = "must not contain control characters"


def _plain_text(value: str) -> str:
    """Printable text: letters, digits, punctuation, spaces and line breaks; no control characters."""
    if not value:
        raise ValueError(EMPTY_ENTRY)
    for character in value:
        if character not in _ALLOWED_CONTROLS and unicodedata.category(character) in {"Cc", "Cs"}:
            raise ValueError(CONTROL_CHARACTER)
    return value


def check_phone(value: str) -> str:
    """A number as the patient writes it (``(202) 555-0142``, ``+44 20 7946 0018``, ``988``), which
    the app can dial: digits with spaces, brackets, dots or dashes and at most a leading plus."""
    if not _PHONE_CHARACTERS.match(value):
        raise ValueError("a phone number has only digits, spaces, brackets, dots, dashes and a leading +")
    digits = sum(c.isdigit() for c in value)
    if not MIN_PHONE_DIGITS <= digits <= MAX_PHONE_DIGITS:
        raise ValueError(f"a phone number has {MIN_PHONE_DIGITS} to {MAX_PHONE_DIGITS} digits")
    return value


def dial_string(phone: str) -> str:
    """What a ``tel:`` link carries: the digits, and the plus if the number starts with one."""
    digits = "".join(c for c in phone if c.isdigit())
    return f"+{digits}" if phone.startswith("+") else digits


Entry = Annotated[str, Field(max_length=MAX_ENTRY), AfterValidator(_plain_text)]
Name = Annotated[str, Field(max_length=MAX_NAME), AfterValidator(_plain_text)]
PhoneAsWritten = Annotated[str, Field(max_length=MAX_PHONE), AfterValidator(check_phone)]


class Contact(BaseModel):
    """A person, place or service, with a number to call if the patient has one."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, strict=True)

    name: Name
    phone: PhoneAsWritten | None = None


class SafetyPlanContent(BaseModel):
    """What the patient (or their clinician with them) writes. Every section may be empty: a plan
    is saved as far as it is written."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, strict=True)

    warning_signs: list[Entry] = Field(default_factory=list, max_length=MAX_ENTRIES)
    coping_strategies: list[Entry] = Field(default_factory=list, max_length=MAX_ENTRIES)
    distractions: list[Contact] = Field(default_factory=list, max_length=MAX_ENTRIES)
    people_to_ask: list[Contact] = Field(default_factory=list, max_length=MAX_ENTRIES)
    professionals: list[Contact] = Field(default_factory=list, max_length=MAX_ENTRIES)
    safe_environment: list[Entry] = Field(default_factory=list, max_length=MAX_ENTRIES)
    reason_for_living: Annotated[str, Field(max_length=MAX_REASON), AfterValidator(_plain_text)] | None = None

    def stored(self) -> dict[str, Any]:
        """The content as one version stores it (JSON)."""
        return self.model_dump(mode="json", include=set(CONTENT_KEYS))


def empty_content() -> dict[str, Any]:
    return SafetyPlanContent().stored()


def sections_changed(before: Mapping[str, Any] | None, after: Mapping[str, Any]) -> list[str]:
    """The keys of the sections (and ``reason_for_living``) that differ, in the form's order."""
    old = before or empty_content()
    return [key for key in CONTENT_KEYS if old.get(key) != after.get(key)]


def entry_counts(content: Mapping[str, Any]) -> dict[str, int]:
    """How many entries each section holds (what an audit event may say of a plan)."""
    return {key: len(content.get(key) or []) for key in SECTION_KEYS}
