"""Daily load: one day of check-ins for a large clinic network, on PostgreSQL and the fake Twilio.

Usage:
    python benchmarks/daily_load.py [--database-url postgresql+asyncpg://postgres@127.0.0.1:5432/companion_daily]
        [--patients 100000] [--clinics 20] [--day 2026-06-10] [--step-minutes 15] [--fake process|thread]

1. Setup (timed, not a target): the database is rebuilt from clean (schema ``public`` dropped, then
   migrated to head), then clinics, active SMS patients (distinct valid US numbers, a spread of IANA
   time zones and preferred times) and one recent treatment session each (1 to 7 local days before
   the day, so every patient is in their daily-mood days) are written with set-based SQL.
2. Plan: ``extend_plans`` at 00:00 UTC of the day, on a frozen clock, as the hourly job runs it.
3. The day: the frozen clock moves through the day in steps; at each step the prompts due are
   released as the release job does (``release_due`` in batches, one unit of work each) and the
   outbox is drained by the dispatcher through the Twilio gateway (the official SDK) to the fake
   Twilio. Wall time, messages per second and peak resident memory (this process; the fake's own when
   it runs in a process of its own) are reported, then checked: every prompt due that day was
   released, each released prompt wrote exactly its messages, the fake got each message exactly
   once, and every outbox row carries the fake's sid with status queued or sent.
4. The next day: ``extend_plans`` again at the end of the day.

Targets, for a million patients: the day's batch in under 20 minutes with under 1 GB resident; the
next day planned in under 5 minutes. The times scale with ``--patients`` (a tenth of them at the
default 100,000: 2 minutes and 30 seconds), the memory does not.

The database's name must contain "daily", since it is wiped. Exit status: 0 when every target is met,
1 when a target is missed, 2 when a check failed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import resource
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

SCRIPT = Path(__file__).resolve()
ROOT = SCRIPT.parents[1]
sys.path.insert(0, str(ROOT))

import phonenumbers  # noqa: E402
from sqlalchemy import insert, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncEngine  # noqa: E402

from benchmarks.sms_throughput import create_database  # noqa: E402
from benchmarks.sms_throughput import reset_database as rebuild_database  # noqa: E402
from companion.clinical.instruments import get_instrument, next_question, sms_messages  # noqa: E402
from companion.clinical.plan import MODALITIES  # noqa: E402
from companion.clock import FrozenClock  # noqa: E402
from companion.protocols import ProtocolSource  # noqa: E402
from companion.secret_keys import new_key  # noqa: E402
from jobs import release_prompts  # noqa: E402
from jobs.context import JobContext  # noqa: E402
from tests.fakes.fake_twilio import DEFAULT_SERVICE_NUMBER, FakeTwilio, new_sid  # noqa: E402

DEFAULT_DATABASE_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/companion_daily"
AUTH_TOKEN = "daily-load-twilio-auth-token-0123456789"
PUBLIC_BASE_URL = "http://127.0.0.1:8000"

# The targets for a million patients; the times scale with the patients run (a linear day), the
# memory does not (it must stay bounded whatever the count).
TARGET_PATIENTS = 1_000_000
TARGET_DAY_SECONDS = 20 * 60.0
TARGET_DAY_RSS_MB = 1024.0
TARGET_NEXT_DAY_SECONDS = 5 * 60.0
SEED_READ_BATCH = 20_000

READY_TIMEOUT = 30.0
REPORT_TIMEOUT = 120.0
STOP_TIMEOUT = 5.0

# Weighted: most patients in the US, some in Europe and India.
TIME_ZONES: tuple[str, ...] = (
    *("America/New_York",) * 4,
    *("America/Chicago",) * 3,
    "America/Denver",
    "America/Phoenix",
    *("America/Los_Angeles",) * 3,
    "America/Anchorage",
    "Pacific/Honolulu",
    "Europe/London",
    "Asia/Kolkata",
)
# Preferred check-in times: every minute from 07:00 to 21:59 local (the ends fall in quiet hours
# and are moved to 08:00).
FIRST_PREFERRED_MINUTE = 7 * 60
PREFERRED_MINUTES = 15 * 60
SESSION_DAYS_BACK = 7

FakeMode = Literal["process", "thread"]

log = logging.getLogger("daily_load")


def rss_mb() -> float:
    """Peak resident set of this process so far (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds(pid: int | str = "self") -> float | None:
    """User and system CPU time a process has used so far (Linux /proc), or None where unavailable."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def postgres_cpu_seconds(database: str) -> float | None:
    """CPU time used so far by the PostgreSQL backends serving ``database`` on this machine (their
    process titles name it), and by the server's backends that have ended (their parent, the
    server, counts its ended children's time: any database's, which on a benchmark machine is this
    one's), or None where they cannot be seen. Without the ended ones, a connection closed during a
    run would take its time out of the total."""
    total, seen, servers = 0.0, False, set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if title.startswith("postgres: ") and f" {database} " in title:
            used = cpu_seconds(entry.name)
            if used is not None:
                total, seen = total + used, True
                with contextlib.suppress(OSError, ValueError, IndexError):
                    servers.add(int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]))
    for server in servers:
        total += ended_children_cpu_seconds(server) or 0.0
    return total if seen else None


def ended_children_cpu_seconds(pid: int) -> float | None:
    """User and system CPU time of a process's ended (waited-for) children."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


@dataclass(frozen=True)
class CpuSnapshot:
    ours: float | None
    fake: float | None
    postgres: float | None

    def since(self, before: CpuSnapshot) -> CpuSnapshot:
        def delta(now: float | None, then: float | None) -> float | None:
            return None if now is None or then is None else now - then

        return CpuSnapshot(delta(self.ours, before.ours), delta(self.fake, before.fake),
                           delta(self.postgres, before.postgres))

    def line(self, wall: float, *, fake: bool = True) -> str:
        def show(value: float | None, what: str) -> str:
            return f"{what} n/a" if value is None else f"{what} {value:.1f} s ({value / wall:.0%} of a core)"

        parts = [show(self.ours, "this process")]
        if fake:
            parts.append(show(self.fake, "fake Twilio"))
        parts.append(show(self.postgres, "PostgreSQL backends"))
        return ", ".join(parts)


def mark(ok: bool) -> str:
    return "ok  " if ok else "MISS"


# ------------------------------------------------------------------------------------ fake Twilio


@dataclass(frozen=True)
class FakeReport:
    """What the fake accepted: (outbox message id, sid, to) for each message, and its peak memory."""

    sent: list[tuple[int, str, str]]
    rss_mb: float | None

    @classmethod
    def of(cls, fake: FakeTwilio, rss: float | None) -> FakeReport:
        sent: list[tuple[int, str, str]] = []
        for message in fake.messages:
            values = parse_qs(urlsplit(message.status_callback or "").query).get("message_id", ["0"])
            sent.append((int(values[0]) if values[0].isdigit() else 0, message.sid, message.to))
        return cls(sent, rss)


def serve_fake(account_sid: str) -> None:
    """The fake Twilio as a process: one JSON line on start, then one answer per command read from stdin."""
    fake = FakeTwilio(account_sid, AUTH_TOKEN).start()
    try:
        print(json.dumps({"base_url": fake.base_url}), flush=True)
        for line in sys.stdin:
            if line.strip() == "report":
                report = FakeReport.of(fake, rss_mb())
                print(json.dumps({"sent": report.sent, "rss_mb": report.rss_mb}), flush=True)
    except KeyboardInterrupt:
        pass
    finally:
        fake.stop()


class FakeHandle:
    """The fake Twilio in a process of its own (its memory apart from ours) or in a thread of this one."""

    def __init__(self, mode: FakeMode, account_sid: str) -> None:
        self.mode = mode
        self.account_sid = account_sid
        self.base_url = ""
        self._fake: FakeTwilio | None = None
        self._process: subprocess.Popen[bytes] | None = None

    async def start(self) -> None:
        if self.mode == "thread":
            self._fake = FakeTwilio(self.account_sid, AUTH_TOKEN).start()
            self.base_url = self._fake.base_url
            return
        self._process = self._spawn()
        self.base_url = str((await self._command(None, READY_TIMEOUT))["base_url"])

    def _spawn(self) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [sys.executable, str(SCRIPT), "--role", "fake", "--account-sid", self.account_sid],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=str(ROOT),
        )

    async def _command(self, command: str | None, wait_seconds: float) -> dict[str, Any]:
        process = self._process
        assert process is not None and process.stdin is not None and process.stdout is not None
        if command is not None:
            process.stdin.write(command.encode() + b"\n")
            process.stdin.flush()
        line = await asyncio.wait_for(asyncio.to_thread(process.stdout.readline), timeout=wait_seconds)
        if not line:
            raise RuntimeError("the fake Twilio process stopped")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def cpu_seconds(self) -> float | None:
        """The fake's own CPU time when it runs in a process of its own (in a thread it counts as ours)."""
        return cpu_seconds(self._process.pid) if self._process is not None else None

    async def report(self) -> FakeReport:
        if self._fake is not None:
            return FakeReport.of(self._fake, None)
        answer = await self._command("report", REPORT_TIMEOUT)
        return FakeReport([(int(i), str(s), str(t)) for i, s, t in answer["sent"]], answer["rss_mb"])

    def stop(self) -> None:
        if self._fake is not None:
            self._fake.stop()
            self._fake = None
        process = self._process
        if process is None:
            return
        self._process = None
        if process.poll() is None:
            with contextlib.suppress(OSError):
                if process.stdin is not None:
                    process.stdin.close()
            with contextlib.suppress(OSError):
                process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=STOP_TIMEOUT)
        if process.stdout is not None:
            with contextlib.suppress(OSError):
                process.stdout.close()


