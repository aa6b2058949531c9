"""Sign-in backoff kept in the database, so every replica counts the same attempts.

An attempt is counted by one conditional statement in a short transaction of its own, committed
before the password or code is checked: ``UPDATE ... SET attempts = attempts + 1, allowed_at =
<when the next may come> WHERE allowed_at IS NULL OR allowed_at <= now``. Concurrent attempts
serialise on the row (PostgreSQL re-reads it after the first commits; SQLite has one writer), so
each sees the count the one before left, and a refused attempt changes nothing. The rule itself
(how long to wait after n attempts) is in :mod:`companion.auth.backoff`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import case, delete, literal, null, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from companion.auth.backoff import Backoff, retry_after_seconds
from companion.db import own_transaction
from companion.db_types import UTCDateTime
from companion.errors import TooManyRequests
from companion.models import SignInThrottle
from companion.models.base import table_of
from companion.settings import Settings

STAFF_ACCOUNT = "staff"
STAFF_ADDRESS = "staff-address"
PATIENT_PHONE = "patient-phone"
MAX_KEY_LENGTH = 64

T = table_of(SignInThrottle)


def staff_account_backoff(settings: Settings) -> Backoff:
    return Backoff(settings.login_backoff_free_per_account, settings.login_backoff_cap_seconds,
                   timedelta(minutes=settings.backoff_forget_minutes))


def staff_address_backoff(settings: Settings) -> Backoff:
    return Backoff(settings.login_backoff_free_per_address, settings.login_backoff_cap_seconds,
                   timedelta(minutes=settings.backoff_forget_minutes))


def patient_phone_backoff(settings: Settings) -> Backoff:
    return Backoff(settings.patient_backoff_free_per_phone, settings.patient_backoff_cap_seconds,
                   timedelta(minutes=settings.backoff_forget_minutes))


async def _ensure_row(conn: AsyncConnection, scope: str, key: str, now: datetime) -> None:
    values = {"scope": scope, "key": key, "attempts": 0, "allowed_at": None, "updated_at": now}
    insert = postgresql_insert if conn.dialect.name == "postgresql" else sqlite_insert
    await conn.execute(insert(T).values(**values).on_conflict_do_nothing(index_elements=["scope", "key"]))


async def claim(
    session: AsyncSession, scope: str, key: str, backoff: Backoff, now: datetime, refusal: str
) -> int:
    """Count one attempt for ``key``, committed at once; returns the attempts counted in a row.

    Refused with 429 (Retry-After: until the next attempt is allowed) when it comes too soon;
    a refused attempt is not counted, so a flood does not push the wait further out.
    """
    key = key[:MAX_KEY_LENGTH]
    stale = now - backoff.forget
    previous = case((T.c.updated_at <= stale, 0), else_=T.c.attempts)
    counted = previous + 1
    schedule = backoff.schedule(now)
    allowed_at = case(
        # No wait at all (not "from now"): a request stamped a moment earlier that reaches the row
        # later must not find itself too soon.
        (counted < backoff.free, null()),
        *((counted == backoff.free + k, literal(at, UTCDateTime())) for k, at in enumerate(schedule[:-1])),
        else_=literal(schedule[-1], UTCDateTime()),
    )
    this_key = (T.c.scope == scope) & (T.c.key == key)
    statement = (
        update(T)
        .where(this_key, or_(T.c.allowed_at.is_(None), T.c.allowed_at <= now, T.c.updated_at <= stale))
        .values(attempts=counted, allowed_at=allowed_at, updated_at=now)
        .returning(T.c.attempts)
    )
    waits_until = None
    async with own_transaction(session) as conn:
        for _ in range(2):
            await _ensure_row(conn, scope, key, now)
            attempts = (await conn.execute(statement)).scalar_one_or_none()
            if attempts is not None:
                return int(attempts)
            row = (await conn.execute(select(T.c.allowed_at).where(this_key))).first()
            if row is not None:
                waits_until = row[0]
                break
            # The row went between the two statements (a success reset the key): count afresh.
    raise TooManyRequests(refusal, retry_after=retry_after_seconds(now, waits_until or now))


async def reset(session: AsyncSession, scope: str, key: str) -> None:
    """A success: the key starts afresh (in the request's unit of work)."""
    await session.execute(delete(T).where(T.c.scope == scope, T.c.key == key[:MAX_KEY_LENGTH]))


async def refund(session: AsyncSession, scope: str, key: str) -> None:
    """A success that must not clear the key's backoff (one address serves many people): the
    attempt just counted is taken back, the wait already set stays."""
    await session.execute(
        update(T)
        .where(T.c.scope == scope, T.c.key == key[:MAX_KEY_LENGTH], T.c.attempts > 0)
        .values(attempts=T.c.attempts - 1)
    )


async def waiting_until(session: AsyncSession, scope: str, keys: list[str], now: datetime) -> dict[str, datetime]:
    """The keys of ``scope`` whose next attempt must wait, and until when (a key quiet past its
    forget time waits no more, but its row stays until it is next used)."""
    if not keys:
        return {}
    rows = await session.execute(
        select(T.c.key, T.c.allowed_at).where(
            T.c.scope == scope, T.c.key.in_([key[:MAX_KEY_LENGTH] for key in keys]), T.c.allowed_at > now,
        )
    )
    return {row.key: row.allowed_at for row in rows}
