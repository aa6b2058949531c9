"""Request-scoped dependencies: the database session, the clock, settings. (The clinic's safety
protocol comes with the signed-in person: ``companion.auth.api``.)"""

from __future__ import annotations

from collections.abc import AsyncGenerator

from litestar.datastructures import State
from sqlalchemy.ext.asyncio import AsyncSession

from companion.clock import Clock
from companion.db import AFTER_COMMIT_KEY, commit
from companion.errors import DomainError
from companion.messaging.wakeup import WAKER_KEY
from companion.settings import Settings


async def provide_db_session(state: State) -> AsyncGenerator[AsyncSession, None]:
    """One session per request; the request commits when its handler succeeded."""
    session: AsyncSession = state.sessionmaker()
    session.info[WAKER_KEY] = state.waker
    try:
        yield session
        await commit(session)
    except DomainError as exc:
        if exc.keep_changes:
            await commit(session)
        else:
            await session.rollback()
        raise
    except BaseException:
        await session.rollback()
        session.info.pop(AFTER_COMMIT_KEY, None)
        raise
    finally:
        await session.close()


def provide_clock(state: State) -> Clock:
    return state.clock


def provide_settings(state: State) -> Settings:
    return state.settings
