"""The VAPID key: made and kept by the embedded default, given by setting elsewhere, else push off."""

from __future__ import annotations

import base64
import logging
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from companion.settings import Settings
from companion.vapid_keys import (
    FALLBACK_SUBJECT,
    VapidKeyError,
    b64url,
    load_private_key,
    new_private_key_pem,
    public_key_of,
    subject_for,
    with_vapid_key,
)

POSTGRES = "postgresql+asyncpg://nobody@127.0.0.1:1/nowhere"


def _sqlite(path: Path, **values: object) -> Settings:
    return Settings(database_url=f"sqlite+aiosqlite:///{path}", **values)  # type: ignore[arg-type]


def test_the_embedded_default_makes_a_private_key_once_and_keeps_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    database = tmp_path / "companion.db"
    with caplog.at_level(logging.DEBUG):
        first = with_vapid_key(_sqlite(database))
    kept = tmp_path / "companion.db.vapid"
    assert first.push_enabled and kept.read_text().strip() == first.vapid_private_key
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert with_vapid_key(_sqlite(database)).vapid_private_key == first.vapid_private_key
    assert first.vapid_private_key is not None
    assert first.vapid_private_key.split("\n")[1] not in caplog.text  # never logged
    assert first.vapid_private_key not in repr(first)


def test_an_in_memory_database_gets_a_key_for_the_process() -> None:
    settings = with_vapid_key(Settings(database_url="sqlite+aiosqlite:///:memory:"))
    assert settings.push_enabled


@pytest.mark.parametrize("environment", [{"database_url": POSTGRES}, {"environment": "production"}])
def test_elsewhere_push_is_off_without_a_key(tmp_path: Path, environment: dict[str, str]) -> None:
    values: dict[str, object] = {"database_url": f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"} | environment
    settings = with_vapid_key(Settings(**values))  # type: ignore[arg-type]
    assert not settings.push_enabled
    assert not (tmp_path / "x.db.vapid").exists()


def test_a_key_given_by_setting_is_used_as_pem_or_raw_base64url() -> None:
    pem = new_private_key_pem()
    assert with_vapid_key(Settings(database_url=POSTGRES, vapid_private_key=pem)).vapid_private_key == pem
    key = load_private_key(pem)
    raw = b64url(key.private_numbers().private_value.to_bytes(32, "big"))
    assert public_key_of(raw) == public_key_of(pem)
    public = base64.urlsafe_b64decode(public_key_of(pem) + "=")
    assert len(public) == 65 and public[0] == 4


@pytest.mark.parametrize(
    "bad",
    [
        "not a key",
        b64url(b"\x01" * 31),
        "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----",
    ],
)
def test_a_key_that_is_not_a_p256_key_refuses_to_start(bad: str) -> None:
    with pytest.raises(VapidKeyError) as refused:
        with_vapid_key(Settings(database_url=POSTGRES, vapid_private_key=bad))
    assert bad not in str(refused.value)


def test_a_key_on_another_curve_is_refused() -> None:
    other = ec.generate_private_key(ec.SECP384R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    with pytest.raises(VapidKeyError, match="P-256"):
        load_private_key(other)


@pytest.mark.parametrize(
    ("values", "subject"),
    [
        ({"vapid_subject": "mailto:care@clinic.example"}, "mailto:care@clinic.example"),
        ({"public_base_url": "https://companion.clinic.example/app"}, "https://companion.clinic.example"),
        ({"public_base_url": "https://companion.clinic.example:8443"}, FALLBACK_SUBJECT),
        ({"public_base_url": "http://127.0.0.1:8000"}, FALLBACK_SUBJECT),
    ],
)
def test_the_contact_given_to_push_services(values: dict[str, str], subject: str) -> None:
    assert subject_for(Settings(**values)) == subject  # type: ignore[arg-type]
