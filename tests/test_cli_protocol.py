"""`companion protocol ...` on a fresh SQLite file: the demo clinic's stored version 1, import,
export (the text as accepted, byte for byte), versions, activate, and refusals on stderr."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from companion.cli import main
from companion.settings import Settings
from tests.clinics.protocol_texts import SHIPPED, SHIPPED_LABEL, labelled, on_call

CLINIC = "Demo Ketamine Clinic"


@pytest.fixture
def fresh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Path:
    path = tmp_path / "fresh.db"
    settings = Settings(database_url=f"sqlite+aiosqlite:///{path}", secret_key="cli-test-secret-key-0123456789-abcdef")
    monkeypatch.setattr("companion.cli.get_settings", lambda: settings)
    assert main(["demo", "--no-history"]) == 0
    capsys.readouterr()
    return path


def _rows(path: Path, query: str) -> list[tuple]:
    with sqlite3.connect(path) as conn:
        return conn.execute(query).fetchall()


def test_the_demo_clinic_runs_on_the_seed_file_stored_as_version_1(fresh: Path) -> None:
    assert _rows(fresh, "SELECT number, label, origin, text FROM protocol_version") == [
        (1, SHIPPED_LABEL, "demo", SHIPPED)]
    assert _rows(fresh, "SELECT clinic_id, version_id FROM active_protocol") == [(1, 1)]
    assert len(_rows(fresh, "SELECT id FROM oncall_position")) == 4


def test_import_then_export_gives_back_the_bytes_imported(
    fresh: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "north.toml"
    source.write_bytes(labelled("north-2").replace("\n", "\r\n").encode("utf-8")[:-2])  # CRLF, no final newline
    assert main(["protocol", "import", "--clinic", CLINIC, str(source)]) == 0
    assert "version 2 (north-2) active" in capsys.readouterr().out
    out = tmp_path / "out.toml"
    assert main(["protocol", "export", "--clinic", "1", "-o", str(out)]) == 0
    assert out.read_bytes() == source.read_bytes()
    assert main(["protocol", "export", "--clinic", CLINIC, "--version", "1"]) == 0
    assert capsys.readouterr().out == SHIPPED
    assert _rows(fresh, "SELECT actor, action FROM audit_event WHERE action LIKE 'protocol.%' ORDER BY id")[-2:] == [
        ("cli", "protocol.version_add"), ("cli", "protocol.activate")]


def test_versions_and_activate_roll_back(fresh: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "two.toml"
    source.write_text(labelled("two"), encoding="utf-8")
    assert main(["protocol", "import", "--clinic", CLINIC, "--no-activate", str(source)]) == 0
    assert "stored, not active" in capsys.readouterr().out
    assert main(["protocol", "versions", "--clinic", CLINIC]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[:3] for line in lines] == [["2", "two", "cli"], ["*", "1", SHIPPED_LABEL]]
    assert main(["protocol", "activate", "--clinic", CLINIC, "2"]) == 0
    assert "version 2 (two) active" in capsys.readouterr().out
    assert main(["protocol", "activate", "--clinic", CLINIC, "1"]) == 0
    assert _rows(fresh, "SELECT version_id FROM active_protocol") == [(1,)]
    assert main(["protocol", "activate", "--clinic", CLINIC, "7"]) == 2
    assert "no protocol version 7" in capsys.readouterr().err


def test_a_refused_file_names_each_place_on_stderr(
    fresh: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "bad.toml"
    source.write_text(on_call("stranger@example.org"), encoding="utf-8")
    assert main(["protocol", "import", "--clinic", CLINIC, str(source)]) == 2
    err = capsys.readouterr().err
    assert "protocol error: rota.on_call_clinician.rotation[0]: 'stranger@example.org' is not a member" in err
    assert _rows(fresh, "SELECT count(*) FROM protocol_version") == [(1,)]
    assert _rows(fresh, "SELECT action FROM audit_event ORDER BY id DESC LIMIT 1") == [("protocol.refused",)]


def test_an_unknown_clinic_is_a_clear_error(fresh: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "p.toml"
    source.write_text(SHIPPED, encoding="utf-8")
    assert main(["protocol", "import", "--clinic", "Nowhere Clinic", str(source)]) == 2
    assert "no clinic named 'Nowhere Clinic'" in capsys.readouterr().err
    assert main(["protocol", "versions", "--clinic", "42"]) == 2
    assert "no clinic with id 42" in capsys.readouterr().err
    assert main(["protocol", "export", "--clinic", "Nowhere Clinic"]) == 2
