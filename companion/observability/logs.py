"""Logging for `companion serve` and `companion jobs`: text lines (the default) or JSON lines
(``COMPANION_LOG_FORMAT=json``), uvicorn's loggers included.

Each line has the time, level, logger and message, the request id when it was written while a
request was handled, and an exception's type and frames (never its message; see ``tracebacks``).
uvicorn's access lines keep the path and drop the query string, which can carry a sign-in link's
token or a search term."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import IO, Any, Literal

from companion.observability.request_id import RequestIdFilter
from companion.observability.tracebacks import describe_exception

LogFormat = Literal["text", "json"]
UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi")
QUIET_LOGGERS = ("alembic", "httpx", "apscheduler")
_OURS = "_companion_handler"


def _exception_text(record: logging.LogRecord) -> str | None:
    # Never record.exc_text: another formatter may have cached the exception with its message.
    if record.exc_info and record.exc_info[1] is not None:
        return describe_exception(record.exc_info[1])
    return None


class TextFormatter(logging.Formatter):
    """``2026-11-27 15:00:00,000 INFO companion.web: message [request 4f2c...]`` and the traceback."""

    def format(self, record: logging.LogRecord) -> str:
        line = f"{self.formatTime(record)} {record.levelname} {record.name}: {record.getMessage()}"
        request_id = getattr(record, "request_id", None)
        if request_id:
            line += f" [request {request_id}]"
        exception = _exception_text(record)
        if exception:
            line += "\n" + exception
        if record.stack_info:
            line += "\n" + record.stack_info
        return line


class JsonFormatter(logging.Formatter):
    """One JSON object a line: timestamp (UTC, ISO 8601), level, logger, message, request_id when
    there is one, exception when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None)
        if request_id:
            entry["request_id"] = request_id
        exception = _exception_text(record)
        if exception:
            entry["exception"] = exception
        if record.stack_info:
            entry["stack"] = record.stack_info
        return json.dumps(entry, ensure_ascii=False, default=str)


class DropQueryString(logging.Filter):
    """uvicorn's access line is ``'%s - "%s %s HTTP/%s" %d'``; its third argument loses its query."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) == 5 and isinstance(args[2], str):
            record.args = (args[0], args[1], args[2].split("?", 1)[0], args[3], args[4])
        return True


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at the time (as logging's last-resort handler does)."""

    def __init__(self) -> None:
        logging.Handler.__init__(self)

    @property
    def stream(self) -> IO[str]:
        return sys.stderr


def formatter_for(log_format: LogFormat) -> logging.Formatter:
    return JsonFormatter() if log_format == "json" else TextFormatter()


def configure_logging(log_format: LogFormat, *, stream: IO[str] | None = None, level: int = logging.INFO) -> None:
    """Send every logger's records (uvicorn's too) through one handler on the root logger.

    Calling it again replaces the handler it installed before and leaves other handlers alone."""
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, _OURS, False)]:
        root.removeHandler(old)
    handler: logging.Handler = logging.StreamHandler(stream) if stream is not None else _StderrHandler()
    setattr(handler, _OURS, True)
    handler.setFormatter(formatter_for(log_format))
    handler.addFilter(RequestIdFilter())
    root.addHandler(handler)
    root.setLevel(level)
    for name in UVICORN_LOGGERS:
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, DropQueryString) for f in access.filters):
        access.addFilter(DropQueryString())
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
