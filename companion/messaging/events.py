"""What the transport reports upward about deliveries. The transport calls these; who answers them
(and what an opt-out or an undelivered prompt means for a patient) lives above it.

Each call runs in the caller's transaction: whatever the implementation writes with ``session``
commits or rolls back together with the delivery result it was reported for."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from companion.messaging.policy import Purpose

# The source recorded for an opt-out the provider reported (Twilio error 21610).
PROVIDER_OPT_OUT = "provider:21610"


class DeliveryEvents(Protocol):
    async def opted_out(self, session: AsyncSession, patient_ids: Sequence[int], source: str) -> None:
        """The provider refused these patients' number: they opted out of SMS with it."""
        ...

    async def undelivered(self, session: AsyncSession, patient_id: int, purpose: Purpose) -> None:
        """A prompt or reminder (``purpose`` says which) to this patient finally could not be
        delivered."""
        ...

    async def call_failed(self, session: AsyncSession, message_id: int) -> None:
        """The voice call of outbox row ``message_id`` could not be placed or failed (not a call
        that rang unanswered, or was busy: those are only recorded)."""
        ...


class PushEvents(Protocol):
    async def push_undelivered(self, session: AsyncSession, push_ids: Sequence[int]) -> None:
        """These pushes expired with their subscription or failed for good (docs/push.md): the SMS
        fallback is decided above transport."""
        ...


@asynccontextmanager
async def joined_session(conn: AsyncConnection) -> AsyncIterator[AsyncSession]:
    """A session for reporting events inside ``conn``'s open transaction. It never commits or
    closes that transaction (``rollback_only``); what it holds is flushed when the block ends, so it
    commits with whatever else ``conn`` writes, or is rolled back with it. Callbacks registered to
    run after a commit (``companion.db.after_commit``) are not run: a message queued here is taken by
    the dispatcher's next round (on PostgreSQL its NOTIFY is delivered on commit)."""
    session = AsyncSession(bind=conn, join_transaction_mode="rollback_only", expire_on_commit=False)
    try:
        yield session
        await session.flush()
    finally:
        await session.close()
