"""The database engine, sessions, and the metadata every table registers on."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import NullPool
from sqlmodel import SQLModel

import companion.models  # noqa: F401  (registers the tables)
from companion.settings import Settings

metadata = SQLModel.metadata

AFTER_COMMIT_KEY = "after_commit"


def create_engine(settings: Settings, *, pooled: bool = True) -> AsyncEngine:
    """The engine for ``settings``. Unpooled, each session opens and closes its own connection, so
    the engine can serve an event loop other than the one that made it (an app driven from a thread
    of its own).

    A pooled connection is not pinged at each checkout (a round trip for every unit of work, the
    busiest path's largest single cost): one found broken fails its unit of work (the inbound
    worker and the dispatcher try theirs again), and SQLAlchemy then discards every connection the
    pool held from before the break. Connections are also renewed every half hour,
    so none outlives a server's idle timeout."""
    url = settings.database_url
    kwargs: dict[str, Any] = {"echo": settings.db_echo}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"timeout": 30}
    if not pooled:
        kwargs["poolclass"] = NullPool
    elif not url.startswith("sqlite"):
        kwargs["pool_size"] = settings.db_pool_size
        kwargs["max_overflow"] = settings.db_pool_size
        kwargs["pool_recycle"] = 1800
    engine = create_async_engine(url, **kwargs)
    if url.startswith("sqlite"):
        _configure_sqlite(engine)
    return engine


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, class_=AsyncSession)


def after_commit(session: AsyncSession, callback: Callable[[], Any]) -> None:
    """Run ``callback`` once the current transaction commits (used to wake workers)."""
    session.info.setdefault(AFTER_COMMIT_KEY, []).append(callback)


async def commit(session: AsyncSession) -> None:
    """Commit and then run the callbacks registered with :func:`after_commit`."""
    await session.commit()
    callbacks = session.info.pop(AFTER_COMMIT_KEY, [])
    for callback in callbacks:
        result = callback()
        if hasattr(result, "__await__"):
            await result


@asynccontextmanager
async def session_scope(maker: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """A unit of work: commits when the block succeeds, rolls back otherwise."""
    async with maker() as session:
        try:
            yield session
            await commit(session)
        except BaseException:
            await session.rollback()
            session.info.pop(AFTER_COMMIT_KEY, None)
            raise


@asynccontextmanager
async def own_transaction(session: AsyncSession) -> AsyncIterator[AsyncConnection]:
    """A short transaction beside the session's unit of work, on its own connection, committed
    when the block ends whatever becomes of the request: for a fact that must stand even when
    the request then fails, and that concurrent requests must see at once (a counted sign-in
    attempt). Use it before the session writes anything: on SQLite the session's own write
    would hold the lock this transaction waits for."""
    bind = session.bind
    if not isinstance(bind, AsyncEngine):
        raise TypeError("own_transaction needs a session bound to an engine")
    async with bind.begin() as conn:
        yield conn
