"""Exceptions described by their types and frames, never by their messages.

An exception's message can carry protected health information: SQLAlchemy's errors quote the
statement's parameters (a phone number, a message body), a database driver quotes the row that
broke a constraint. So a logged exception names its type, where it was raised (file, line,
function and the source line) and, for a failed SQL statement, the statement's text, whose values
are placeholders; the messages and parameters are left out."""

from __future__ import annotations

import traceback

from sqlalchemy.exc import StatementError

STATEMENT_CHARS = 300
_CAUSE = "The above exception was the direct cause of the following exception:"
_CONTEXT = "During handling of the above exception, another exception occurred:"


def _chain(exc: BaseException) -> list[tuple[BaseException, str]]:
    """``exc`` and the exceptions behind it, oldest first, each with the sentence that joins it to
    the one printed before it (empty for the oldest)."""
    chain: list[tuple[BaseException, str]] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if current.__cause__ is not None:
            older, joined = current.__cause__, _CAUSE
        elif current.__context__ is not None and not current.__suppress_context__:
            older, joined = current.__context__, _CONTEXT
        else:
            older, joined = None, ""
        if older is not None and id(older) in seen:
            joined = ""
        chain.append((current, joined))
        current = older
    return chain[::-1]


def _name(exc: BaseException) -> str:
    cls = type(exc)
    return cls.__qualname__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"


def _one(exc: BaseException) -> list[str]:
    lines = ["Traceback (most recent call last):"]
    for frame in traceback.extract_tb(exc.__traceback__):
        lines.append(f'  File "{frame.filename}", line {frame.lineno}, in {frame.name}')
        if frame.line:
            lines.append(f"    {frame.line.strip()}")
    lines.append(f"{_name(exc)} (message withheld)")
    if isinstance(exc, StatementError) and exc.statement:
        statement = " ".join(str(exc.statement).split())
        if len(statement) > STATEMENT_CHARS:
            statement = statement[:STATEMENT_CHARS] + "..."
        lines.append(f"  statement (parameters withheld): {statement}")
    return lines


def describe_exception(exc: BaseException) -> str:
    """A traceback in Python's own layout (oldest exception first) without any exception's message."""
    lines: list[str] = []
    for part, joined in _chain(exc):
        if joined:
            lines.extend(["", joined, ""])
        lines.extend(_one(part))
    return "\n".join(lines)