# ------------------------------------------------------------------------------------- the database


def check_database(url: str) -> None:
    name = make_url(url).database or ""
    if "daily" not in name:
        raise SystemExit(f"refusing to wipe database {name!r}: the benchmark rebuilds it, so its name must "
                         "contain 'daily' (e.g. companion_daily)")


async def reset_database(url: str) -> None:
    """Create the database when missing, drop everything in it and migrate to head."""
    await create_database(url)
    await rebuild_database(url)


def patient_phone_sql(index: str) -> str:
    """SQL for patient ``index``'s number: +1 202 NXX XXXX, exchanges from 200 up, 10,000 lines each."""
    return f"'+1202' || (200 + {index} / 10000)::text || lpad(({index} % 10000)::text, 4, '0')"


PATIENTS_SQL = f"""
INSERT INTO patient (clinic_id, reference, display_name, phone, timezone, preferred_checkin_time,
                     quiet_start, quiet_end, channel, sms_consent, status, created_at)
SELECT (CAST(:clinic_ids AS integer[]))[1 + g % cardinality(CAST(:clinic_ids AS integer[]))],
       'D-' || lpad(g::text, 7, '0'),
       'Daily Patient ' || g,
       {patient_phone_sql("g")},
       (CAST(:zones AS text[]))[1 + (g / 7) % cardinality(CAST(:zones AS text[]))],
       make_time((({FIRST_PREFERRED_MINUTE} + (g::bigint * 7919) % {PREFERRED_MINUTES}) / 60)::integer,
                 (({FIRST_PREFERRED_MINUTE} + (g::bigint * 7919) % {PREFERRED_MINUTES}) % 60)::integer, 0),
       TIME '21:00', TIME '08:00', 'sms', 'opted_in', 'active', CAST(:now AS timestamptz)
FROM generate_series(0, :patients - 1) AS g
"""

