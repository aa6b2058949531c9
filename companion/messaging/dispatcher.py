"""The dispatcher: reserves due outbox rows, hands each to the gateway with bounded concurrency,
and records each result as soon as it returns.

A row is held by one dispatcher identity at a time (``claimed_by``, see liveness.py). Reserving a
batch (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several dispatchers never take one row; on
SQLite there is one writer) leaves the rows ``pending``: a dispatcher that dies before sending them
loses nothing, they go back to the queue untouched. A row becomes ``sending`` only just before its
own provider call, and its result is written the moment it returns (results that arrive while a
write is running go in the next one, never held for the batch). So a crash leaves ambiguous only the
rows whose calls were in flight at that moment; once the dead identity is proven dead (no beat for
liveness.DEAD_AFTER) they are settled by their purpose's rule (policy.settle_stale_claim).

An opt-out the provider reports (Twilio 21610), and a voice page the provider refused for good, go
to ``events`` in the transaction writing its result: both commit together or not at all.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from companion.clock import Clock
from companion.grouped import Grouped
from companion.messaging import liveness, outbox
from companion.messaging.dispatch_writes import write_accepted, write_attempts
from companion.messaging.events import PROVIDER_OPT_OUT, DeliveryEvents, joined_session
from companion.messaging.gateways import Accepted, SendOutcome, SmsGateway
from companion.messaging.handover import Claimed, hand_over
from companion.messaging.policy import Purpose, SendError, decide, settle_stale_claim
from companion.models import AttemptOutcome, Clinic, MessageStatus, OutboundMessage
from companion.models.base import table_of
from companion.observability import metrics as metrics

log = logging.getLogger("companion.dispatch")

# Results written in one statement at most; more wait for the next write (a moment later).
RECORD_GROUP = 64
# Rows marked in flight in one statement at most (those whose send slots opened meanwhile).
MARK_GROUP = 64

T = table_of(OutboundMessage)
C = table_of(Clinic)



class Dispatcher:
    def __init__(
        self,
        engine: AsyncEngine,
        gateway: SmsGateway,
        clock: Clock,
        *,
        events: DeliveryEvents,
        concurrency: int = 32,
        batch_size: int = 100,
        lease: timedelta = timedelta(minutes=2),
        max_priority: int | None = None,
        dead_after: timedelta = liveness.DEAD_AFTER,
        retry_base_seconds: float = 5.0,
        identity: str | None = None,
    ) -> None:
        """``max_priority`` limits this dispatcher to rows of that priority or more urgent.
        ``lease`` only settles rows marked ``sending`` by a dispatcher without an identity."""
        self.engine = engine
        self.events = events
        # Marking a row in flight is committed at once, just before its send; the rows whose send
        # slots open while one such statement runs are marked together by the next.
        self._autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")
        self._marks: Grouped[int, bool] = Grouped(self._mark_rows, most=MARK_GROUP)
        self.max_priority = max_priority
        self.gateway = gateway
        self.clock = clock
        self.concurrency = concurrency
        self.batch_size = batch_size
        self.lease = lease
        self.dead_after = dead_after
        self.retry_base_seconds = retry_base_seconds
        self.identity = identity or liveness.new_identity("dispatch")
        self._semaphore = asyncio.Semaphore(concurrency)
        self._last_recovery: datetime | None = None
        self._last_beat: datetime | None = None
        self._results: list[tuple[Claimed, SendOutcome]] = []
        self._recording = False
        # One round at a time per identity (the loop and the tick share a dispatcher): a round hands
        # back what an earlier, failed round left reserved, which must not be another's batch.
        self._round = asyncio.Lock()

    # ------------------------------------------------------------------------------- identity

    async def beat(self, *, force: bool = False) -> None:
        now = self.clock.now()
        if not force and self._last_beat is not None and now - self._last_beat < liveness.BEAT_EVERY:
            return
        async with self.engine.begin() as conn:
            await liveness.beat(conn, self.identity, "dispatch", now)
        self._last_beat = now

    @contextlib.asynccontextmanager
    async def _beating(self) -> AsyncIterator[None]:
        """Keep beating while a batch is out, however long its provider calls take."""

        async def keep() -> None:
            while True:
                await asyncio.sleep(liveness.BEAT_EVERY.total_seconds())
                try:
                    await self.beat(force=True)
                    await self._recover_when_due()  # a dead dispatcher's rows need not wait for this batch
                except Exception:
                    log.exception("dispatcher heartbeat failed")

        task = asyncio.create_task(keep())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def retire(self) -> None:
        """A clean stop: hand back what is reserved and drop the identity."""
        async with self.engine.begin() as conn:
            await conn.execute(
                update(T)
                .where(T.c.claimed_by == self.identity, T.c.status == MessageStatus.PENDING)
                .values(claimed_by=None)
            )
            await liveness.retire(conn, self.identity)

    # ------------------------------------------------------------------------------- sending

    async def claim(self, limit: int) -> list[Claimed]:
        """Reserve up to ``limit`` due rows for this dispatcher; they stay ``pending``."""
        now = self.clock.now()
        conditions = [
            T.c.status == MessageStatus.PENDING,
            T.c.claimed_by.is_(None),
            T.c.due_at <= now,
            or_(T.c.next_attempt_at.is_(None), T.c.next_attempt_at <= now),
        ]
        if self.max_priority is not None:
            conditions.append(T.c.priority <= self.max_priority)
        due = (
            select(T.c.id)
            .where(*conditions)
            .order_by(T.c.priority, T.c.due_at, T.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        async with self.engine.begin() as conn:
            # Anything an earlier round reserved and never sent (it failed midway) goes back first.
            await conn.execute(
                update(T)
                .where(T.c.claimed_by == self.identity, T.c.status == MessageStatus.PENDING)
                .values(claimed_by=None)
            )
            ids = [row[0] for row in await conn.execute(due)]
            if not ids:
                return []
            await outbox.withhold_claimed(conn, ids, now)
            rows = await conn.execute(
                update(T)
                .where(T.c.id.in_(ids), T.c.status == MessageStatus.PENDING)
                .values(claimed_by=self.identity, claimed_at=now)
                .returning(T.c.id, T.c.to_phone, T.c.body, T.c.purpose, T.c.attempts, T.c.patient_id, T.c.clinic_id,
                           T.c.priority, T.c.channel)
            )
            claimed = rows.all()
            clinic_ids = {r.clinic_id for r in claimed if r.clinic_id is not None}
            senders: dict[int, str | None] = {}
            if clinic_ids:
                senders = dict(
                    (await conn.execute(select(C.c.id, C.c.sms_sender).where(C.c.id.in_(clinic_ids)))).all()
                )
        return [
            Claimed(r.id, r.to_phone, r.body, Purpose(r.purpose), r.attempts + 1, r.patient_id,
                    senders.get(r.clinic_id) if r.clinic_id is not None else None, r.channel)
            # Safety replies and pages first: they take the send slots before routine messages.
            for r in sorted(claimed, key=lambda r: (r.priority, r.id))
        ]

    async def _mark_in_flight(self, message: Claimed) -> bool:
        """The row becomes ``sending`` just before its provider call; False when it is no longer
        ours to send (cancelled or suppressed meanwhile, or taken back from a stalled process)."""
        return await self._marks(message.id)

    async def _mark_rows(self, ids: list[int]) -> dict[int, bool]:
        async with self._autocommit.connect() as conn:
            marked = set((await conn.execute(
                update(T)
                .where(T.c.id.in_(ids), T.c.claimed_by == self.identity, T.c.status == MessageStatus.PENDING)
                .values(status=MessageStatus.SENDING, claimed_at=self.clock.now(), attempts=T.c.attempts + 1)
                .returning(T.c.id)
            )).scalars())
        return {message_id: message_id in marked for message_id in ids}

    async def _send(self, message: Claimed) -> None:
        async with self._semaphore:
            if not await self._mark_in_flight(message):
                return
            try:
                with metrics.SEND_SECONDS.labels(self.gateway.name, message.purpose.value).time():
                    outcome = await hand_over(self.gateway, message)
            except Exception as exc:  # a gateway bug must not leave the row in flight for ever
                log.exception("gateway failed on message %s", message.id)
                outcome = SendError(http_status=None, code=None, detail=type(exc).__name__, uncertain=True)
        self._results.append((message, outcome))
        await self._write_results()

    async def _send_in_order(self, messages: list[Claimed]) -> None:
        for message in messages:
            await self._send(message)

    async def _write_results(self) -> None:
        """Write what has come back. One write runs at a time; results that arrive meanwhile are
        taken by its next round, so none waits for the rest of its batch."""
        if self._recording:
            return
        self._recording = True
        try:
            while self._results:
                group = self._results[:RECORD_GROUP]
                del self._results[:RECORD_GROUP]
                try:
                    await self.record(group)
                except BaseException:
                    self._results[:0] = group  # kept, and written by the next round
                    raise
        finally:
            self._recording = False

    async def run_once(self) -> int:
        """Reserve one batch and send it, each result written as it returns. Returns how many rows
        were taken."""
        async with self._round:
            return await self._run_round()

    async def _run_round(self) -> int:
        await self.beat()
        await self._recover_when_due()
        await self._write_results()  # anything a failed write left behind
        batch = await self.claim(self.batch_size)
        if not batch:
            return 0
        # One number's messages go one after another, in the batch's order (a safety reply before the
        # questions that follow it); different numbers' go side by side.
        by_number: dict[str, list[Claimed]] = {}
        for message in batch:
            by_number.setdefault(message.to_phone, []).append(message)
        async with self._beating():
            outcomes = await asyncio.gather(*(self._send_in_order(ms) for ms in by_number.values()),
                                            return_exceptions=True)
        errors = [o for o in outcomes if isinstance(o, BaseException)]
        await self._write_results()
        if errors:
            raise errors[0]
        return len(batch)

    async def drain(self, max_rounds: int = 1000) -> int:
        total = 0
        for _ in range(max_rounds):
            handled = await self.run_once()
            total += handled
            if handled == 0:
                break
        return total

    async def record(self, results: list[tuple[Claimed, SendOutcome]]) -> None:
        now = self.clock.now()
        accepted: list[dict[str, Any]] = []
        attempts: list[dict[str, Any]] = []
        retries: list[dict[str, Any]] = []
        finals: list[dict[str, Any]] = []
        opt_outs: list[int] = []
        refused_calls: list[int] = []
        for message, outcome in results:
            if isinstance(outcome, Accepted):
                accepted.append({"mid": message.id, "sid": outcome.sid, "st": outcome.status})
                attempts.append({"message_id": message.id, "at": now, "outcome": AttemptOutcome.ACCEPTED,
                                 "http_status": None, "error_code": None, "detail": None})
                continue
            assert isinstance(outcome, SendError)
            decision = decide(message.purpose, outcome, message.attempts, now, retry_base=self.retry_base_seconds)
            metrics.provider_error(outcome.code, outcome.http_status, decision.action)
            attempts.append({"message_id": message.id, "at": now, "outcome": decision.action,
                             "http_status": outcome.http_status, "error_code": outcome.code,
                             "detail": outcome.detail[:200]})
            if decision.action == "retry":
                retries.append({"mid": message.id, "nxt": decision.retry_at, "code": outcome.code,
                                "detail": decision.reason})
            else:
                finals.append({
                    "mid": message.id,
                    "st": MessageStatus.UNKNOWN if decision.action == "settle_sent" else MessageStatus.GAVE_UP,
                    "code": outcome.code,
                    "detail": decision.reason[:200],
                    "attn": decision.needs_attention,
                })
                if decision.opt_out and message.patient_id is not None:
                    opt_outs.append(message.patient_id)
                if message.is_call and decision.action == "give_up":
                    refused_calls.append(message.id)
            log.warning("message %s (%s) not sent: %s -> %s", message.id, message.purpose.value,
                        outcome.detail, decision.reason)
        in_flight_here = and_(T.c.status == MessageStatus.SENDING, T.c.claimed_by == self.identity)
        ours = and_(T.c.id == bindparam("mid"), in_flight_here)
        async with self.engine.begin() as conn:
            if accepted:
                await write_accepted(conn, self.identity, accepted, now)
            if retries:
                await conn.execute(
                    update(T)
                    .where(ours)
                    .values(status=MessageStatus.PENDING, claimed_by=None, next_attempt_at=bindparam("nxt"),
                            error_code=bindparam("code"), error_detail=bindparam("detail"), status_at=now),
                    retries,
                )
            if finals:
                await conn.execute(
                    update(T)
                    .where(ours)
                    .values(status=bindparam("st"), claimed_by=None, error_code=bindparam("code"),
                            error_detail=bindparam("detail"), needs_attention=bindparam("attn"), status_at=now),
                    finals,
                )
            if opt_outs or refused_calls:
                async with joined_session(conn) as session:
                    if opt_outs:
                        await self.events.opted_out(session, sorted(set(opt_outs)), PROVIDER_OPT_OUT)
                    for message_id in refused_calls:
                        await self.events.call_failed(session, message_id)
            if attempts:
                await write_attempts(conn, attempts)

    async def _recover_when_due(self) -> None:
        now = self.clock.now()
        if self._last_recovery is None or now - self._last_recovery >= liveness.BEAT_EVERY:
            self._last_recovery = now
            await self.recover_stale()

    async def recover_stale(self) -> int:
        """Settle the rows of dispatchers proven dead: reserved rows go back to the queue as they
        were; rows that were in flight are sent again or settled as maybe-sent, by purpose."""
        now = self.clock.now()
        async with self.engine.connect() as conn:
            gone = await liveness.gone_here_now(conn)
        dead = liveness.held_by_the_dead(T.c.claimed_by, now, self.dead_after, gone)
        # Rows marked in flight by a dispatcher without an identity are judged by the lease.
        sending = T.c.status == MessageStatus.SENDING
        stale = or_(and_(dead, sending), and_(T.c.claimed_by.is_(None), sending, T.c.claimed_at < now - self.lease))
        resend = [p.value for p in Purpose if settle_stale_claim(p) == "resend"]
        async with self.engine.begin() as conn:
            released = await conn.execute(
                update(T).where(dead, T.c.status == MessageStatus.PENDING).values(claimed_by=None)
            )
            again = await conn.execute(
                update(T).where(stale, T.c.purpose.in_(resend))
                .values(status=MessageStatus.PENDING, claimed_by=None, next_attempt_at=now,
                        error_detail="resent after an interrupted send")
            )
            settled = await conn.execute(
                update(T).where(stale, T.c.purpose.not_in(resend))
                .values(status=MessageStatus.UNKNOWN, claimed_by=None, status_at=now,
                        error_detail="interrupted send; may have gone out, not sent twice")
            )
            await liveness.bury(conn, now, self.dead_after, gone)
        counts = (released.rowcount or 0, again.rowcount or 0, settled.rowcount or 0)
        if any(counts):
            log.warning("took back rows of a stopped dispatcher: %d reserved, %d resent, %d settled as maybe sent",
                        *counts)
        return sum(counts)
