"""Field checks shared by request schemas: phone numbers, time zones, aware datetimes."""

from __future__ import annotations

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


def require_aware(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("datetime must include a time zone offset, e.g. 2026-11-27T09:00:00Z")
    return value.astimezone(UTC)


def mask_phone(phone: str | None) -> str:
    """Show only the last two digits of a number, for logs."""
    if not phone:
        return "-"
    return "***" + phone[-2:]
