"""Kill `companion jobs` with SIGKILL while it sends, restart it, and count at the fake Twilio.

Thousands of due outbox rows of every purpose are stored; the scheduler process sends them through
the real Twilio SDK to a FakeTwilio in this process. At chosen points (a share of the rows accepted)
the process is killed without warning and started again at once. At the end every row is settled
and every accepted message is counted by its body, which names its row:

- a row of an at-most-once purpose (prompt, reminder, notice, reply) never accepted, and not given
  up, is *lost*; the bound is the number of rows that were in flight (``sending``) at the kills;
- a row of an at-least-once purpose (safety reply, page, code) accepted twice is a *duplicate*;
  the bound is the same;
- an at-most-once row accepted twice, or an at-least-once row never accepted and not given up,
  breaks the purpose's rule outright;
- ``urgent_taken_back_s``: for the safety replies and pages left in flight by each killed process,
  the time from the restart until none of them was still held by the dead process (each was taken
  back: queued again or claimed by the new one);
- ``urgent_settled_s``: the time from the restart until the last of them was accepted again (or
  given up). With sends failing on purpose this includes the retry backoff of a row that fails
  again, which is the send policy's business, not recovery's.

Lost and duplicated rows are counted per kill too, each against the rows in flight at that kill. The
rows in flight are read from the database after the process is dead and before it is started again,
so the attribution is exact: a lost row is put to the last kill it was in flight at (after which it
was never sent), and each extra send of a duplicated row to one of the kills it was in flight at, in
order. A lost or duplicated send that no kill had in flight is counted as ``unattributed`` (to be 0).

Inbound messages stored and not yet handled are in the run too (from numbers the companion does
not know, each answered with one reply): each must be handled once, its reply queued once and sent
at most once, whatever the kills. One in ``CRISIS_EVERY`` of them is instead a crisis message from an
enrolled patient (``CRISIS_BODY``, which the risk detector reads as urgent), each from a patient of
their own. These are stored as the webhook stores them (``inbound.row`` and ``store_rows``, which wakes
the inbound worker), one batch just before each kill, and the process is killed once it has handled
the first of its batch (and has outbox rows in flight again), so the kill lands mid-handling.
``crisis_handled``: for each crisis message left unhandled by the kill, the time from the restart
until it was handled with its safety reply queued (both are committed in one transaction);
``crisis_handled_s`` is the slowest of them. Each must end with one safety reply queued and sent at
least once.

Used by tests/crash/test_crash_recovery.py (in CI, on PostgreSQL) and benchmarks/crash_recovery.py.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from companion.clock import Clock
from companion.conversations.router import reads_as_risk
from companion.db import create_sessionmaker
from companion.messaging import inbound as inbound_sms
from companion.messaging.policy import AT_LEAST_ONCE, PRIORITY, Purpose
from companion.migrate import upgrade
from companion.models import Clinic, InboundMessage, OutboundMessage, Patient
from tests.fakes.fake_twilio import FakeTwilio

T = OutboundMessage.__table__  # type: ignore[attr-defined]
ROOT = Path(__file__).resolve().parents[2]
SECRET = "crash-test-secret-key-0123456789-abcdefghijklmnop"
FROM_NUMBER = "+15005550006"
UNSETTLED = ("pending", "sending")  # the statuses of a row not settled yet
CRISIS_EVERY = 10  # one inbound message in ten is a crisis message from an enrolled patient
CRISIS_BODY = "i took all my pills"
KILL_WITH_IN_FLIGHT = 16  # rows in flight awaited before a kill after a crisis batch: half the send slots


@dataclass
class Kill:
    accepted_at_kill: int
    in_flight: int
    urgent_in_flight: list[int]
    restarted_at: float
    holders: list[str] = field(default_factory=list)  # the identities the urgent rows were held by
    urgent_taken_back_s: float | None = None
    urgent_settled_s: float | None = None
    in_flight_ids: list[int] = field(default_factory=list)
    lost: int = 0  # lost rows that were in flight at this kill (and at no later one)
    duplicated: int = 0  # extra sends of rows that were in flight at this kill
    crisis_stored: int = 0  # crisis messages stored just before this kill
    crisis_left: list[int] = field(default_factory=list)  # those of them not handled when it was killed
    crisis_handled: dict[int, float] = field(default_factory=dict)  # each of those: seconds after the restart
    crisis_handled_s: float | None = None  # the slowest of them, once all are handled


@dataclass
class CrashReport:
    messages: int
    kills: list[Kill] = field(default_factory=list)
    lost: int = 0
    duplicated: int = 0
    unattributed: int = 0  # lost rows and extra sends that no kill had in flight
    broken_rule: int = 0
    gave_up: int = 0
    unsettled: int = 0
    inbound: int = 0
    inbound_unhandled: int = 0
    inbound_replies_wrong: int = 0  # replies queued other than once, or sent more than once
    crisis: int = 0
    crisis_wrong: int = 0  # crisis messages whose safety reply was queued other than once, or never sent
    seconds: float = 0.0
    accepted: int = 0
    by_status: dict[str, int] = field(default_factory=dict)

    @property
    def in_flight(self) -> int:
        return sum(k.in_flight for k in self.kills)

    @property
    def slowest_urgent_s(self) -> float:
        return max((k.urgent_settled_s or 0.0 for k in self.kills), default=0.0)

    @property
    def slowest_crisis_s(self) -> float:
        return max((k.crisis_handled_s or 0.0 for k in self.kills), default=0.0)

    def lines(self) -> list[str]:
        return [
            f"messages {self.messages}, kills {len(self.kills)}, in flight at the kills {self.in_flight} "
            f"({', '.join(str(k.in_flight) for k in self.kills)})",
            f"lost (at most once, never sent) {self.lost}; duplicated (at least once, sent twice) {self.duplicated}; "
            f"rule broken {self.broken_rule}; given up {self.gave_up}; unsettled {self.unsettled}",
            "per kill, in flight / lost / duplicated: "
            + ", ".join(f"{k.in_flight} / {k.lost} / {k.duplicated}" for k in self.kills)
            + f"; lost or duplicated with no kill having it in flight {self.unattributed}",
            "urgent rows left in flight, taken back / settled after restart: "
            + ", ".join(f"{len(k.urgent_in_flight)} in {k.urgent_taken_back_s or 0:.1f} / "
                        f"{k.urgent_settled_s or 0:.1f} s" for k in self.kills),
            f"inbound {self.inbound}: unhandled {self.inbound_unhandled}, replies queued or sent other than "
            f"once {self.inbound_replies_wrong}",
            f"urgent inbound (crisis) {self.crisis}: safety reply queued other than once or never sent "
            f"{self.crisis_wrong}; per kill, stored / left unhandled / each handled with its safety reply "
            "queued after the restart in: "
            + ", ".join(f"{k.crisis_stored} / {len(k.crisis_left)} / "
                        f"{min(k.crisis_handled.values(), default=0):.2f} to {k.crisis_handled_s or 0:.2f} s"
                        for k in self.kills),
            f"accepted by the provider {self.accepted}; statuses {dict(sorted(self.by_status.items()))}; "
            f"{self.seconds:.1f} s",
        ]


PURPOSES = [Purpose.PROMPT, Purpose.REMINDER, Purpose.NOTICE, Purpose.REPLY, Purpose.SAFETY_REPLY,
            Purpose.STAFF_PAGE, Purpose.OTP]


IN = InboundMessage.__table__  # type: ignore[attr-defined]


def _inbound_phone(n: int) -> str:
    return f"+1303{5550000 + n:07d}"


def _crisis_phone(n: int) -> str:
    return f"+1304{5550000 + n:07d}"


async def seed(engine: AsyncEngine, count: int, inbound: int = 0, patients: int = 0) -> None:
    """``count`` due outbox rows, ``inbound`` stored messages from unknown numbers, and one clinic with
    ``patients`` enrolled patients (the senders of the crisis messages)."""
    now = datetime.now(UTC) - timedelta(seconds=1)
    received = [{"message_sid": f"SMcrash{n:026d}", "from_phone": _inbound_phone(n), "to_phone": FROM_NUMBER,
                 "body": "hello?", "received_at": now, "sender_kind": "unknown", "needs_review": False,
                 "status": "received", "priority": 5, "attempts": 0} for n in range(inbound)]
    rows = []
    for n in range(count):
        purpose = PURPOSES[n % len(PURPOSES)]
        rows.append({"to_phone": f"+1202{5550000 + n % 10000:07d}"[:12], "purpose": purpose.value,
                     "body": f"crash-test {n}", "priority": PRIORITY[purpose], "status": "pending",
                     "due_at": now, "attempts": 0, "needs_attention": False, "via": "api", "created_at": now})
    async with engine.begin() as conn:
        await conn.execute(text("TRUNCATE message_attempt, outbound_message, inbound_message, worker_process, "
                                "clinic RESTART IDENTITY CASCADE"))
        for start in range(0, count, 1000):
            await conn.execute(insert(T), rows[start:start + 1000])
        if received:
            await conn.execute(insert(IN), received)
    if patients:
        async with create_sessionmaker(engine)() as session:
            clinic = Clinic(name="Crash Clinic", timezone="UTC", sms_sender=FROM_NUMBER)
            session.add(clinic)
            await session.flush()
            assert clinic.id is not None
            session.add_all(Patient(clinic_id=clinic.id, reference=f"C-{n:05d}", display_name=f"Crash Patient {n}",
                                    phone=_crisis_phone(n), timezone="UTC", preferred_checkin_time=clock_time(10, 0),
                                    sms_consent="opted_in", sms_consent_source="sms:YES")
                            for n in range(patients))
            await session.commit()


async def _store_crisis(engine: AsyncEngine, numbers: range) -> list[int]:
    """Store one crisis message from each patient in ``numbers`` as the webhook does (the risk triage
    puts them first in the queue; the NOTIFY wakes the inbound worker); returns their ids."""
    clock = Clock()
    rows = [inbound_sms.row(clock, {"MessageSid": f"SMcrisis{n:026d}", "From": _crisis_phone(n), "To": FROM_NUMBER,
                                    "Body": CRISIS_BODY}, reads_as_risk) for n in numbers]
    async with engine.connect() as conn:
        stored = await inbound_sms.store_rows(conn, rows, notify=True)
        ids = (await conn.execute(select(IN.c.id).where(IN.c.message_sid.in_(stored)))).scalars().all()
    return list(ids)


async def _unhandled_of(engine: AsyncEngine, ids: list[int]) -> list[int]:
    async with engine.connect() as conn:
        query = select(IN.c.id).where(IN.c.id.in_(ids), IN.c.status == "received")
        return list((await conn.execute(query)).scalars().all())


async def _crisis_done(engine: AsyncEngine, ids: list[int]) -> set[int]:
    """Those of the crisis messages ``ids`` handled with their safety reply queued."""
    replied = (select(T.c.id)
               .where(T.c.to_phone == IN.c.from_phone, T.c.purpose == Purpose.SAFETY_REPLY.value).exists())
    query = select(IN.c.id).where(IN.c.id.in_(ids), IN.c.status == "handled", replied)
    async with engine.connect() as conn:
        return set((await conn.execute(query)).scalars().all())


def ensure_database(database_url: str) -> None:
    """Create the database when it is missing (PostgreSQL)."""
    from sqlalchemy.engine import make_url

    url = make_url(database_url)
    name = url.database

    async def create() -> None:
        admin = create_async_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        async with admin.connect() as conn:
            found = (await conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})).first()
            if found is None:
                await conn.execute(text(f'CREATE DATABASE "{name}"'))
        await admin.dispose()

    asyncio.run(create())


def _start(database_url: str, fake: FakeTwilio, log_file: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "COMPANION_DATABASE_URL": database_url,
        "COMPANION_SECRET_KEY": SECRET,
        "COMPANION_PUBLIC_BASE_URL": "http://127.0.0.1:9",
        "COMPANION_TWILIO_ACCOUNT_SID": fake.account_sid,
        "COMPANION_TWILIO_AUTH_TOKEN": fake.auth_token,
        "COMPANION_TWILIO_FROM_NUMBER": FROM_NUMBER,
        "COMPANION_TWILIO_API_BASE_URL": fake.base_url,
        "COMPANION_SEND_RETRY_BASE_SECONDS": "0.2",
    }
    with log_file.open("ab") as out:
        return subprocess.Popen([sys.executable, "-m", "jobs"], cwd=ROOT, env=env, stdout=out, stderr=out)


async def _in_flight(engine: AsyncEngine) -> tuple[list[int], list[int], list[str]]:
    async with engine.connect() as conn:
        rows = (await conn.execute(
            select(T.c.id, T.c.priority, T.c.claimed_by).where(T.c.status == "sending"))).all()
    urgent = [r for r in rows if r.priority == 0]
    return [r.id for r in rows], [r.id for r in urgent], sorted({r.claimed_by for r in urgent if r.claimed_by})


async def _sending(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        query = select(func.count()).select_from(T).where(T.c.status == "sending")
        return int((await conn.execute(query)).scalar_one())


async def _still_held(engine: AsyncEngine, ids: list[int], holders: list[str]) -> int:
    query = (select(func.count()).select_from(T)
             .where(T.c.id.in_(ids), T.c.status == "sending", T.c.claimed_by.in_(holders)))
    async with engine.connect() as conn:
        return int((await conn.execute(query)).scalar_one())


async def _unsettled(engine: AsyncEngine, ids: list[int] | None = None) -> int:
    query = select(func.count()).select_from(T).where(T.c.status.in_(UNSETTLED))
    if ids is not None:
        query = query.where(T.c.id.in_(ids))
    waiting = select(func.count()).select_from(IN).where(IN.c.status == "received")
    async with engine.connect() as conn:
        count = int((await conn.execute(query)).scalar_one())
        return count if ids is not None else count + int((await conn.execute(waiting)).scalar_one())


async def run(database_url: str, *, messages: int, kill_at: list[float], failure_rate: float = 0.0,
              inbound: int = 0, log_file: Path, limit_s: float = 240.0) -> CrashReport:
    """Send ``messages`` rows, killing the process when each share in ``kill_at`` is accepted."""
    await asyncio.to_thread(upgrade, database_url)
    engine = create_async_engine(database_url)
    crisis = inbound // CRISIS_EVERY
    unknown = inbound - crisis
    report = CrashReport(messages, inbound=inbound, crisis=crisis)
    # The crisis messages stored before each kill (all at the start when there is none).
    batches = [range(crisis * n // len(kill_at), crisis * (n + 1) // len(kill_at)) for n in range(len(kill_at))]
    began = time.monotonic()
    with FakeTwilio() as fake:
        if failure_rate:
            fake.fail_randomly(failure_rate, seed=7)
        await seed(engine, messages, unknown, patients=crisis)
        process = _start(database_url, fake, log_file)
        if not kill_at:
            await _store_crisis(engine, range(crisis))
        try:
            waiting: list[Kill] = []  # kills whose urgent rows in flight are not settled yet
            crisis_waiting: list[Kill] = []  # kills whose crisis messages left unhandled are not all handled

            async def watch_urgent() -> None:
                for kill in list(waiting):
                    if kill.urgent_taken_back_s is None and not await _still_held(
                            engine, kill.urgent_in_flight, kill.holders):
                        kill.urgent_taken_back_s = time.monotonic() - kill.restarted_at
                    if not await _unsettled(engine, kill.urgent_in_flight):
                        kill.urgent_settled_s = time.monotonic() - kill.restarted_at
                        waiting.remove(kill)
                for kill in list(crisis_waiting):
                    done = await _crisis_done(engine, [i for i in kill.crisis_left if i not in kill.crisis_handled])
                    for message_id in done:
                        kill.crisis_handled[message_id] = time.monotonic() - kill.restarted_at
                    if len(kill.crisis_handled) == len(kill.crisis_left):
                        kill.crisis_handled_s = max(kill.crisis_handled.values())
                        crisis_waiting.remove(kill)

            def check_alive(target: int) -> None:
                if process.poll() is not None:
                    raise RuntimeError(f"companion jobs exited with {process.returncode}; see {log_file}")
                if time.monotonic() - began > limit_s:
                    raise TimeoutError(f"only {len(fake.messages)} of {target} accepted; see {log_file}")

            for share, batch in zip(kill_at, batches, strict=True):
                target = int(messages * share)
                while len(fake.messages) < target:
                    check_alive(target)
                    await watch_urgent()
                    await asyncio.sleep(0.005)
                stored = await _store_crisis(engine, batch)
                # Killed once the first of them is handled (the rest waiting or being handled) and
                # the dispatcher has rows in flight again (handling them holds it back a moment).
                settle_by = time.monotonic() + 5
                while stored and time.monotonic() < settle_by and (
                        len(await _unhandled_of(engine, stored)) == len(stored)
                        or await _sending(engine) < KILL_WITH_IN_FLIGHT):
                    check_alive(target)
                    await asyncio.sleep(0.002)
                process.send_signal(signal.SIGKILL)
                process.wait()
                accepted = len(fake.messages)
                in_flight, urgent, holders = await _in_flight(engine)
                left = await _unhandled_of(engine, stored)
                process = _start(database_url, fake, log_file)
                kill = Kill(accepted, len(in_flight), urgent, time.monotonic(), holders, in_flight_ids=in_flight,
                            crisis_stored=len(stored), crisis_left=left)
                report.kills.append(kill)
                if urgent:
                    waiting.append(kill)
                else:
                    kill.urgent_taken_back_s = kill.urgent_settled_s = 0.0
                if left:
                    crisis_waiting.append(kill)
                else:
                    kill.crisis_handled_s = 0.0
            while await _unsettled(engine) and time.monotonic() - began <= limit_s:
                await watch_urgent()
                await asyncio.sleep(0.05)
            await watch_urgent()
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        sent = Counter(m.body for m in fake.messages)
        sent_to = Counter(m.to for m in fake.messages)
        sent_pair = Counter((m.to, m.body) for m in fake.messages)
        report.accepted = sum(sent.values())
    async with engine.connect() as conn:
        query = select(T.c.id, T.c.body, T.c.purpose, T.c.status).where(T.c.body.like("crash-test %"))
        rows = (await conn.execute(query)).all()
        report.inbound_unhandled = int((await conn.execute(
            select(func.count()).select_from(IN).where(IN.c.status != "handled"))).scalar_one())
        replies = Counter((await conn.execute(
            select(T.c.to_phone).where(T.c.purpose == Purpose.REPLY.value, T.c.to_phone.like("+1303%")))).scalars())
        safety = (await conn.execute(select(T.c.to_phone, T.c.body).where(
            T.c.purpose == Purpose.SAFETY_REPLY.value, T.c.to_phone.like("+1304%")))).all()
    await engine.dispose()
    for n in range(unknown):
        phone = _inbound_phone(n)
        report.inbound_replies_wrong += replies[phone] != 1 or sent_to[phone] > 1
    safety_queued = Counter(r.to_phone for r in safety)
    safety_sent = Counter(r.to_phone for r in safety if sent_pair[(r.to_phone, r.body)])
    for n in range(crisis):
        phone = _crisis_phone(n)
        report.crisis_wrong += safety_queued[phone] != 1 or not safety_sent[phone]
    _count_rows(report, rows, sent)
    report.seconds = time.monotonic() - began
    return report


def _count_rows(report: CrashReport, rows: Sequence[Any], sent: Counter[str]) -> None:
    kills_of: dict[int, list[Kill]] = {}  # the kills each row was in flight at, in order
    for kill in report.kills:
        for row_id in kill.in_flight_ids:
            kills_of.setdefault(row_id, []).append(kill)
    for row in rows:
        report.by_status[row.status] = report.by_status.get(row.status, 0) + 1
        times = sent.get(row.body, 0)
        at_least_once = Purpose(row.purpose) in AT_LEAST_ONCE
        at = kills_of.get(row.id, [])
        if row.status in UNSETTLED:
            report.unsettled += 1
        elif row.status == "gave_up":
            report.gave_up += 1
        if at_least_once:
            extra = max(0, times - 1)
            report.duplicated += extra
            for kill in at[:extra]:  # each kill the row was in flight at can send it once more
                kill.duplicated += 1
            report.unattributed += max(0, extra - len(at))
            report.broken_rule += times == 0 and row.status not in ("gave_up", *UNSETTLED)
        else:
            lost = times == 0 and row.status not in ("gave_up", *UNSETTLED)
            report.lost += lost
            if lost and at:
                at[-1].lost += 1  # never sent after the last kill it was in flight at
            report.unattributed += lost and not at
            report.broken_rule += times > 1