# One session per patient, 1..7 local days before the day, starting between 09:00 and 14:45 local
# and lasting 60 to 120 minutes.
SESSIONS_SQL = f"""
INSERT INTO treatment_session (patient_id, clinic_id, modality, started_at, ended_at, dose_mg, created_at)
SELECT id, clinic_id, modality, started_at, started_at + make_interval(mins => 60 + (id % 3) * 30), 0.5,
       CAST(:now AS timestamptz)
FROM (
    SELECT p.id, p.clinic_id,
           (CAST(:modalities AS text[]))[1 + p.id % cardinality(CAST(:modalities AS text[]))] AS modality,
           ((CAST(:day AS date) - (1 + p.id % {SESSION_DAYS_BACK})) + make_time(9 + p.id % 6, (p.id % 4) * 15, 0))
               AT TIME ZONE p.timezone AS started_at
    FROM patient p
) AS s
"""


@dataclass(frozen=True)
class Seeded:
    clinics: int
    patients: int
    sessions: int
    invalid_phones: int
    distinct_phones: int
    zones: dict[str, int]


async def seed(engine: AsyncEngine, patients: int, clinics: int, day: date, now: datetime) -> Seeded:
    from companion.models import Clinic

    clinic_table = Clinic.__table__  # type: ignore[attr-defined]
    async with engine.begin() as conn:
        clinic_ids = list((await conn.execute(
            insert(clinic_table).returning(clinic_table.c.id),
            [{"name": f"Daily Clinic {i}", "timezone": TIME_ZONES[i % len(TIME_ZONES)],
              "business_hours": {d: ["09:00", "17:00"] for d in ("mon", "tue", "wed", "thu", "fri")},
              "sms_sender": f"+1415555{i:04d}" if i % 2 else None, "created_at": now}
             for i in range(clinics)],
        )).scalars())
        await conn.execute(text(PATIENTS_SQL), {"clinic_ids": clinic_ids, "zones": list(TIME_ZONES),
                                                 "now": now, "patients": patients})
        await conn.execute(text(SESSIONS_SQL), {"modalities": list(MODALITIES), "day": day, "now": now})
    async with engine.begin() as conn:
        await conn.execute(text("ANALYZE"))
    invalid = 0
    async with engine.connect() as conn:
        # Every number is checked, a batch at a time, so a million patients never sit in memory.
        phones = await conn.stream(text("SELECT phone FROM patient"))
        async for batch in phones.partitions(SEED_READ_BATCH):
            invalid += sum(1 for (phone,) in batch if not phonenumbers.is_valid_number(phonenumbers.parse(phone)))
        counted = (await conn.execute(text("SELECT count(*), count(DISTINCT phone) FROM patient"))).one()
        zones = {str(zone): int(n) for zone, n in await conn.execute(
            text("SELECT timezone, count(*) FROM patient GROUP BY 1 ORDER BY 2 DESC"))}
        sessions = int(await conn.scalar(text("SELECT count(*) FROM treatment_session")) or 0)
    return Seeded(len(clinic_ids), int(counted[0]), sessions, invalid, int(counted[1]), zones)


