from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from companion.validation import (
    MAX_JSON_DEPTH,
    MAX_ROW_ID,
    OUT_OF_RANGE,
    json_too_deep,
    parse_positive_integer,
    require_aware,
)


@pytest.mark.parametrize(
    ("body", "too_deep"),
    [
        (b"", False),
        (b'{"a": 1}', False),
        (b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH, False),
        (b"[" * (MAX_JSON_DEPTH + 1) + b"]" * (MAX_JSON_DEPTH + 1), True),
        (b'{"a":' * (MAX_JSON_DEPTH + 1) + b"1" + b"}" * (MAX_JSON_DEPTH + 1), True),
        (b"[" * 1000 + b"]" * 1000, True),
        # Many brackets side by side are width, not depth.
        (b"[" + b"[],"* 500 + b"[]]", False),
        # Brackets inside strings do not count, even after an escaped quote.
        (b'{"a": "' + b"[" * 100 + b'"}', False),
        (b'{"a": "\\"' + b"{" * 100 + b'"}', False),
        (b'["\\\\", ' + b"[" * (MAX_JSON_DEPTH + 1) + b"]" * (MAX_JSON_DEPTH + 1) + b"]", True),
        # Unbalanced input is the decoder's to refuse; only depth counts here.
        (b"[" * (MAX_JSON_DEPTH + 1), True),
        (b"]" * 100, False),
    ],
)
def test_json_depth(body: bytes, too_deep: bool) -> None:
    assert json_too_deep(body) is too_deep


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1", 1),
        ("30003", 30003),
        (str(MAX_ROW_ID), MAX_ROW_ID),
        (str(MAX_ROW_ID + 1), None),
        ("99999999999999999999", None),
        ("0", None),
        ("-1", None),
        ("+1", None),
        ("", None),
        (None, None),
        ("1.5", None),
        ("²", None),  # a digit to str.isdigit, not to int()
        ("١٢", None),  # Arabic-Indic digits
        (" 7", None),
    ],
)
def test_parse_positive_integer(text: str | None, value: int | None) -> None:
    assert parse_positive_integer(text) == value


EST = timezone(timedelta(hours=-5))
PLUS5 = timezone(timedelta(hours=5))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (datetime(2026, 11, 27, 9, 0, tzinfo=EST), datetime(2026, 11, 27, 14, 0, tzinfo=UTC)),
        (datetime(1900, 1, 1, tzinfo=UTC), datetime(1900, 1, 1, tzinfo=UTC)),
        (datetime(2199, 12, 31, 23, 59, tzinfo=UTC), datetime(2199, 12, 31, 23, 59, tzinfo=UTC)),
        (datetime(9999, 12, 31, 23, 0, tzinfo=EST), OUT_OF_RANGE),  # past datetime.max in UTC
        (datetime(1, 1, 1, 0, 0, tzinfo=PLUS5), OUT_OF_RANGE),  # before datetime.min in UTC
        (datetime(9999, 12, 31, tzinfo=UTC), OUT_OF_RANGE),
        (datetime(1899, 12, 31, 23, 59, tzinfo=UTC), OUT_OF_RANGE),
        (datetime(2200, 1, 1, tzinfo=UTC), OUT_OF_RANGE),
        (datetime(2026, 11, 27, 9, 0), "time zone offset"),
    ],
)
def test_require_aware(value: datetime, expected: datetime | str) -> None:
    if isinstance(expected, datetime):
        assert require_aware(value) == expected
        assert require_aware(value).tzinfo is UTC
    else:
        with pytest.raises(ValueError, match=expected):
            require_aware(value)
