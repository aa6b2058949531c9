"""Many rows inserted on PostgreSQL in one statement made once: ``INSERT ... SELECT FROM unnest(...)``
with one array parameter per column, so a batch of any size is the same prepared statement (no
statement compiled anew for each row count, no parameter per row)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Table, TextClause, text
from sqlalchemy.dialects import postgresql


@lru_cache(maxsize=32)
def unnest_insert(
    table: Table, columns: tuple[str, ...], *, on_conflict: str = "", returning: str = "", notify: str = ""
) -> TextClause:
    """The statement inserting ``columns`` of ``table`` from one array each (parameters named as
    the columns: :func:`arrays` makes them). ``on_conflict`` is what follows ON CONFLICT (say
    ``(message_sid) DO NOTHING``); ``returning`` the columns of the rows inserted to return;
    ``notify`` a channel to NOTIFY (on commit) when at least one row was inserted, in the same
    statement."""
    dialect = postgresql.dialect()
    values = ", ".join(f"CAST(:{c} AS {table.c[c].type.compile(dialect=dialect)}[])" for c in columns)
    insert = f"INSERT INTO {table.name} ({', '.join(columns)}) SELECT * FROM unnest({values})"
    if on_conflict:
        insert += f" ON CONFLICT {on_conflict}"
    if not notify:
        return text(f"{insert} RETURNING {returning}" if returning else insert)
    # Identical notifications of one transaction are delivered once.
    if returning:
        return text(f"WITH inserted AS ({insert} RETURNING {returning}) "
                    f"SELECT {returning}, pg_notify('{notify}', '') FROM inserted")
    key = table.primary_key.columns.keys()[0]
    return text(f"WITH inserted AS ({insert} RETURNING {key}) SELECT pg_notify('{notify}', '') FROM inserted LIMIT 1")


def arrays(
    table: Table, rows: Sequence[Mapping[str, Any]], columns: Sequence[str] | None = None
) -> tuple[tuple[str, ...], dict[str, list[Any]]]:
    """The columns and parameters of :func:`unnest_insert` for ``rows`` (``columns`` of them, by
    default all their keys): each column's values in the rows' order, and the column's own default
    for a column the rows leave out (a statement of text applies no Python-side default)."""
    given = tuple(columns if columns is not None else rows[0])
    defaults = {
        column.name: getattr(column.default, "arg", None) for column in table.columns
        if column.name not in given and column.default is not None and column.default.is_scalar
    }
    params = {c: [row[c] for row in rows] for c in given}
    params.update({c: [value] * len(rows) for c, value in defaults.items()})
    return given + tuple(defaults), params