# ---------------------------------------------------------------------------------------- the day


@dataclass
class DayResult:
    steps: int = 0
    released: int = 0
    dispatched: int = 0
    release_seconds: float = 0.0
    dispatch_seconds: float = 0.0
    upkeep_seconds: float = 0.0
    upkeep_runs: int = 0
    elapsed: float = 0.0
    busiest_step: int = 0
    rss_mb: float = 0.0

    @property
    def rate(self) -> float:
        return self.dispatched / self.elapsed if self.elapsed > 0 else 0.0


UPKEEP_TABLES = ("prompt", "outbound_message", "message_attempt")


async def autovacuum_on(engine: AsyncEngine) -> bool:
    async with engine.connect() as conn:
        return str(await conn.scalar(text("SHOW autovacuum"))) == "on"


async def upkeep(engine: AsyncEngine) -> float:
    """What autovacuum does for the busy tables: vacuum them and refresh the planner's statistics."""
    started = time.perf_counter()
    async with engine.connect() as conn:
        autocommit = await conn.execution_options(isolation_level="AUTOCOMMIT")
        await autocommit.execute(text(f"VACUUM (ANALYZE) {', '.join(UPKEEP_TABLES)}"))
    return time.perf_counter() - started


async def run_day(
    ctx: JobContext, clock: FrozenClock, start: datetime, step: timedelta, progress: timedelta,
    upkeep_every: timedelta | None,
) -> DayResult:
    """Move the clock through [start, start + 1 day): release what is due, then send it, at each step.

    With ``upkeep_every``, the busy tables are vacuumed and analysed at the start and then at that
    interval of the day's clock (for a server whose autovacuum is off); that time is counted too."""
    end = start + timedelta(days=1)
    dispatcher = ctx.get_dispatcher()
    result = DayResult()
    moments: list[datetime] = []
    at = start + step
    while at < end:
        moments.append(at)
        at += step
    # The last step releases everything due before midnight; a last drain a little later sends the
    # questions held back a few seconds behind their intros.
    moments.append(end - timedelta(microseconds=1))
    next_report = start + progress
    next_upkeep = start
    began = time.perf_counter()
    for moment in moments:
        if upkeep_every is not None and moment > next_upkeep:
            next_upkeep += upkeep_every
            result.upkeep_seconds += await upkeep(ctx.engine)
            result.upkeep_runs += 1
        clock.set(moment)
        started = time.perf_counter()
        released = await release_prompts.release_all(ctx)
        released_at = time.perf_counter()
        sent = await dispatcher.drain()
        result.release_seconds += released_at - started
        result.dispatch_seconds += time.perf_counter() - released_at
        result.steps += 1
        result.released += released
        result.dispatched += sent
        result.busiest_step = max(result.busiest_step, released)
        if moment >= next_report:
            next_report += progress
            print(f"  {moment:%H:%M} UTC  released {result.released:7d}  sent {result.dispatched:7d}  "
                  f"elapsed {time.perf_counter() - began:6.1f} s  (release {result.release_seconds:6.1f} s, "
                  f"dispatch {result.dispatch_seconds:6.1f} s, upkeep {result.upkeep_seconds:5.1f} s)  "
                  f"peak rss {rss_mb():5.0f} MB", flush=True)
    clock.set(end + timedelta(minutes=1))
    started = time.perf_counter()
    result.dispatched += await dispatcher.drain()
    result.dispatch_seconds += time.perf_counter() - started
    result.elapsed = time.perf_counter() - began
    result.rss_mb = rss_mb()
    return result


