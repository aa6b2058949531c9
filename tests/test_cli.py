"""The `companion` command on a fresh SQLite file: demo data, the first admin, migrations."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from companion.cli import main
from companion.settings import Settings


@pytest.fixture
def fresh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "fresh.db"
    settings = Settings(database_url=f"sqlite+aiosqlite:///{path}", secret_key="cli-test-secret-key-0123456789-abcdef")
    monkeypatch.setattr("companion.cli.get_settings", lambda: settings)
    return path


def _count(path: Path, table: str) -> int:
    with sqlite3.connect(path) as conn:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def _rows(path: Path, query: str) -> list[tuple]:
    with sqlite3.connect(path) as conn:
        return conn.execute(query).fetchall()


def test_demo_fills_an_empty_database_once_with_two_weeks_of_history(
    fresh: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "admin@demo.clinic" in out and "clinician@demo.clinic" in out
    assert (_count(fresh, "clinic"), _count(fresh, "staff_member"), _count(fresh, "patient")) == (1, 2, 3)
    assert _count(fresh, "treatment_session") == 6
    # check-ins answered by SMS and in the app, each patient's own way
    sources = dict(_rows(fresh, "SELECT p.reference, group_concat(DISTINCT c.source) FROM checkin c "
                               "JOIN patient p ON p.id = c.patient_id WHERE c.status = 'complete' GROUP BY 1"))
    assert sources == {"P-1001": "sms", "P-1002": "app", "P-1003": "sms"}
    # Alex responds: the PHQ-9 falls over the two weeks
    totals = [row[0] for row in _rows(fresh, "SELECT c.total FROM checkin c JOIN patient p ON p.id = c.patient_id "
                                             "WHERE p.reference = 'P-1001' AND c.instrument = 'phq9' "
                                             "ORDER BY c.completed_at")]
    assert len(totals) >= 2 and totals[0] > totals[-1]
    # a medical alert resolved with a note, a safety alert acknowledged, each by the clinician
    alerts = _rows(fresh, "SELECT a.kind, a.status, a.resolution_note IS NOT NULL, s.email FROM alert a "
                          "JOIN staff_member s ON s.id = a.acknowledged_by ORDER BY a.id")
    assert alerts == [("medical", "resolved", True, "clinician@demo.clinic"),
                      ("same_day", "acknowledged", False, "clinician@demo.clinic")]
    assert _count(fresh, "alert_page") >= 2
    # the patients heard the safety and medical replies, and Jordan's own words are in the inbox
    # (one per serious message: how many of the demo's answers are serious turns on when it is made,
    # so each kind of reply is checked to be there, not their number)
    replies = [body for (body,) in _rows(fresh, "SELECT body FROM outbound_message WHERE purpose = 'safety_reply'")]
    assert any(body.startswith("If your symptoms are severe") for body in replies), replies  # the medical one
    assert any(body.startswith("If you are in danger") for body in replies), replies  # the safety one
    replied = {patient for (patient,) in _rows(fresh, "SELECT DISTINCT patient_id FROM outbound_message "
                                                      "WHERE purpose = 'safety_reply'")}
    alerted = {patient for (patient,) in _rows(fresh, "SELECT DISTINCT patient_id FROM alert")}
    assert replied == alerted
    assert _rows(fresh, "SELECT count(*) FROM inbound_message WHERE body LIKE '%better off without me%'") == [(1,)]
    # a check-in is due today: planned or open, due within a day of now
    due = _rows(fresh, "SELECT count(*) FROM prompt WHERE status IN ('planned', 'open') "
                       "AND due_at BETWEEN datetime('now', '-1 day') AND datetime('now', '+1 day')")
    assert due[0][0] >= 1
    assert main(["demo"]) == 0
    assert "already has data" in capsys.readouterr().out
    assert _count(fresh, "patient") == 3


def test_demo_without_history_plans_the_patients_aftercare_at_once(fresh: Path) -> None:
    assert main(["demo", "--no-history"]) == 0
    assert _count(fresh, "treatment_session") == 6
    assert _count(fresh, "checkin") == 0
    assert _count(fresh, "prompt") > 0


def test_staff_create_makes_the_first_admin(fresh: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["migrate"]) == 0
    code = main(["staff", "create", "--clinic", "Riverside", "--timezone", "America/Chicago", "--email",
                 "Head@Riverside.org", "--name", "Head Admin", "--password", "a long enough password"])
    assert code == 0
    with sqlite3.connect(fresh) as conn:
        assert conn.execute("SELECT email, role FROM staff_member").fetchall() == [("head@riverside.org", "admin")]
        assert conn.execute("SELECT name, timezone FROM clinic").fetchall() == [("Riverside", "America/Chicago")]


def test_staff_create_refuses_a_short_password(fresh: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["migrate"])
    code = main(["staff", "create", "--clinic", "X", "--email", "a@b.org", "--name", "A", "--password", "short"])
    assert code == 2
    assert "password" in capsys.readouterr().err
    assert _count(fresh, "staff_member") == 0


@pytest.mark.parametrize(
    ("proxies", "expected"),
    [
        ([], {"proxy_headers": False, "forwarded_allow_ips": ""}),
        (["10.0.0.0/8", "192.0.2.7"], {"proxy_headers": True, "forwarded_allow_ips": ["10.0.0.0/8", "192.0.2.7/32"]}),
    ],
)
def test_serve_gives_uvicorn_the_proxies_the_app_trusts(
    proxies: list[str], expected: dict[str, object], monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    from companion import cli

    settings = Settings(database_url="sqlite+aiosqlite:///:memory:", trusted_proxies=proxies)
    assert cli.forwarded_header_options(settings) == expected
    seen: dict[str, object] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: seen.update(options))
    monkeypatch.setattr("companion.migrate.upgrade", lambda url: None)
    monkeypatch.setattr("companion.cli.get_settings", lambda: settings)
    assert main(["serve", "--no-jobs"]) == 0
    assert {k: seen[k] for k in expected} == expected
    # uvicorn reads the list the same way: a trusted peer's X-Forwarded-For is believed, no other.
    from uvicorn.middleware.proxy_headers import _TrustedHosts

    trusted = _TrustedHosts(seen["forwarded_allow_ips"])  # type: ignore[arg-type]
    assert ("10.1.2.3" in trusted) is bool(proxies)
    assert "127.0.0.1" not in trusted
