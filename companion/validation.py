"""Field checks shared by request schemas and parameters: phone numbers, time zones, aware datetimes
within the range the companion stores, row ids the database can hold, and how deep a JSON body nests."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import phonenumbers

DEFAULT_REGION = "US"


def normalise_phone(value: str, region: str = DEFAULT_REGION) -> str:
    """Parse a phone number and return it in E.164, or raise ValueError with a readable reason."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError("phone number is required")
    if len(value) > 32:
        raise ValueError("phone number is too long")
    try:
        parsed = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException as exc:
        raise ValueError("not a phone number") from exc
    if not phonenumbers.is_valid_number(parsed):
        raise ValueError("not a valid phone number")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


_ZONES: frozenset[str] | None = None


def check_timezone(value: str) -> str:
    global _ZONES
    if _ZONES is None:
        _ZONES = frozenset(available_timezones())
    if value not in _ZONES:
        raise ValueError(f"unknown time zone {value!r}; use an IANA name such as America/New_York")
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {value!r}") from exc
    return value


# The moments the companion accepts: wide enough for any record a clinic keeps, narrow enough that
# the plans and reminders computed from them (days and weeks later) stay within what datetime holds.
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)
OUT_OF_RANGE = f"datetime must lie between {EARLIEST:%Y-%m-%d} and {LATEST:%Y-%m-%d}"


def require_aware(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("datetime must include a time zone offset, e.g. 2026-11-27T09:00:00Z")
    try:
        utc = value.astimezone(UTC)
    except OverflowError as exc:  # 9999-12-31T23:00-05:00 is past the last moment datetime holds
        raise ValueError(OUT_OF_RANGE) from exc
    if not EARLIEST <= utc < LATEST:
        raise ValueError(OUT_OF_RANGE)
    return utc


# Row ids are the database's INTEGER: a larger one names no row, and PostgreSQL refuses to compare it.
MAX_ROW_ID = 2**31 - 1
# A page starts at most this far in: past every row there can be.
MAX_OFFSET = 2**31 - 1


def parse_positive_integer(text: str | None) -> int | None:
    """A positive number the database's INTEGER holds (a row id, a provider's error code) written in
    ASCII digits, or None for anything else (empty, signed, other digits, too large)."""
    if not text or len(text) > 10 or not (text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if 1 <= value <= MAX_ROW_ID else None


# How deep a JSON body may nest: the deepest body of this API nests three levels, and decoding a
# much deeper one exhausts the decoder's recursion.
MAX_JSON_DEPTH = 32
_STRING_OR_BRACKET = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.DOTALL)
_OPENERS = frozenset(b"[{")


def json_too_deep(body: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether ``body`` opens more than ``limit`` arrays and objects inside one another (brackets
    inside strings do not count). Malformed JSON is the decoder's to refuse, not this check's."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    depth = 0
    for match in _STRING_OR_BRACKET.finditer(body):
        token = match.group()
        if len(token) != 1:
            continue
        if token[0] in _OPENERS:
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


def mask_phone(phone: str | None) -> str:
    """Show only the last two digits of a number, for logs."""
    if not phone:
        return "-"
    return "***" + phone[-2:]