# ------------------------------------------------------------------------------------ the checks


@dataclass
class DayCheck:
    due_in_day: int = 0
    released_in_day: int = 0
    messages: int = 0
    by_instrument: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)

    def problem(self, message: str) -> None:
        self.problems.append(message)


def expected_bodies(instrument_code: str) -> tuple[str, tuple[str, ...]]:
    """The first SMS question's key and the bodies a released prompt of this instrument sends."""
    instrument = get_instrument(instrument_code)
    first = next_question(instrument, {}, "sms")
    assert first is not None
    return first.key, sms_messages(instrument, first)


async def check_day(engine: AsyncEngine, report: FakeReport, start: datetime) -> DayCheck:
    end = start + timedelta(days=1)
    check = DayCheck()
    window = {"start": start, "end": end}
    async with engine.connect() as conn:
        check.due_in_day = int(await conn.scalar(
            text("SELECT count(*) FROM prompt WHERE due_at >= :start AND due_at < :end"), window) or 0)
        left = int(await conn.scalar(text(
            "SELECT count(*) FROM prompt WHERE due_at >= :start AND due_at < :end AND status <> 'open'"), window) or 0)
        if left:
            check.problem(f"{left} prompts due during the day were not released")
        early = int(await conn.scalar(text(
            "SELECT count(*) FROM prompt WHERE status = 'open' AND due_at >= :end"), window) or 0)
        if early:
            check.problem(f"{early} prompts due after the day were released")
        prompts = (await conn.execute(text(
            "SELECT p.id, p.instrument, p.channel, p.current_question, p.released_at, pt.phone, pt.id "
            "FROM prompt p JOIN patient pt ON pt.id = p.patient_id WHERE p.status = 'open'"))).all()
        messages = (await conn.execute(text(
            "SELECT id, dedupe_key, body, to_phone, patient_id, status, provider_sid, attempts, purpose "
            "FROM outbound_message"))).all()
        attempts = {str(outcome): int(n) for outcome, n in await conn.execute(
            text("SELECT outcome, count(*) FROM message_attempt GROUP BY outcome"))}

    check.released_in_day = len(prompts)
    check.messages = len(messages)
    by_key = {row[1]: row for row in messages}
    if len(by_key) != len(messages):
        check.problem("outbox rows without a dedupe key or with a duplicate one")
    shapes = {code: expected_bodies(code) for code in {p[1] for p in prompts}}
    expected_keys: set[str] = set()
    wrong = 0
    for prompt_id, instrument, channel, current, released_at, phone, patient_id in prompts:
        check.by_instrument[instrument] += 1
        key, bodies = shapes[instrument]
        if channel != "sms" or current != key or released_at is None or not start <= released_at < end:
            wrong += 1
            continue
        for index, body in enumerate(bodies):
            dedupe = f"prompt:{prompt_id}:{key}:{index}"
            expected_keys.add(dedupe)
            row = by_key.get(dedupe)
            if row is None or row[2] != body or row[3] != phone or row[4] != patient_id or row[8] != "prompt":
                wrong += 1
    if wrong:
        check.problem(f"{wrong} released prompts or their messages are not as expected")
    extra = set(by_key) - expected_keys
    if extra:
        check.problem(f"{len(extra)} outbox rows belong to no released prompt")

    not_recorded = [row for row in messages if row[6] is None or row[5] not in ("queued", "sent") or row[7] != 1]
    if not_recorded:
        statuses = Counter(row[5] for row in not_recorded)
        check.problem(f"{len(not_recorded)} outbox rows not recorded as sent once with a sid: {dict(statuses)}")
    if attempts != {"accepted": len(messages)}:
        check.problem(f"attempts recorded {attempts}, expected {len(messages)} accepted")

    ids = [message_id for message_id, _, _ in report.sent]
    if len(ids) != len(set(ids)):
        check.problem(f"the fake got {len(ids) - len(set(ids))} messages more than once")
    rows_by_id = {row[0]: row for row in messages}
    if set(ids) != set(rows_by_id):
        check.problem(f"the fake got {len(report.sent)} messages for {len(rows_by_id)} outbox rows "
                      f"({len(set(rows_by_id) - set(ids))} never arrived)")
    mismatched = sum(
        1 for message_id, sid, to in report.sent
        if message_id in rows_by_id and (rows_by_id[message_id][6] != sid or rows_by_id[message_id][3] != to)
    )
    if mismatched:
        check.problem(f"{mismatched} outbox rows do not carry the sid or number the fake recorded")
    return check


