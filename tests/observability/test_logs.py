"""Log lines: text by default, JSON lines with COMPANION_LOG_FORMAT=json, uvicorn's loggers included,
an exception told by its type and frames, an access line without its query string."""

from __future__ import annotations

import io
import json
import logging
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import ValidationError

from companion.cli import main
from companion.observability.logs import (
    UVICORN_LOGGERS,
    DropQueryString,
    JsonFormatter,
    TextFormatter,
    configure_logging,
)
from companion.settings import DEFAULT_PROTOCOL_FILE, Settings
from tests.observability.conftest import Captured

PHONE = "+12025550142"


def _record(message: str, *args: object, exc: BaseException | None = None, **extra: object) -> logging.LogRecord:
    exc_info = (type(exc), exc, exc.__traceback__) if exc is not None else None
    record = logging.LogRecord("companion.test", logging.WARNING, __file__, 1, message, args, exc_info)
    record.__dict__.update(extra)
    return record


def _failure() -> ValueError:
    try:
        raise ValueError(f"no patient with phone {PHONE}")
    except ValueError as exc:
        return exc


def test_a_json_line_has_time_level_logger_message_and_request_id() -> None:
    line = JsonFormatter().format(_record("message %s of %d", "one", 2, request_id="r-1"))
    entry = json.loads(line)
    assert set(entry) == {"timestamp", "level", "logger", "message", "request_id"}
    assert (entry["level"], entry["logger"], entry["message"], entry["request_id"]) == (
        "WARNING", "companion.test", "message one of 2", "r-1")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", entry["timestamp"])
    assert "request_id" not in json.loads(JsonFormatter().format(_record("outside", request_id=None)))


@pytest.mark.parametrize("formatter", [JsonFormatter(), TextFormatter()], ids=["json", "text"])
def test_an_exception_is_told_without_its_message_even_if_cached(formatter: logging.Formatter) -> None:
    record = _record("it failed", exc=_failure())
    logging.Formatter().format(record)  # another handler's formatter caches the full traceback first
    assert PHONE in (record.exc_text or "")
    line = formatter.format(record)
    assert PHONE not in line
    text = json.loads(line)["exception"] if isinstance(formatter, JsonFormatter) else line
    assert "ValueError (message withheld)" in text and "in _failure" in text


def test_a_text_line_names_its_request() -> None:
    line = TextFormatter().format(_record("hello", request_id="r-2"))
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} WARNING companion.test: hello \[request r-2\]", line)


@pytest.mark.parametrize(
    ("path", "logged"),
    [("/?c=12.abc.def", "/"), ("/api/v1/patients?search=%2B12025550142", "/api/v1/patients"), ("/health", "/health")],
)
def test_an_access_line_loses_its_query(path: str, logged: str) -> None:
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
                               ("127.0.0.1:5000", "GET", path, "1.1", 200), None)
    assert DropQueryString().filter(record)
    assert record.getMessage() == f'127.0.0.1:5000 - "GET {logged} HTTP/1.1" 200'


def test_uvicorn_and_every_other_logger_write_through_the_one_handler(json_logs: Captured) -> None:
    configure_logging("json", stream=json_logs)  # again: it replaces its own handler, not adds one
    ours = [h for h in logging.getLogger().handlers if isinstance(h.formatter, JsonFormatter)]
    assert len(ours) == 1
    for name in UVICORN_LOGGERS:
        assert logging.getLogger(name).handlers == [] and logging.getLogger(name).propagate
    # (warnings: a served app earlier in the run may have set uvicorn's levels higher than info)
    logging.getLogger("uvicorn.error").warning("Started server process")
    logging.getLogger("uvicorn.access").warning('%s - "%s %s HTTP/%s" %d', "127.0.0.1:1", "GET", "/?c=t", "1.1", 200)
    logging.getLogger("companion.jobs").warning("tick")
    entries = json_logs.records()
    assert [e["logger"] for e in entries] == ["uvicorn.error", "uvicorn.access", "companion.jobs"]
    assert entries[1]["message"] == '127.0.0.1:1 - "GET / HTTP/1.1" 200'


def test_the_log_format_setting_is_text_by_default_and_refuses_others(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COMPANION_LOG_FORMAT", raising=False)
    assert Settings().log_format == "text"
    monkeypatch.setenv("COMPANION_LOG_FORMAT", "json")
    assert Settings().log_format == "json"
    monkeypatch.setenv("COMPANION_LOG_FORMAT", "xml")
    with pytest.raises(ValidationError, match="log_format"):
        Settings()


@pytest.fixture
def restored_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.mark.parametrize("log_format", ["json", "text"])
def test_the_command_logs_in_the_configured_format(
    log_format: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, restored_logging: None
) -> None:
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'c.db'}", secret_key="cli-test-secret-key-0123",
                        log_format=log_format)  # type: ignore[arg-type]
    monkeypatch.setattr("companion.cli.get_settings", lambda: settings)
    stderr = io.StringIO()
    monkeypatch.setattr(sys, "stderr", stderr)
    assert main(["protocol", "check", str(DEFAULT_PROTOCOL_FILE)]) == 0
    logging.getLogger("companion.jobs").info("scheduler started")
    [line] = [line for line in stderr.getvalue().splitlines() if "scheduler started" in line]
    if log_format == "json":
        assert json.loads(line)["message"] == "scheduler started"
    else:
        assert line.endswith("INFO companion.jobs: scheduler started")
