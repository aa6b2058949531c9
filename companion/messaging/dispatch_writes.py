"""The dispatcher's writes of a group of results that share a shape: the rows the provider
accepted, and the attempts. On PostgreSQL each is one statement of arrays, whatever the group's
size (companion/db_unnest.py); elsewhere one statement per row."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, case, insert, or_, text, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection

from companion.db_unnest import arrays, unnest_insert
from companion.models import MessageAttempt, MessageStatus, OutboundMessage
from companion.models.base import table_of

T = table_of(OutboundMessage)
A = table_of(MessageAttempt)

_ACCEPTED_UNNEST = text(
    f"UPDATE {T.name} AS t SET provider_sid = v.sid, sent_at = :now, status_at = :now,"
    " status = CASE WHEN t.status = :pending OR (t.status = :sending AND t.claimed_by = :me)"
    " THEN v.st ELSE t.status END,"
    " claimed_by = CASE WHEN t.status = :pending OR t.claimed_by = :me THEN NULL ELSE t.claimed_by END"
    f" FROM unnest(CAST(:mid AS {T.c.id.type.compile(dialect=postgresql.dialect())}[]),"
    " CAST(:sid AS VARCHAR[]), CAST(:st AS VARCHAR[])) AS v(mid, sid, st) WHERE t.id = v.mid"
)
_ATTEMPT_COLUMNS = ("message_id", "at", "outcome", "http_status", "error_code", "detail")


async def write_accepted(conn: AsyncConnection, identity: str, accepted: list[dict[str, Any]], now: datetime) -> None:
    """``accepted``: {"mid", "sid", "st"} per row. Accepted is accepted: even a row taken back
    meanwhile (its dispatcher was stalled and taken for dead) is marked sent, unless another
    dispatcher is sending it now."""
    if conn.dialect.name == "postgresql":
        await conn.execute(_ACCEPTED_UNNEST, {
            "mid": [a["mid"] for a in accepted], "sid": [a["sid"] for a in accepted],
            "st": [a["st"] for a in accepted], "now": now, "me": identity,
            "pending": MessageStatus.PENDING, "sending": MessageStatus.SENDING,
        })
        return
    in_flight_here = and_(T.c.status == MessageStatus.SENDING, T.c.claimed_by == identity)
    mine = or_(T.c.status == MessageStatus.PENDING, in_flight_here)
    await conn.execute(
        update(T)
        .where(T.c.id == bindparam("mid"))
        .values(
            provider_sid=bindparam("sid"),
            sent_at=now,
            status=case((mine, bindparam("st")), else_=T.c.status),
            claimed_by=case((or_(mine, T.c.claimed_by == identity), None), else_=T.c.claimed_by),
            status_at=now,
        ),
        accepted,
    )


async def write_attempts(conn: AsyncConnection, attempts: list[dict[str, Any]]) -> None:
    """One MessageAttempt row per dict (the columns of _ATTEMPT_COLUMNS)."""
    if conn.dialect.name == "postgresql":
        await conn.execute(unnest_insert(A, _ATTEMPT_COLUMNS), arrays(A, attempts, _ATTEMPT_COLUMNS)[1])
    else:
        await conn.execute(insert(A), attempts)