# ---------------------------------------------------------------------------------------- the run


async def plan(ctx: JobContext, clock: FrozenClock) -> tuple[int, float]:
    from companion.scheduling.services import extend_plans

    started = time.perf_counter()
    async with ctx.unit_of_work() as session:
        created = await extend_plans(session, clock, ctx.protocols.seed().aftercare)
    return created, time.perf_counter() - started


async def count_due(engine: AsyncEngine, start: datetime, end: datetime) -> int:
    async with engine.connect() as conn:
        return int(await conn.scalar(
            text("SELECT count(*) FROM prompt WHERE due_at >= :start AND due_at < :end"),
            {"start": start, "end": end}) or 0)


async def benchmark(args: argparse.Namespace) -> int:
    from companion.db import create_engine, create_sessionmaker
    from companion.messaging.gateways import TwilioGateway
    from companion.settings import Settings

    start = datetime.combine(args.day, datetime.min.time(), tzinfo=UTC)
    end = start + timedelta(days=1)
    clock = FrozenClock(start)
    account_sid = new_sid("AC")
    fake = FakeHandle(args.fake, account_sid)
    engine: AsyncEngine | None = None
    gateway: TwilioGateway | None = None
    print(f"database {make_url(args.database_url).render_as_string(hide_password=True)}; {args.patients} patients "
          f"in {args.clinics} clinics; day {args.day} (UTC), steps of {args.step_minutes} min; fake in a {args.fake}",
          flush=True)
    try:
        began = time.perf_counter()
        await reset_database(args.database_url)
        migrated = time.perf_counter() - began
        settings = Settings(
            database_url=args.database_url, secret_key=new_key(), public_base_url=PUBLIC_BASE_URL,
            twilio_account_sid=account_sid,
            twilio_auth_token=AUTH_TOKEN, twilio_from_number=DEFAULT_SERVICE_NUMBER,
        )
        engine = create_engine(settings)
        seeded = await seed(engine, args.patients, args.clinics, args.day, start - timedelta(days=30))
        setup_seconds = time.perf_counter() - began
        print(f"setup {setup_seconds:.1f} s (migrate {migrated:.1f} s): {seeded.clinics} clinics, "
              f"{seeded.patients} patients ({seeded.distinct_phones} distinct numbers, {seeded.invalid_phones} "
              f"invalid), {seeded.sessions} sessions; zones "
              + ", ".join(f"{zone} {n}" for zone, n in seeded.zones.items()), flush=True)

        await fake.start()
        settings = settings.model_copy(update={"twilio_api_base_url": fake.base_url})
        gateway = TwilioGateway(settings)
        ctx = JobContext(settings=settings, engine=engine, sessionmaker=create_sessionmaker(engine), clock=clock,
                         gateway=gateway, protocols=ProtocolSource.from_file(settings.protocol_file))

        database = make_url(args.database_url).database or ""

        def cpu_now() -> CpuSnapshot:
            return CpuSnapshot(cpu_seconds(), fake.cpu_seconds(), postgres_cpu_seconds(database))

        before = cpu_now()
        created, plan_seconds = await plan(ctx, clock)
        plan_cpu = cpu_now().since(before)
        due_today = await count_due(engine, start, end)
        print(f"plan at {start:%Y-%m-%d %H:%M} UTC: {created} prompts created in {plan_seconds:.1f} s "
              f"({due_today} due during the day); peak rss {rss_mb():.0f} MB", flush=True)

        autovacuum = await autovacuum_on(engine)
        upkeep_on = args.upkeep == "on" or (args.upkeep == "auto" and not autovacuum)
        upkeep_every = timedelta(hours=1) if upkeep_on else None
        print(f"the day (autovacuum {'on' if autovacuum else 'off'} on this server; "
              + ("the busy tables are vacuumed and analysed every hour of the day, time counted)"
                 if upkeep_on else "no upkeep by the benchmark)"), flush=True)
        before = cpu_now()
        day = await run_day(ctx, clock, start, timedelta(minutes=args.step_minutes),
                            timedelta(hours=args.progress_hours), upkeep_every)
        day_cpu = cpu_now().since(before)
        report = await fake.report()
        check = await check_day(engine, report, start)

        clock.set(end)
        before = cpu_now()
        next_created, next_seconds = await plan(ctx, clock)
        next_cpu = cpu_now().since(before)
        due_next = await count_due(engine, end, end + timedelta(days=1))
        print(f"next day planned at {end:%Y-%m-%d %H:%M} UTC: {next_created} prompts created in "
              f"{next_seconds:.1f} s ({due_next} due during the next day)", flush=True)
    finally:
        if gateway is not None:
            await gateway.close()
        fake.stop()
        if engine is not None:
            await engine.dispose()

    scale = args.patients / TARGET_PATIENTS
    target_day, target_next = TARGET_DAY_SECONDS * scale, TARGET_NEXT_DAY_SECONDS * scale
    day_ok = day.elapsed < target_day
    rss_ok = day.rss_mb < TARGET_DAY_RSS_MB
    next_ok = next_seconds < target_next
    fake_rss = f"{report.rss_mb:.0f} MB (own process)" if report.rss_mb is not None else "in this process"
    instruments = ", ".join(f"{code} {n}" for code, n in sorted(check.by_instrument.items()))
    print()
    print("=" * 100)
    print(f"setup (not a target)   {setup_seconds:7.1f} s   {seeded.patients} patients, {seeded.sessions} sessions")
    print(f"plan the day           {plan_seconds:7.1f} s   {created} prompts created, {due_today} due that day")
    print(f"                       cpu: {plan_cpu.line(plan_seconds, fake=False)}")
    print(f"the day's batch        {day.elapsed:7.1f} s {mark(day_ok)} (target < {target_day:.0f} s)   "
          f"release {day.release_seconds:.1f} s, dispatch {day.dispatch_seconds:.1f} s, "
          f"upkeep {day.upkeep_seconds:.1f} s ({day.upkeep_runs} runs), {day.steps} steps")
    print(f"                       {day.released} prompts released ({instruments}), busiest step {day.busiest_step}")
    print(f"                       {day.dispatched} messages sent, {day.rate:.0f} msg/s")
    print(f"                       cpu: {day_cpu.line(day.elapsed)}")
    print(f"peak resident memory   {day.rss_mb:7.0f} MB {mark(rss_ok)} (target < {TARGET_DAY_RSS_MB:.0f} MB, "
          f"this process since its start); fake Twilio {fake_rss}")
    print(f"plan the next day      {next_seconds:7.1f} s {mark(next_ok)} (target < {target_next:.0f} s)   "
          f"{next_created} prompts created, {due_next} due the next day")
    print(f"                       cpu: {next_cpu.line(next_seconds, fake=False)}")
    print(f"checks                 due {check.due_in_day}, released {check.released_in_day}, outbox rows "
          f"{check.messages}, fake got {len(report.sent)}: " + ("all ok" if not check.problems else "FAILED"))
    for problem in check.problems:
        print(f"  - {problem}")
    print("=" * 100)
    if check.problems or day.dispatched != check.messages or day.released != check.released_in_day:
        return 2
    return 0 if day_ok and rss_ok and next_ok else 1


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="One day of check-ins for a clinic network, on PostgreSQL.")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL,
                        help="PostgreSQL database to rebuild (its name must contain 'daily')")
    parser.add_argument("--patients", type=int, default=100_000, help="active SMS patients")
    parser.add_argument("--clinics", type=int, default=20, help="clinics the patients belong to")
    parser.add_argument("--day", type=date.fromisoformat, default=date(2026, 6, 10), help="the day (UTC) to run")
    parser.add_argument("--step-minutes", type=int, default=15, help="how far the clock moves at each step")
    parser.add_argument("--progress-hours", type=int, default=3, help="a progress line every this many hours")
    parser.add_argument("--fake", choices=("process", "thread"), default="process",
                        help="where the fake Twilio runs")
    parser.add_argument("--upkeep", choices=("auto", "on", "off"), default="auto",
                        help="vacuum and analyse the busy tables every hour of the day, as autovacuum would "
                             "(auto: only when the server's autovacuum is off)")
    parser.add_argument("--role", choices=("fake",), help=argparse.SUPPRESS)
    parser.add_argument("--account-sid", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if min(args.patients, args.clinics, args.step_minutes, args.progress_hours) < 1:
        parser.error("counts must be positive")
    if args.patients > 8_000_000:
        parser.error("at most 8,000,000 patients (the numbers run out)")
    return args


def _stop_on_sigterm(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.role == "fake":
        serve_fake(args.account_sid)
        return 0
    check_database(args.database_url)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    try:
        return asyncio.run(benchmark(args))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
