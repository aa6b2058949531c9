"""A logged exception names its types and frames, never its messages or SQL parameters."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from companion.observability.tracebacks import describe_exception

PHONE = "+12025550142"
CAUSE = "The above exception was the direct cause of the following exception:"
CONTEXT = "During handling of the above exception, another exception occurred:"


def _raise_chained(how: str) -> None:
    try:
        raise KeyError(f"secret {PHONE}")
    except KeyError as inner:
        if how == "cause":
            raise ValueError(f"outer {PHONE}") from inner
        if how == "context":
            raise ValueError(f"outer {PHONE}")  # noqa: B904 (the implicit context is what is tested)
        raise ValueError(f"outer {PHONE}") from None


def _caught(how: str) -> BaseException:
    try:
        _raise_chained(how)
    except ValueError as exc:
        return exc
    raise AssertionError("nothing was raised")


@pytest.mark.parametrize(
    ("how", "types", "sentence"),
    [
        ("cause", ["KeyError", "ValueError"], CAUSE),
        ("context", ["KeyError", "ValueError"], CONTEXT),
        ("suppressed", ["ValueError"], None),
    ],
)
def test_a_chain_is_told_oldest_first_without_messages(how: str, types: list[str], sentence: str | None) -> None:
    described = describe_exception(_caught(how))
    named = [line.split(" ")[0] for line in described.splitlines() if line.endswith("(message withheld)")]
    assert named == types
    assert [s for s in (CAUSE, CONTEXT) if s in described] == ([sentence] if sentence else [])
    assert PHONE not in described  # the source line shows {PHONE}, the message its value
    assert "in _raise_chained" in described and 'raise ValueError(f"outer {PHONE}")' in described


def test_a_cycle_in_the_chain_ends() -> None:
    first, second = ValueError("a"), KeyError("b")
    first.__context__, second.__context__ = second, first
    assert describe_exception(first).count("(message withheld)") == 2


async def test_a_database_error_keeps_its_statement_and_loses_its_parameters(session: AsyncSession) -> None:
    with pytest.raises(DBAPIError) as caught:
        await session.execute(text("SELECT id FROM patient WHERE phone = :phone AND no_such_column = 1"),
                              {"phone": PHONE})
    assert PHONE in str(caught.value)  # what a plain traceback would have written
    described = describe_exception(caught.value)
    assert PHONE not in described
    assert type(caught.value).__name__ in described
    assert "statement (parameters withheld): SELECT id FROM patient WHERE phone = " in described
    assert "no_such_column" in described
