"""The login-flood benchmark starts its server on PostgreSQL, where the companion refuses to start
without a secret key (docs/sessions-and-keys.md): the benchmark gives it one of its own."""

from __future__ import annotations

import pytest

from benchmarks.login_flood import server_env
from companion.secret_keys import with_secret_keys
from companion.settings import Settings


def test_the_login_flood_server_gets_a_secret_key_and_the_changes_asked_for(monkeypatch: pytest.MonkeyPatch) -> None:
    env = server_env(
        "postgresql+asyncpg://postgres@127.0.0.1:5432/companion_login_bench",
        "http://127.0.0.1:8001",
        "AC" + "0" * 32,
        "http://127.0.0.1:8002",
        ["PASSWORD_WORKERS=1"],
    )
    monkeypatch.delenv("COMPANION_SECRET_KEY", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = with_secret_keys(Settings())
    assert settings.secret_keys == (env["COMPANION_SECRET_KEY"],)
    assert settings.password_workers == 1
    assert server_env("", "", "", "")["COMPANION_SECRET_KEY"] != env["COMPANION_SECRET_KEY"]
