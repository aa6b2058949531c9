"""Path and query parameters shared by the controllers, with the bounds every handler needs.

An id outside 1..MAX_ROW_ID names no row (ids are the database's INTEGER), and a number past what
the database compares would fail the query, so such values are refused as a 400 naming the
parameter before any handler runs. Every integer parameter of the API uses one of these."""

from __future__ import annotations

from typing import Annotated

from litestar.params import Parameter

from companion.validation import MAX_OFFSET, MAX_ROW_ID

RowId = Annotated[int, Parameter(ge=1, le=MAX_ROW_ID, description="a row id")]
Offset = Annotated[int, Parameter(ge=0, le=MAX_OFFSET, description="rows to skip")]
Limit = Annotated[int, Parameter(ge=1, le=200, description="rows in a page")]
Search = Annotated[str | None, Parameter(max_length=32, description="part of a reference or name")]
OptionalRowId = Annotated[int | None, Parameter(ge=1, le=MAX_ROW_ID, description="a row id")]
