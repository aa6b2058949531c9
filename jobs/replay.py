"""Run a clinic's days over a stretch of past time on a frozen clock.

At each tick the scheduler's jobs run in their order (plan, release, remind, expire, escalate,
handle inbound, dispatch); between ticks, what people do happens at its moment (an app check-in,
a clinician's acknowledgement, a patient's own text). Every question the companion texts a patient
is offered to ``answer_sms``, whose reply is stored as Twilio's webhook would store it and handled
by the same inbound worker. `companion demo` gives the demo clinic its two weeks of history this
way, made by the code that runs a clinic every day. Nothing leaves the machine: the gateway here
only reports each message delivered."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from companion.clock import FrozenClock
from companion.conversations.router import reads_as_risk
from companion.messaging.calls import OutgoingCall
from companion.messaging.gateways import Accepted, OutgoingSms, SendOutcome
from companion.messaging.intake import InboundIntake
from companion.messaging.simulate import build_params
from companion.models import MessageStatus, OutboundMessage, Patient
from jobs import escalate_alerts, expire_prompts, extend_plans, release_prompts, send_reminders
from jobs.context import JobContext

log = logging.getLogger("companion.replay")

# in the scheduler's order, each at most once per its interval
JOBS = (extend_plans, release_prompts, send_reminders, expire_prompts, escalate_alerts)

Act = Callable[[AsyncSession], Awaitable[object]]
# (the patient's reference, the moment, the text the companion sent) -> the patient's reply, or None
SmsAnswer = Callable[[str, datetime, str], str | None]

MAX_EXCHANGES = 40  # one patient's replies in a row within a tick: a conversation, never a loop
REPLY_DELAY = timedelta(minutes=2)
CLOSE_TICK = timedelta(minutes=5)
BUSY_FOR = timedelta(minutes=40)


class Happening(Protocol):
    """``act`` runs in its own unit of work at ``at``; with ``sms_from``, the patient with that
    phone texts ``sms_body`` (stored as the webhook stores it)."""

    @property
    def at(self) -> datetime: ...
    @property
    def act(self) -> Act | None: ...
    @property
    def sms_from(self) -> str | None: ...
    @property
    def sms_body(self) -> str: ...


class DeliveredGateway:
    """Reports every message delivered and sends nothing (the replay's past is already over)."""

    name = "replay"

    async def send(self, sms: OutgoingSms) -> SendOutcome:
        return Accepted(sid="RP" + secrets.token_hex(16), status=MessageStatus.DELIVERED)

    async def call(self, call: OutgoingCall) -> SendOutcome:
        return Accepted(sid="RP" + secrets.token_hex(16), status=MessageStatus.COMPLETED)

    async def close(self) -> None:
        return None


@dataclass
class ReplaySummary:
    ticks: int = 0
    texts_in: int = 0
    happenings: int = 0


class Replay:
    def __init__(self, ctx: JobContext, clock: FrozenClock, answer_sms: SmsAnswer) -> None:
        self.ctx = ctx
        self.clock = clock
        self.answer_sms = answer_sms
        self.intake = InboundIntake(ctx.engine, clock, triage=reads_as_risk, notify=False)
        self.seen_outbound = 0
        self.summary = ReplaySummary()
        self.last_run: dict[str, datetime] = {}
        self.busy_until = clock.now()
        self.to_phone = ctx.settings.twilio_from_number or "+15005550006"

    async def run(self, until: datetime, happenings: Sequence[Happening], tick: timedelta) -> ReplaySummary:
        waiting = sorted(happenings, key=lambda h: h.at)
        try:
            while self.clock.now() < until:
                # after something happened, ticks come often enough for an escalation's steps
                step = CLOSE_TICK if self.clock.now() < self.busy_until else tick
                next_tick = min(self.clock.now() + step, until)
                while waiting and waiting[0].at <= next_tick:
                    happening = waiting.pop(0)
                    if happening.at > self.clock.now():
                        self.clock.set(happening.at)
                    await self._happen(happening)
                    await self._converse()
                self.clock.set(next_tick)
                await self._jobs()
                await self._converse()
                self.summary.ticks += 1
        finally:
            await self.intake.close()
        return self.summary

    async def _happen(self, happening: Happening) -> None:
        self.summary.happenings += 1
        self.busy_until = self.clock.now() + BUSY_FOR
        if happening.act is not None:
            async with self.ctx.unit_of_work() as session:
                await happening.act(session)
        if happening.sms_from is not None:
            await self._text(happening.sms_from, happening.sms_body)

    async def _text(self, phone: str, body: str) -> None:
        await self.intake.store(build_params(self.ctx.settings, phone, self.to_phone, body))
        self.summary.texts_in += 1
        self.busy_until = self.clock.now() + BUSY_FOR
        await self.ctx.get_inbound().drain()
        await self.ctx.get_dispatcher().drain()

    async def _jobs(self) -> None:
        now = self.clock.now()
        for module in JOBS:
            last = self.last_run.get(module.JOB_ID)
            if last is None or now - last >= timedelta(seconds=module.INTERVAL):
                self.last_run[module.JOB_ID] = now
                await module.run(self.ctx)
        await self.ctx.get_inbound().drain()
        await self.ctx.get_dispatcher().drain()

    async def _converse(self) -> None:
        """Offer each text the companion sent since the last look to its patient, newest per
        patient, until nobody replies."""
        for _ in range(MAX_EXCHANGES):
            replies = []
            async with self.ctx.sessionmaker() as session:
                rows = (await session.execute(
                    select(col(OutboundMessage.id), col(OutboundMessage.body), col(Patient.reference),
                           col(Patient.phone))
                    .join(Patient, col(Patient.id) == col(OutboundMessage.patient_id))
                    .where(col(OutboundMessage.id) > self.seen_outbound,
                           col(OutboundMessage.status) != MessageStatus.PENDING)
                    .order_by(col(OutboundMessage.id))
                )).all()
            newest: dict[str, tuple[str, str]] = {}
            for message_id, body, reference, phone in rows:
                self.seen_outbound = max(self.seen_outbound, message_id or 0)
                newest[reference] = (phone, body)
            for reference, (phone, body) in newest.items():
                reply = self.answer_sms(reference, self.clock.now(), body)
                if reply is not None:
                    replies.append((phone, reply))
            if not replies:
                return
            self.clock.advance(REPLY_DELAY)
            for phone, reply in replies:
                await self._text(phone, reply)
        log.warning("a replayed conversation went on for %d exchanges; stopped there", MAX_EXCHANGES)


async def replay(
    ctx: JobContext, clock: FrozenClock, until: datetime, happenings: Sequence[Happening],
    answer_sms: SmsAnswer, *, tick: timedelta = timedelta(minutes=30),
) -> ReplaySummary:
    """Run ``ctx``'s jobs from ``clock``'s time until ``until``, with ``happenings`` at their
    moments. ``ctx.clock`` must be ``clock``."""
    if ctx.clock is not clock:
        raise ValueError("the replay's jobs must run on the replay's clock")
    return await Replay(ctx, clock, answer_sms).run(until, happenings, tick)
