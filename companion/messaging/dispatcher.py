"""The dispatcher: claims due outbox rows, hands them to the gateway with bounded concurrency,
and records each result.

Claims use ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several dispatchers never send one row
twice; on SQLite there is one dispatcher. A row stays ``sending`` while it is in flight; a row left
``sending`` by a dispatcher that died is settled by its purpose's rule (policy.settle_stale_claim).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, case, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from companion.clock import Clock
from companion.messaging.gateways import Accepted, OutgoingSms, SendOutcome, SmsGateway
from companion.messaging.policy import Purpose, SendError, decide, settle_stale_claim
from companion.metrics import instruments as metrics
from companion.models import Clinic, MessageAttempt, OutboundMessage, Patient

log = logging.getLogger("companion.dispatch")

RECOVERY_EVERY = timedelta(seconds=30)

T = OutboundMessage.__table__  # type: ignore[attr-defined]
A = MessageAttempt.__table__  # type: ignore[attr-defined]
P = Patient.__table__  # type: ignore[attr-defined]
C = Clinic.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Claimed:
    id: int
    to_phone: str
    body: str
    purpose: Purpose
    attempts: int
    patient_id: int | None
    sender: str | None


class Dispatcher:
    def __init__(
        self,
        engine: AsyncEngine,
        gateway: SmsGateway,
        clock: Clock,
        *,
        concurrency: int = 32,
        batch_size: int = 200,
        lease: timedelta = timedelta(minutes=2),
        max_priority: int | None = None,
    ) -> None:
        """``max_priority`` limits this dispatcher to rows of that priority or more urgent."""
        self.engine = engine
        self.max_priority = max_priority
        self.gateway = gateway
        self.clock = clock
        self.concurrency = concurrency
        self.batch_size = batch_size
        self.lease = lease
        self._semaphore = asyncio.Semaphore(concurrency)
        self._last_recovery: datetime | None = None

    async def claim(self, limit: int) -> list[Claimed]:
        now = self.clock.now()
        conditions = [
            T.c.status == "pending",
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
            ids = [row[0] for row in await conn.execute(due)]
            if not ids:
                return []
            # An opted-out patient is never sent anything, whatever the row's purpose.
            opted_out = select(P.c.id).where(P.c.sms_consent == "opted_out")
            await conn.execute(
                update(T)
                .where(T.c.id.in_(ids), T.c.patient_id.in_(opted_out))
                .values(status="suppressed", status_at=now, error_detail="patient opted out of SMS")
            )
            rows = await conn.execute(
                update(T)
                .where(T.c.id.in_(ids), T.c.status == "pending")
                .values(status="sending", claimed_at=now, attempts=T.c.attempts + 1)
                .returning(T.c.id, T.c.to_phone, T.c.body, T.c.purpose, T.c.attempts, T.c.patient_id, T.c.clinic_id,
                           T.c.priority)
            )
            claimed = rows.all()
            clinic_ids = {r.clinic_id for r in claimed if r.clinic_id is not None}
            senders: dict[int, str | None] = {}
            if clinic_ids:
                senders = dict(
                    (await conn.execute(select(C.c.id, C.c.sms_sender).where(C.c.id.in_(clinic_ids)))).all()
                )
        return [
            Claimed(r.id, r.to_phone, r.body, Purpose(r.purpose), r.attempts, r.patient_id,
                    senders.get(r.clinic_id) if r.clinic_id is not None else None)
            # Safety replies and pages first: they take the send slots before routine messages.
            for r in sorted(claimed, key=lambda r: (r.priority, r.id))
        ]

    async def _send(self, message: Claimed) -> SendOutcome:
        async with self._semaphore:
            with metrics.SEND_SECONDS.labels(self.gateway.name, message.purpose.value).time():
                return await self.gateway.send(
                    OutgoingSms(message.id, message.to_phone, message.body, message.purpose.value, message.sender)
                )

    async def run_once(self) -> int:
        """Claim one batch, send it and record the results. Returns how many rows were handled."""
        now = self.clock.now()
        if self._last_recovery is None or now - self._last_recovery >= RECOVERY_EVERY:
            # Interrupted sends are looked for now and then, not before every batch.
            self._last_recovery = now
            await self.recover_stale()
        batch = await self.claim(self.batch_size)
        if not batch:
            return 0
        outcomes = await asyncio.gather(*(self._send(m) for m in batch))
        await self.record(list(zip(batch, outcomes, strict=True)))
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
        for message, outcome in results:
            if isinstance(outcome, Accepted):
                accepted.append({"mid": message.id, "sid": outcome.sid, "st": outcome.status})
                attempts.append({"message_id": message.id, "at": now, "outcome": "accepted", "http_status": None,
                                 "error_code": None, "detail": None})
                continue
            assert isinstance(outcome, SendError)
            decision = decide(message.purpose, outcome, message.attempts, now)
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
                    "st": "unknown" if decision.action == "settle_sent" else "gave_up",
                    "code": outcome.code,
                    "detail": decision.reason[:200],
                    "attn": decision.needs_attention,
                })
                if decision.opt_out and message.patient_id is not None:
                    opt_outs.append(message.patient_id)
            log.warning("message %s (%s) not sent: %s -> %s", message.id, message.purpose.value,
                        outcome.detail, decision.reason)
        async with self.engine.begin() as conn:
            if accepted:
                await conn.execute(
                    update(T)
                    .where(T.c.id == bindparam("mid"))
                    .values(
                        provider_sid=bindparam("sid"),
                        sent_at=now,
                        status=case((T.c.status == "sending", bindparam("st")), else_=T.c.status),
                        status_at=now,
                    ),
                    accepted,
                )
            if retries:
                await conn.execute(
                    update(T)
                    .where(T.c.id == bindparam("mid"), T.c.status == "sending")
                    .values(status="pending", next_attempt_at=bindparam("nxt"), error_code=bindparam("code"),
                            error_detail=bindparam("detail"), status_at=now),
                    retries,
                )
            if finals:
                await conn.execute(
                    update(T)
                    .where(T.c.id == bindparam("mid"), T.c.status == "sending")
                    .values(status=bindparam("st"), error_code=bindparam("code"), error_detail=bindparam("detail"),
                            needs_attention=bindparam("attn"), status_at=now),
                    finals,
                )
            if opt_outs:
                await conn.execute(
                    update(P)
                    .where(P.c.id.in_(opt_outs))
                    .values(sms_consent="opted_out", sms_consent_changed_at=now,
                            sms_consent_source="provider:21610")
                )
            if attempts:
                await conn.execute(insert(A), attempts)

    async def recover_stale(self) -> int:
        """Settle rows left ``sending`` past the lease by a dispatcher that stopped mid-send."""
        now = self.clock.now()
        cutoff = now - self.lease
        stale = and_(T.c.status == "sending", T.c.claimed_at < cutoff)
        resend = [p.value for p in Purpose if settle_stale_claim(p) == "resend"]
        async with self.engine.begin() as conn:
            again = await conn.execute(
                update(T).where(stale, T.c.purpose.in_(resend))
                .values(status="pending", next_attempt_at=now, error_detail="resent after an interrupted send")
            )
            settled = await conn.execute(
                update(T).where(stale, T.c.purpose.not_in(resend))
                .values(status="unknown", status_at=now,
                        error_detail="interrupted send; may have gone out, not sent twice")
            )
        return (again.rowcount or 0) + (settled.rowcount or 0)


async def run_dispatcher(
    dispatcher: Dispatcher, wait_for_work: Any, stop: asyncio.Event, *, tick: float = 1.0
) -> None:
    """Send until ``stop`` is set: drain what is due, then sleep until woken or the next tick.

    ``wait_for_work(timeout)`` is the doorbell (an in-process Waker, or a LISTEN connection).
    """
    while not stop.is_set():
        try:
            handled = await dispatcher.run_once()
        except Exception:
            log.exception("dispatch round failed; retrying at the next tick")
            handled = 0
        if handled == 0:
            await wait_for_work(tick)
