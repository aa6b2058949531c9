"""The secret key: made and kept by the embedded default, required everywhere else."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest

from companion import secret_keys
from companion.app import create_app
from companion.cli import main
from companion.secret_keys import MAKE_A_KEY, MIN_KEY_BYTES, key_file_for, load_or_create_key_file, with_secret_keys
from companion.settings import SecretKeyError, Settings, parse_secret_keys

POSTGRES = "postgresql+asyncpg://nobody@127.0.0.1:1/nowhere"
GOOD = "k" * MIN_KEY_BYTES
OTHER = "o" * MIN_KEY_BYTES


def _sqlite(path: Path, **values: object) -> Settings:
    return Settings(database_url=f"sqlite+aiosqlite:///{path}", **values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("raw", "keys"),
    [
        (None, ()),
        ("", ()),
        (" , ,", ()),
        ("one", ("one",)),
        ("new,old", ("new", "old")),
        (" new , old ,", ("new", "old")),
    ],
)
def test_the_setting_is_one_key_or_a_comma_separated_list(raw: str | None, keys: tuple[str, ...]) -> None:
    assert parse_secret_keys(raw) == keys


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite+aiosqlite:///./companion.db", Path("./companion.db.secret")),
        ("sqlite+aiosqlite:////var/lib/companion/data.db", Path("/var/lib/companion/data.db.secret")),
        ("sqlite:///relative/x.db", Path("relative/x.db.secret")),
        ("sqlite+aiosqlite:///file:data/x.db?uri=true", Path("data/x.db.secret")),
        ("sqlite+aiosqlite://", None),
        ("sqlite+aiosqlite:///:memory:", None),
        ("sqlite+aiosqlite:///file:shared?mode=memory&cache=shared&uri=true", None),
    ],
)
def test_the_key_file_sits_beside_the_database_file(url: str, expected: Path | None) -> None:
    assert key_file_for(url) == expected


def test_the_embedded_default_makes_a_private_key_once_and_keeps_it(tmp_path: Path) -> None:
    database = tmp_path / "companion.db"
    first = with_secret_keys(_sqlite(database))
    key_file = tmp_path / "companion.db.secret"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    (key,) = first.secret_keys
    assert len(key.encode()) >= MIN_KEY_BYTES
    assert key_file.read_text().strip() == key
    # A later run (a new process reads the same settings) signs with the same key.
    assert with_secret_keys(_sqlite(database)).secret_keys == (key,)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["companion.db.secret"]  # no temporary file left
    # Run again on settings that already carry the key: nothing changes.
    assert with_secret_keys(first) is first


def test_two_databases_get_two_keys(tmp_path: Path) -> None:
    a = with_secret_keys(_sqlite(tmp_path / "a.db")).secret_keys
    b = with_secret_keys(_sqlite(tmp_path / "b.db")).secret_keys
    assert a != b


def test_a_key_file_kept_from_before_is_used_as_it_is(tmp_path: Path) -> None:
    (tmp_path / "companion.db.secret").write_text(f"{GOOD},{OTHER}\n")
    assert with_secret_keys(_sqlite(tmp_path / "companion.db")).secret_keys == (GOOD, OTHER)


def test_when_another_process_makes_the_file_first_its_key_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "companion.db.secret"
    real_link = os.link

    def other_process_wins(source: str | Path, target: str | Path) -> None:
        path.write_text(OTHER + "\n")  # the other process linked its key in between
        real_link(source, target)

    monkeypatch.setattr(secret_keys.os, "link", other_process_wins)
    assert load_or_create_key_file(path) == (OTHER,)
    assert path.read_text().strip() == OTHER
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


def test_processes_starting_together_agree_on_one_key(tmp_path: Path) -> None:
    path = tmp_path / "companion.db.secret"
    start = threading.Barrier(8)
    results: list[tuple[str, ...]] = []

    def run() -> None:
        start.wait()
        results.append(load_or_create_key_file(path))

    threads = [threading.Thread(target=run) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 8 and len(set(results)) == 1
    assert results[0] == (path.read_text().strip(),)


@pytest.mark.parametrize(("content", "says"), [("", "holds no key"), ("short\n", "at least 32 bytes")])
def test_an_unusable_key_file_is_refused(tmp_path: Path, content: str, says: str) -> None:
    (tmp_path / "companion.db.secret").write_text(content)
    with pytest.raises(SecretKeyError, match=says):
        with_secret_keys(_sqlite(tmp_path / "companion.db"))


def test_a_key_file_others_can_read_is_used_with_a_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "companion.db.secret"
    path.write_text(GOOD)
    path.chmod(0o644)
    assert load_or_create_key_file(path) == (GOOD,)
    assert "chmod 600" in caplog.text and GOOD not in caplog.text


def test_an_in_memory_database_gets_a_key_for_the_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = with_secret_keys(Settings(database_url="sqlite+aiosqlite:///:memory:"))
    assert len(settings.signing_key.encode()) >= MIN_KEY_BYTES
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("values", "why"),
    [
        ({"database_url": POSTGRES}, "the database is not SQLite"),
        ({"database_url": "sqlite+aiosqlite:///{tmp}/companion.db", "environment": "production"}, "production"),
        ({"database_url": "sqlite+aiosqlite:///{tmp}/companion.db", "environment": "Production"}, "production"),
    ],
)
def test_outside_the_embedded_default_no_key_means_no_start(
    tmp_path: Path, values: dict[str, str], why: str
) -> None:
    settings = Settings(**{name: value.format(tmp=tmp_path) for name, value in values.items()})  # type: ignore[arg-type]
    with pytest.raises(SecretKeyError) as refused:
        with_secret_keys(settings)
    assert why in str(refused.value) and MAKE_A_KEY in str(refused.value)
    assert list(tmp_path.iterdir()) == []  # production on SQLite makes no key file either


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ("x" * (MIN_KEY_BYTES - 1), "the key is 31 bytes"),
        (f"{GOOD},tooshort", "key 2 of 2 is 8 bytes"),
        ("é" * 15, "the key is 30 bytes"),  # bytes, not characters
    ],
)
def test_a_short_key_is_refused_without_echoing_it(raw: str, says: str) -> None:
    with pytest.raises(SecretKeyError) as refused:
        with_secret_keys(Settings(database_url=POSTGRES, secret_key=raw))
    message = str(refused.value)
    assert says in message and "at least 32 bytes" in message and MAKE_A_KEY in message
    assert raw.split(",")[-1] not in message


def test_a_long_enough_key_and_a_rotated_list_are_accepted() -> None:
    assert with_secret_keys(Settings(database_url=POSTGRES, secret_key=GOOD)).secret_keys == (GOOD,)
    rotated = with_secret_keys(Settings(database_url=POSTGRES, secret_key=f"{GOOD}, {OTHER}"))
    assert (rotated.signing_key, rotated.secret_keys) == (GOOD, (GOOD, OTHER))


def test_the_key_never_shows_in_the_settings_repr() -> None:
    assert GOOD not in repr(Settings(secret_key=GOOD))


def test_create_app_refuses_without_a_key() -> None:
    with pytest.raises(SecretKeyError, match="COMPANION_SECRET_KEY is not set"):
        create_app(Settings(database_url=POSTGRES))


@pytest.mark.parametrize("command", [["serve"], ["jobs"], ["serve", "--migrate"], ["jobs", "--migrate"]])
def test_serve_and_jobs_refuse_with_a_clear_message(
    command: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # The database is unreachable: the refusal comes before any attempt to reach it.
    monkeypatch.setattr("companion.cli.get_settings", lambda: Settings(database_url=POSTGRES))
    assert main(command) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: COMPANION_SECRET_KEY is not set") and MAKE_A_KEY in err
    assert "Traceback" not in err
