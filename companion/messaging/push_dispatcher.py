"""The push dispatcher: takes due pushes, hands each to the push service, records each result.

A round takes up to ``batch_size`` due rows (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so two
workers never take one row) and marks them ``sending`` in the same commit. A row whose
subscription has ended meanwhile is not sent: it is expired at once. Results are written together
after the round, each row's subscription with it (its last success, its failures, its expiry on
404/410). A row that failed for good or expired is reported to ``events.push_undelivered`` in that
same transaction, which falls back to SMS above transport (docs/push.md).

A worker that dies mid-round leaves rows ``sending``; after ``lease`` any worker puts them back to
be sent again. A second copy is harmless: the push carries a topic and a tag, so the push service
and the browser keep only the newest of one check-in's notifications.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlmodel import col

from companion.clock import Clock
from companion.messaging.events import PushEvents
from companion.messaging.push_gateway import OutgoingPush, PushGateway
from companion.messaging.push_policy import PushDecision, PushResult, decide_push, payload
from companion.models import PushMessage, PushStatus, PushSubscription

log = logging.getLogger("companion.push")

FINAL = {"expire": PushStatus.EXPIRED, "give_up": PushStatus.GAVE_UP}


@dataclass(frozen=True)
class ClaimedPush:
    id: int
    subscription_id: int
    attempts: int  # counting the attempt being made
    push: OutgoingPush


class PushDispatcher:
    def __init__(
        self, engine: AsyncEngine, gateway: PushGateway, clock: Clock, *, events: PushEvents,
        max_attempts: int = 4, retry_base_seconds: float = 5.0, ttl_seconds: int = 4 * 60 * 60,
        concurrency: int = 16, batch_size: int = 100, lease: timedelta = timedelta(minutes=2),
    ) -> None:
        self.engine = engine
        self.gateway = gateway
        self.clock = clock
        self.events = events
        self.max_attempts = max_attempts
        self.retry_base_seconds = retry_base_seconds
        self.ttl_seconds = ttl_seconds
        self.batch_size = batch_size
        self.lease = lease
        self._semaphore = asyncio.Semaphore(concurrency)

    def _session(self) -> AsyncSession:
        return AsyncSession(self.engine, expire_on_commit=False)

    async def claim(self, limit: int) -> list[ClaimedPush]:
        """Take up to ``limit`` due pushes and mark them ``sending``; the ones whose subscription has
        ended are expired (and reported) instead."""
        now = self.clock.now()
        async with self._session() as session, session.begin():
            await self._take_back_stale(session)
            rows = (
                await session.execute(
                    select(PushMessage)
                    .where(
                        col(PushMessage.status) == PushStatus.PENDING,
                        col(PushMessage.due_at) <= now,
                        or_(col(PushMessage.next_attempt_at).is_(None), col(PushMessage.next_attempt_at) <= now),
                    )
                    .order_by(col(PushMessage.due_at), col(PushMessage.id))
                    .limit(limit)
                    .with_for_update(skip_locked=True)
                )
            ).scalars().all()
            if not rows:
                return []
            subscriptions = {
                s.id: s for s in (
                    await session.execute(
                        select(PushSubscription).where(col(PushSubscription.id).in_({r.subscription_id for r in rows}))
                    )
                ).scalars()
            }
            claimed: list[ClaimedPush] = []
            ended: list[int] = []
            for row in rows:
                assert row.id is not None
                subscription = subscriptions[row.subscription_id]
                if subscription.expired_at is not None:
                    row.status, row.status_at, row.error_detail = PushStatus.EXPIRED, now, "subscription ended"
                    ended.append(row.id)
                    continue
                row.status, row.claimed_at, row.attempts = PushStatus.SENDING, now, row.attempts + 1
                claimed.append(ClaimedPush(row.id, row.subscription_id, row.attempts, OutgoingPush(
                    push_id=row.id, endpoint=subscription.endpoint, p256dh=subscription.p256dh,
                    auth=subscription.auth, payload=payload(title=row.title, body=row.body, url=row.url, tag=row.tag),
                    topic=row.tag, ttl=self.ttl_seconds,
                )))
            if ended:
                await session.flush()
                await self.events.push_undelivered(session, ended)
        return claimed

    async def _take_back_stale(self, session: AsyncSession) -> None:
        """Rows left ``sending`` past the lease (their worker died mid-send) are sent again."""
        stale = cast("CursorResult[Any]", (
            await session.execute(
                update(PushMessage)
                .where(col(PushMessage.status) == PushStatus.SENDING,
                       col(PushMessage.claimed_at) < self.clock.now() - self.lease)
                .values(status=PushStatus.PENDING, error_detail="resent after an interrupted send")
                .execution_options(synchronize_session=False)
            )
        ))
        if stale.rowcount:
            log.warning("took back %d pushes of a stopped worker", stale.rowcount)

    async def _send(self, claimed: ClaimedPush) -> PushResult:
        async with self._semaphore:
            try:
                return await self.gateway.send(claimed.push)
            except Exception as exc:  # a gateway bug must not leave the row in flight for ever
                log.exception("push gateway failed on push %s", claimed.id)
                return PushResult(None, type(exc).__name__)

    async def run_once(self) -> int:
        """Take one batch, send it and record the results; returns how many were sent or tried."""
        batch = await self.claim(self.batch_size)
        if not batch:
            return 0
        results = await asyncio.gather(*(self._send(c) for c in batch))
        await self.record(list(zip(batch, results, strict=True)))
        return len(batch)

    async def drain(self, max_rounds: int = 50) -> int:
        total = 0
        for _ in range(max_rounds):
            handled = await self.run_once()
            total += handled
            if handled == 0:
                break
        return total

    async def record(self, results: list[tuple[ClaimedPush, PushResult]]) -> None:
        now = self.clock.now()
        undelivered: list[int] = []
        async with self._session() as session, session.begin():
            for claimed, result in results:
                decision = decide_push(result, claimed.attempts, now, max_attempts=self.max_attempts,
                                       retry_base=self.retry_base_seconds)
                recorded = await self._record_one(session, claimed, result, decision)
                if recorded and decision.action in FINAL:
                    undelivered.append(claimed.id)
                if decision.action != "sent":
                    log.warning("push %s not delivered: %s -> %s", claimed.id, result.detail or result.http_status,
                                decision.reason)
            await session.flush()
            if undelivered:
                await self.events.push_undelivered(session, undelivered)

    async def _record_one(
        self, session: AsyncSession, claimed: ClaimedPush, result: PushResult, decision: PushDecision
    ) -> bool:
        """Write one result; False when the row was no longer ours (taken back meanwhile)."""
        now = self.clock.now()
        ours = and_(col(PushMessage.id) == claimed.id, col(PushMessage.status) == PushStatus.SENDING)
        values: dict[str, object] = {"http_status": result.http_status, "status_at": now,
                                     "error_detail": None if decision.action == "sent" else decision.reason[:200]}
        subscription: dict[str, object]
        if decision.action == "sent":
            values.update(status=PushStatus.SENT, sent_at=now)
            subscription = {"last_success_at": now, "failures": 0}
        elif decision.action == "retry":
            values.update(status=PushStatus.PENDING, next_attempt_at=decision.retry_at)
            subscription = {"failures": col(PushSubscription.failures) + 1}
        else:
            values.update(status=FINAL[decision.action])
            subscription = {"failures": col(PushSubscription.failures) + 1}
        written = cast("CursorResult[Any]", await session.execute(
            update(PushMessage).where(ours).values(**values).execution_options(synchronize_session=False)))
        if not written.rowcount:
            return False
        where = [col(PushSubscription.id) == claimed.subscription_id]
        if decision.action == "expire":
            where.append(col(PushSubscription.expired_at).is_(None))
            subscription["expired_at"] = now
        await session.execute(update(PushSubscription).where(*where).values(**subscription)
                              .execution_options(synchronize_session=False))
        return True
