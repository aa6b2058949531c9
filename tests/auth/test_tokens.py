"""Bearer tokens and sign-in code hashes under key rotation (pure: no database)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import pytest

from companion.auth import tokens
from companion.auth.patient_codes import code_matches, hash_code

NOW = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
OLD, NEW, STRANGER = "old-" + "o" * 40, "new-" + "n" * 40, "stranger-" + "s" * 40


def _claims(version: int = 0) -> tokens.TokenClaims:
    return tokens.make_claims("staff", 7, 3, "admin", NOW, timedelta(hours=1), version=version)


@pytest.mark.parametrize(
    ("signed_with", "keys", "verifies"),
    [
        (NEW, [NEW], True),
        (NEW, [NEW, OLD], True),
        (OLD, [NEW, OLD], True),  # the previous key, second in the list, still verifies
        (OLD, [NEW], False),  # ... and not once it is dropped
        (STRANGER, [NEW, OLD], False),
        (OLD, [OLD, NEW], True),
    ],
)
def test_the_first_key_signs_and_every_listed_key_verifies(signed_with: str, keys: list[str], verifies: bool) -> None:
    token = tokens.issue(signed_with, _claims())
    if verifies:
        assert tokens.verify(keys, token, NOW) == _claims()
    else:
        with pytest.raises(tokens.TokenError, match="bad signature"):
            tokens.verify(keys, token, NOW)


def test_one_bare_key_or_none_is_a_programming_error() -> None:
    token = tokens.issue(NEW, _claims())
    with pytest.raises(TypeError):
        tokens.verify(NEW, token, NOW)
    with pytest.raises(ValueError):
        tokens.verify([], token, NOW)


@pytest.mark.parametrize("version", [0, 1, 42])
def test_the_token_version_travels_in_the_token(version: int) -> None:
    assert tokens.verify([NEW], tokens.issue(NEW, _claims(version)), NOW).version == version


def test_a_token_from_before_versions_reads_as_version_zero() -> None:
    body = json.dumps({"k": "staff", "s": 7, "c": 3, "r": "admin", "e": int(NOW.timestamp()) + 60, "p": "access"})
    payload = base64.urlsafe_b64encode(body.encode()).rstrip(b"=").decode()
    signature = base64.urlsafe_b64encode(hmac.new(NEW.encode(), payload.encode(), hashlib.sha256).digest())
    token = f"{payload}.{signature.rstrip(b'=').decode()}"
    assert tokens.verify([NEW], token, NOW).version == 0


@pytest.mark.parametrize(
    ("hashed_with", "keys", "code", "matches"),
    [
        (NEW, [NEW], "123456", True),
        (OLD, [NEW, OLD], "123456", True),  # a code sent just before the rotation still signs in
        (OLD, [NEW], "123456", False),
        (STRANGER, [NEW, OLD], "123456", False),
        (NEW, [NEW, OLD], "123457", False),
    ],
)
def test_a_code_hash_is_checked_against_every_key(
    hashed_with: str, keys: list[str], code: str, matches: bool
) -> None:
    stored = hash_code(hashed_with, "+12025550142", "123456")
    assert code_matches(keys, "+12025550142", code, stored) is matches


def test_no_stored_hash_never_matches() -> None:
    assert code_matches([NEW, OLD], "+12025550142", "123456", None) is False
    with pytest.raises(TypeError):
        code_matches(NEW, "+12025550142", "123456", hash_code(NEW, "+12025550142", "123456"))
