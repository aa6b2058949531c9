"""Inbound SMS, in two halves.

Receiving (the webhook, through intake.py): store the message once per MessageSid and answer
Twilio once it is committed. The text is scanned for risk language on the way in, so a message
that reads as risk is handled before anything else waiting (and by the API that stored it).

Handling (a worker, woken after commit): claim the next stored message and hand it to the
handler the caller gives (the conversations floor decides what it means and what is said back).
Messages from one number are handled one at a time and in order, whichever worker takes them.

Transport only: what a message means is decided above this package, which knows messages, phone
numbers and purposes and nothing of check-ins, alerts or plans (docs/architecture.md).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, func, select, text, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlmodel import col

from companion.clock import Clock
from companion.db_unnest import arrays, unnest_insert
from companion.messaging.policy import INBOUND_NORMAL, INBOUND_URGENT
from companion.messaging.wakeup import INBOUND_CHANNEL
from companion.models import InboundMessage, InboundStatus, SenderKind
from companion.models.base import table_of
from companion.validation import normalise_phone

log = logging.getLogger("companion.sms.inbound")

MAX_BODY = 1600

T = table_of(InboundMessage)

# What a stored message means, decided above transport: handles one message in the caller's
# transaction (queueing its replies in the outbox) and sets its sender fields.
Handler = Callable[[AsyncSession, InboundMessage], Awaitable[object]]
# What handles a batch set-based, if the caller has one: handles in the caller's transaction those
# of the messages it can (setting their sender fields and queueing their replies) and returns the
# others, untouched, for Handler to take one at a time.
BatchHandler = Callable[[AsyncSession, Sequence[InboundMessage]], Awaitable[Sequence[InboundMessage]]]
# Whether a text reads as risk, only to order the queue: such a message is handled first.
Triage = Callable[[str], bool]


@lru_cache(maxsize=16_384)
def _phone(value: str) -> str:
    """E.164 when the number parses; otherwise the text as sent (kept for a person to read).
    Cached: the same few numbers text again and again, and parsing is the slow part of storing."""
    try:
        return normalise_phone(value)
    except ValueError:
        return value.strip()[:32]


def row(clock: Clock, params: Mapping[str, str], triage: Triage) -> dict[str, Any]:
    """The row a webhook stores: ``triage`` reads its text here, so a message that reads as risk is
    handled before anything else waiting."""
    body = params.get("Body", "")[:MAX_BODY].replace("\x00", "\ufffd")
    # Only an ordering hint: any concept of risk goes first. What the message means is judged when
    # it is handled, by the clinic's protocol, whatever its priority.
    risky = triage(body)
    return {
        "message_sid": params["MessageSid"][:64],
        "from_phone": _phone(params.get("From", "")),
        "to_phone": _phone(params.get("To", "")),
        "body": body,
        "received_at": clock.now(),
        "sender_kind": SenderKind.UNKNOWN,
        "needs_review": False,
        "status": InboundStatus.RECEIVED,
        "priority": INBOUND_URGENT if risky else INBOUND_NORMAL,
        "attempts": 0,
    }


async def store_rows(conn: AsyncConnection, rows: Sequence[Mapping[str, Any]], *, notify: bool) -> set[str]:
    """Store the rows in one transaction, skipping any MessageSid stored already (the same message
    delivered twice, even at once, is stored once). Returns the MessageSids stored now.

    ``notify`` wakes the inbound workers of every process (PostgreSQL NOTIFY, delivered on commit).
    On PostgreSQL this is one statement (on an autocommit connection, one round trip)."""
    if not rows:
        return set()
    if conn.dialect.name == "postgresql":
        columns, params = arrays(T, rows)
        unnest = unnest_insert(T, columns, on_conflict="(message_sid) DO NOTHING", returning="message_sid",
                               notify=INBOUND_CHANNEL if notify else "")
        result = await conn.execute(unnest, params)
        stored = set(result.scalars())
        await conn.commit()
        return stored
    statement = sqlite_insert(T).on_conflict_do_nothing(index_elements=["message_sid"]).returning(T.c.message_sid)
    async with conn.begin():
        return set((await conn.execute(statement, list(rows))).scalars())


async def _claim(session: AsyncSession, urgent_only: bool) -> str | None:
    """Lock the next waiting message no other worker holds (risk first, then oldest first) and
    return its number, holding that number's lock: one number's messages are handled one at a
    time across workers. On PostgreSQL both locks are taken in one statement."""
    waiting = [T.c.status == InboundStatus.RECEIVED]
    if urgent_only:
        waiting.append(T.c.priority == INBOUND_URGENT)
    candidate = (
        select(T.c.id, T.c.from_phone).where(*waiting).order_by(T.c.priority, T.c.id).limit(1)
        .with_for_update(skip_locked=True)
    )
    if session.get_bind().dialect.name == "postgresql":
        claimed = candidate.subquery()
        lock = func.pg_advisory_xact_lock(func.hashtext(claimed.c.from_phone))
        candidate = select(claimed.c.id, claimed.c.from_phone, lock)
    row = (await session.execute(candidate)).first()
    return None if row is None else str(row[1])


async def handle_next(
    session: AsyncSession, clock: Clock, handler: Handler, claimed: list[int] | None = None,
    *, urgent_only: bool = False,
) -> InboundMessage | None:
    """Hand the next stored message (risk first, then oldest first) to ``handler``, in the caller's
    transaction.

    Returns the message handled, or None when nothing waits; ``claimed`` receives its id before
    handling starts, so a caller can set aside a message whose handling keeps failing.
    ``urgent_only`` looks only at messages that read as risk (handling one may first handle an
    earlier message from the same number, to keep that number's messages in order)."""
    phone = await _claim(session, urgent_only)
    if phone is None:
        return None
    # The earliest waiting message of that number goes first, so its replies stay in order (read
    # after the number's lock is held, so a message another worker just handled is not read).
    inbound = (
        await session.execute(
            select(InboundMessage)
            .where(
                col(InboundMessage.from_phone) == phone,
                col(InboundMessage.status) == InboundStatus.RECEIVED,
            )
            .order_by(col(InboundMessage.id))
            .limit(1)
            .with_for_update()
        )
    ).scalar_one_or_none()
    if inbound is None:
        return None
    if claimed is not None:
        claimed.append(inbound.id or 0)
    # The row (locked above) is written once, when handled: apart from the session meanwhile, the
    # changes routing makes to it are not flushed before every query the handlers run.
    session.expunge(inbound)
    await handler(session, inbound)
    # Counted here, with the outcome: a failed attempt rolls back and give_up_or_retry counts it.
    inbound.attempts += 1
    inbound.status = InboundStatus.HANDLED
    inbound.processed_at = clock.now()
    session.add(inbound)
    log.info("inbound message %s from a %s handled", inbound.id, inbound.sender_kind)
    return inbound


# The numbers a batch takes: among the oldest waiting messages (risk first), the first numbers whose
# lock is free. A number another worker holds is passed over (never waited for: a batch holds many
# numbers' locks, and waiting for one while holding others could deadlock two workers).
_PG_BATCH_NUMBERS = text(
    f"WITH waiting AS MATERIALIZED (SELECT from_phone, priority, id FROM {T.name} WHERE status = :received "
    "ORDER BY priority, id LIMIT :scan), "
    "numbers AS MATERIALIZED (SELECT from_phone, min(priority) AS priority, min(id) AS first FROM waiting "
    "GROUP BY from_phone ORDER BY 2, 3 LIMIT :size) "
    "SELECT from_phone FROM numbers WHERE pg_try_advisory_xact_lock(hashtext(from_phone)) ORDER BY priority, first"
)


async def _claim_batch(session: AsyncSession, size: int) -> list[InboundMessage]:
    """The earliest waiting message of each of up to ``size`` numbers, locked, risk first."""
    received = col(InboundMessage.status) == InboundStatus.RECEIVED
    if session.get_bind().dialect.name == "postgresql":
        phones = list((await session.execute(
            _PG_BATCH_NUMBERS, {"received": InboundStatus.RECEIVED.value, "scan": size * 4, "size": size}
        )).scalars())
        if not phones:
            return []
        # Read after the numbers' locks are held; a message some other worker holds (its own
        # number's first, claimed before it found the number taken) is passed over, with its number.
        earliest = (
            select(func.min(col(InboundMessage.id))).where(received, col(InboundMessage.from_phone).in_(phones))
            .group_by(col(InboundMessage.from_phone))
        )
        statement = (
            select(InboundMessage).where(col(InboundMessage.id).in_(earliest), received)
            .order_by(col(InboundMessage.priority), col(InboundMessage.id)).with_for_update(skip_locked=True)
        )
    else:  # one writer at a time: nothing to lock
        earliest = select(func.min(col(InboundMessage.id))).where(received).group_by(col(InboundMessage.from_phone))
        statement = (
            select(InboundMessage).where(col(InboundMessage.id).in_(earliest))
            .order_by(col(InboundMessage.priority), col(InboundMessage.id)).limit(size)
        )
    return list((await session.execute(statement)).scalars())


async def handle_batch(
    session: AsyncSession, clock: Clock, handler: Handler, claimed: list[int], *, size: int,
    routine: BatchHandler | None = None, oldest: list[datetime] | None = None,
) -> int:
    """Hand the earliest waiting message of each of up to ``size`` numbers (risk first) to
    ``handler``, one after another in the caller's one transaction: the claim, the commit and the
    rows' final writes are shared by the batch. One number's messages still go one at a time, in
    order (one per batch, under the number's lock). ``routine``, when given, handles first what it
    can of the batch set-based; ``handler`` takes the rest. ``oldest`` receives when the batch's
    oldest message was stored.

    Returns how many were handled; ``claimed`` receives their ids first. When any fails the caller
    rolls the whole batch back and handles its messages one at a time (:func:`handle_next`), so a
    message that cannot be handled costs the others nothing but time."""
    messages = await _claim_batch(session, size)
    if oldest is not None and messages:
        oldest.append(min(message.received_at for message in messages))
    for message in messages:
        claimed.append(message.id or 0)
        session.expunge(message)  # written at the end, the whole batch in one statement
    rest = set(map(id, await routine(session, messages))) if routine is not None and messages else None
    for message in messages:
        if rest is None or id(message) in rest:
            await handler(session, message)
        message.attempts += 1
        message.status = InboundStatus.HANDLED
        message.processed_at = clock.now()
        log.info("inbound message %s from a %s handled", message.id, message.sender_kind)
    if messages:
        await session.execute(_HANDLED, [
            {"handled_id": m.id, **{f"new_{name}": getattr(m, name) for name in _HANDLED_FIELDS}} for m in messages
        ])
    return len(messages)


# What handling sets on a message, written for a whole batch in one statement (executemany).
_HANDLED_FIELDS = ("clinic_id", "patient_id", "staff_id", "sender_kind", "keyword", "reply_body", "needs_review",
                   "status", "attempts", "processed_at")
_HANDLED = (
    update(T).where(T.c.id == bindparam("handled_id"))
    .values({name: bindparam(f"new_{name}") for name in _HANDLED_FIELDS})
)


async def give_up_or_retry(session: AsyncSession, clock: Clock, message_id: int, max_attempts: int = 3) -> None:
    """A message whose handling failed is tried again, and after ``max_attempts`` set aside for a
    person to read (never dropped)."""
    inbound = await session.get(InboundMessage, message_id, with_for_update=True)
    if inbound is None or inbound.status != InboundStatus.RECEIVED:
        return
    inbound.attempts += 1
    if inbound.attempts >= max_attempts:
        inbound.status, inbound.needs_review, inbound.processed_at = InboundStatus.FAILED, True, clock.now()
