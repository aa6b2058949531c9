"""SMS throughput: inbound webhooks through the real app, and outbound sends through one dispatcher.

Usage:
    python benchmarks/sms_throughput.py [--database-url postgresql+asyncpg://postgres@127.0.0.1:5432/companion_bench]
        [--requests 5000] [--concurrency 32] [--outbound 5000] [--fake process|thread|both]

1. Inbound: the companion app runs under uvicorn in its own process (settings from COMPANION_* variables,
   the public base URL set to the address actually called, so webhook signatures are checked for real), as
   ``companion serve --no-jobs`` runs it: ordinary messages are left to the scheduler process, not started.
   A bare Litestar app with one POST handler that reads the form and answers the same TwiML (no database)
   runs in another uvicorn process. One asyncio load generator (aiohttp, a fixed number of workers) posts
   pre-signed Twilio webhooks to each, after a warm-up that is not counted: req/s, p50 and p99 latency,
   errors, and the ratio companion / bare.
2. Outbound: rows are bulk-inserted into the outbox, then ``Dispatcher.drain()`` sends them through the
   Twilio gateway (the official SDK) to the fake Twilio, in this process: msg/s, and a check that the fake
   got each message exactly once. The fake runs in its own process (``--fake process``), in a thread of
   this process (``--fake thread``), or both one after the other (``--fake both``).

The database is rebuilt from clean before each run (schema ``public`` dropped, then migrated to head), so
its name must contain "bench"; it is created when missing, and an advisory lock keeps two runs apart.
Every subprocess is stopped on exit, on Ctrl-C and on errors; a server whose parent dies stops by itself.

Exit status: 0 when every target is met, 1 when a target is missed, 2 when a check failed (errors on the
inbound path, messages missing or sent twice).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qs, urlencode, urlsplit
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
from litestar import Litestar, Request, Response, get, post  # noqa: E402
from sqlalchemy import func, insert, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.exc import DBAPIError  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine  # noqa: E402
from sqlalchemy.pool import NullPool  # noqa: E402
from twilio.request_validator import RequestValidator  # noqa: E402

from companion.clinical import texts  # noqa: E402
from companion.clock import Clock  # noqa: E402
from companion.messaging.gateways import INBOUND_PATH  # noqa: E402
from companion.messaging.policy import PRIORITY, Purpose  # noqa: E402
from companion.secret_keys import new_key  # noqa: E402
from tests.fakes.fake_twilio import DEFAULT_SERVICE_NUMBER, FakeTwilio, new_sid  # noqa: E402

DEFAULT_DATABASE_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/companion_bench"
HOST = "127.0.0.1"
CLINIC_NUMBER = DEFAULT_SERVICE_NUMBER
AUTH_TOKEN = "bench-twilio-auth-token-0123456789"

TARGET_RATIO = 0.40
TARGET_P99_MS = 50.0
TARGET_OUTBOUND = 500.0

READY_TIMEOUT = 30.0
REQUEST_TIMEOUT = 10.0
STOP_TIMEOUT = 5.0

PATIENT_BODIES = (
    "7",
    "8/10",
    "6 out of 10",
    "seven",
    "Feeling a bit better today, slept well.",
    "Had a calm day, went for a walk with my sister.",
    "Tired but ok",
    "Thanks for checking in!",
    "mood 5, a bit anxious before work",
    "Can I move my next session to Thursday?",
)
KEYWORD_BODIES = ("STOP", " stop ", "START", "HELP", "help", "Info")
PROMPT_BODY = "How is your mood today, from 0 (very low) to 10 (very good)? Reply with a number."
OUTBOUND_AREA_CODES = ("202", "206", "213", "303", "305", "404", "415", "503", "512", "617")

FakeMode = Literal["process", "thread"]


# --------------------------------------------------------------------------------------- subprocesses


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _exit_when_parent_goes() -> None:
    """Stop this process (as Ctrl-C would) once the benchmark closes our stdin or dies."""

    def watch() -> None:
        with contextlib.suppress(OSError):
            while os.read(0, 4096):
                pass
        os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


@dataclass
class Child:
    role: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log_tail(self, lines: int = 30) -> str:
        try:
            content = self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return ""
        return "\n".join(content[-lines:])


class Children:
    """Every subprocess the benchmark starts; ``stop_all`` ends them (also on errors and Ctrl-C)."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.children: list[Child] = []

    def spawn(self, role: str, args: Sequence[str], env: dict[str, str] | None = None,
              stdout: int | None = None) -> Child:
        log_path = self.log_dir / f"{role}.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [sys.executable, str(Path(__file__).resolve()), "--role", role, *args],
                stdin=subprocess.PIPE,
                stdout=stdout if stdout is not None else log,
                stderr=log,
                env={**os.environ, **(env or {})},
                cwd=str(ROOT),
            )
        child = Child(role, process, log_path)
        self.children.append(child)
        return child

    def stop(self, child: Child) -> None:
        """Close the child's stdin (every role stops on that), then interrupt it, then kill it."""
        process = child.process
        if process.poll() is None:
            with contextlib.suppress(OSError):
                if process.stdin is not None:
                    process.stdin.close()
            try:
                process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(OSError):
                    process.send_signal(signal.SIGINT)
                try:
                    process.wait(timeout=STOP_TIMEOUT)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=STOP_TIMEOUT)
        for stream in (process.stdin, process.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        if child in self.children:
            self.children.remove(child)

    def stop_all(self) -> None:
        for child in reversed(list(self.children)):
            with contextlib.suppress(Exception):
                self.stop(child)


async def wait_ready(child: Child, url: str) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2.0)) as http:
        while time.monotonic() < deadline:
            if child.process.poll() is not None:
                raise RuntimeError(f"the {child.role} server exited early:\n{child.log_tail()}")
            with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                async with http.get(url) as response:
                    if response.status == 200:
                        return
            await asyncio.sleep(0.1)
    raise RuntimeError(f"the {child.role} server was not ready after {READY_TIMEOUT:.0f} s:\n{child.log_tail()}")


# ------------------------------------------------------------------------------------ fake Twilio


class FakeHandle:
    """The fake Twilio, in a thread of this process or in a process of its own, behind one interface."""

    def __init__(self, mode: FakeMode, account_sid: str, children: Children) -> None:
        self.mode = mode
        self.account_sid = account_sid
        self._children = children
        self._fake: FakeTwilio | None = None
        self._child: Child | None = None
        self.base_url = ""

    async def start(self) -> None:
        if self.mode == "thread":
            self._fake = FakeTwilio(self.account_sid, AUTH_TOKEN).start()
            self.base_url = self._fake.base_url
            return
        self._child = self._children.spawn("fake", ["--account-sid", self.account_sid], stdout=subprocess.PIPE)
        self.base_url = str((await self._command(None))["base_url"])

    async def _command(self, command: str | None) -> dict[str, Any]:
        assert self._child is not None
        process = self._child.process
        assert process.stdin is not None and process.stdout is not None
        if command is not None:
            process.stdin.write(command.encode() + b"\n")
            process.stdin.flush()
        line = await asyncio.wait_for(asyncio.to_thread(process.stdout.readline), timeout=READY_TIMEOUT)
        if not line:
            raise RuntimeError(f"the fake Twilio process stopped:\n{self._child.log_tail()}")
        answer: dict[str, Any] = json.loads(line)
        return answer

    async def clear(self) -> None:
        if self._fake is not None:
            self._fake.clear()
        else:
            await self._command("clear")

    async def report(self) -> FakeReport:
        if self._fake is not None:
            return FakeReport.of(self._fake)
        return FakeReport(**(await self._command("report")))

    def stop(self) -> None:
        if self._fake is not None:
            self._fake.stop()
            self._fake = None
        if self._child is not None:
            self._children.stop(self._child)
            self._child = None


@dataclass(frozen=True)
class FakeReport:
    count: int
    message_ids: list[int]
    unique_to: int

    @classmethod
    def of(cls, fake: FakeTwilio) -> FakeReport:
        messages = fake.messages
        ids: list[int] = []
        for message in messages:
            values = parse_qs(urlsplit(message.status_callback or "").query).get("message_id", [])
            ids.extend(int(value) for value in values[:1] if value.isdigit())
        return cls(count=len(messages), message_ids=ids, unique_to=len({m.to for m in messages}))


def serve_fake(account_sid: str) -> None:
    """The fake Twilio as a process: one JSON line on start, then one per command read from stdin."""
    fake = FakeTwilio(account_sid, AUTH_TOKEN).start()
    try:
        print(json.dumps({"base_url": fake.base_url}), flush=True)
        for line in sys.stdin:
            command = line.strip()
            if command == "clear":
                fake.clear()
                print(json.dumps({"ok": True}), flush=True)
            elif command == "report":
                report = FakeReport.of(fake)
                print(json.dumps(report.__dict__), flush=True)
    except KeyboardInterrupt:
        pass
    finally:
        fake.stop()


# ------------------------------------------------------------------------------------ the servers


def serve_companion(port: int) -> None:
    import uvicorn

    from companion.app import create_app
    from companion.settings import Settings

    _exit_when_parent_goes()
    with contextlib.suppress(KeyboardInterrupt):
        uvicorn.run(create_app(Settings()), host=HOST, port=port, log_level="warning", access_log=False)


def bare_reply() -> str:
    """The TwiML the companion answers a patient's message with, so both servers send as many bytes."""
    message = escape(texts.PATIENT_MESSAGE_SAVED)
    return f'<?xml version="1.0" encoding="UTF-8"?><Response><Message>{message}</Message></Response>'


BARE_REPLY = bare_reply()


@post(INBOUND_PATH, status_code=200)
async def bare_inbound(request: Request[Any, Any, Any]) -> Response[str]:
    """The floor: read the form, answer TwiML. No signature check, no database."""
    form = await request.form()
    params = {key: str(value) for key, value in form.items()}
    if not params.get("MessageSid"):
        return Response("MessageSid is required", status_code=400, media_type="text/plain")
    return Response(BARE_REPLY, media_type="application/xml")


@get("/health")
async def bare_health() -> dict[str, str]:
    return {"status": "ok"}


def serve_bare(port: int) -> None:
    import uvicorn

    _exit_when_parent_goes()
    with contextlib.suppress(KeyboardInterrupt):
        uvicorn.run(Litestar(route_handlers=[bare_inbound, bare_health]), host=HOST, port=port,
                    log_level="warning", access_log=False)


# ------------------------------------------------------------------------------------- the database


def check_bench_database(url: str) -> None:
    name = make_url(url).database or ""
    if "bench" not in name:
        raise SystemExit(f"refusing to wipe database {name!r}: the benchmark rebuilds it, so its name must "
                         "contain 'bench' (e.g. companion_bench)")


LOCK_KEY = 0x5E5B_E4C1


@contextlib.asynccontextmanager
async def exclusive_run(url: str) -> AsyncIterator[None]:
    """Hold a PostgreSQL advisory lock for the whole run, so two runs never rebuild one database at once."""
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as conn:
            if not await conn.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": LOCK_KEY}):
                raise SystemExit(f"another benchmark run is using {make_url(url).database!r}; try again later")
            await conn.commit()
            yield
    finally:
        await engine.dispose()


async def create_database(url: str) -> None:
    """Create the database when it is missing."""
    target = make_url(url)
    admin = create_async_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        async with admin.connect() as conn:
            exists = await conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                       {"name": target.database})
            if not exists:
                await conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    except (OSError, DBAPIError) as exc:
        where = target.render_as_string(hide_password=True)
        raise SystemExit(f"cannot reach PostgreSQL at {where}: {exc}") from exc
    finally:
        await admin.dispose()


async def reset_database(url: str) -> None:
    """Drop everything in the database and migrate it to head."""
    from companion.migrate import upgrade_async

    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
    finally:
        await engine.dispose()
    await upgrade_async(url)


def patient_number(index: int) -> str:
    return f"+1212555{index:04d}"


def unknown_number(index: int) -> str:
    return f"+1312555{index:04d}"


def outbound_number(index: int) -> str:
    area = OUTBOUND_AREA_CODES[(index // 10_000) % len(OUTBOUND_AREA_CODES)]
    return f"+1{area}555{index % 10_000:04d}"


async def seed(engine: AsyncEngine, patients: int) -> int:
    """One clinic texting from the service number, and ``patients`` enrolled patients. Returns the clinic id."""
    from companion.db import create_sessionmaker
    from companion.models import Clinic, Patient

    async with create_sessionmaker(engine)() as session:
        clinic = Clinic(name="Bench Clinic", timezone="America/New_York", sms_sender=CLINIC_NUMBER)
        session.add(clinic)
        await session.flush()
        assert clinic.id is not None
        session.add_all(
            Patient(
                clinic_id=clinic.id, reference=f"B-{index:05d}", display_name=f"Bench Patient {index}",
                phone=patient_number(index), timezone="America/New_York", preferred_checkin_time=clock_time(10, 0),
                sms_consent="opted_in", sms_consent_source="sms:YES",
            )
            for index in range(patients)
        )
        await session.commit()
        return clinic.id


async def count_rows(engine: AsyncEngine, table: str) -> int:
    async with engine.connect() as conn:
        return int(await conn.scalar(text(f"SELECT count(*) FROM {table}")) or 0)


# ---------------------------------------------------------------------------------- inbound load


@dataclass(frozen=True)
class Webhook:
    body: bytes
    headers: dict[str, str]


def build_webhooks(url: str, account_sid: str, count: int, patients: int, rng: random.Random) -> list[Webhook]:
    """Signed inbound webhooks as Twilio posts them, each with its own MessageSid: most from enrolled
    patients, about 10% from unknown numbers and 4% consent or help keywords."""
    validator = RequestValidator(AUTH_TOKEN)
    hooks: list[Webhook] = []
    for _ in range(count):
        draw = rng.random()
        if draw < 0.04:
            sender, body = patient_number(rng.randrange(patients)), rng.choice(KEYWORD_BODIES)
        elif draw < 0.14:
            sender, body = unknown_number(rng.randrange(1000)), rng.choice(PATIENT_BODIES)
        else:
            sender, body = patient_number(rng.randrange(patients)), rng.choice(PATIENT_BODIES)
        sid = new_sid("SM")
        params = {
            "ToCountry": "US",
            "SmsMessageSid": sid,
            "NumMedia": "0",
            "SmsSid": sid,
            "SmsStatus": "received",
            "Body": body,
            "FromCountry": "US",
            "To": CLINIC_NUMBER,
            "NumSegments": "1",
            "MessageSid": sid,
            "AccountSid": account_sid,
            "From": sender,
            "ApiVersion": "2010-04-01",
        }
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": validator.compute_signature(url, params),
            "User-Agent": "TwilioProxy/1.1",
        }
        hooks.append(Webhook(urlencode(params).encode(), headers))
    return hooks


@dataclass
class LoadResult:
    name: str
    planned: int
    elapsed: float = 0.0
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    server_cpu: float | None = None  # CPU seconds the server process used while measured
    warmed: int = 0  # warm-up requests answered before the measurement

    @property
    def done(self) -> int:
        return len(self.latencies)

    @property
    def errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status != "200")

    @property
    def rate(self) -> float:
        return self.done / self.elapsed if self.elapsed > 0 else 0.0

    def percentile_ms(self, q: float) -> float:
        if not self.latencies:
            return math.nan
        ordered = sorted(self.latencies)
        return ordered[max(0, math.ceil(q * len(ordered)) - 1)] * 1000.0

    def line(self) -> str:
        cut = "" if self.done == self.planned else f"  (stopped at the time limit: {self.done}/{self.planned})"
        detail = "" if not self.errors else "  " + ", ".join(f"{s}: {n}" for s, n in sorted(self.statuses.items()))
        cpu = ""
        if self.server_cpu is not None and self.done and self.elapsed > 0:
            cpu = (f"  server cpu {1000 * self.server_cpu / self.done:.2f} ms/req "
                   f"({self.server_cpu / self.elapsed:.0%} of a core)")
        return (f"inbound  {self.name:<9}  {self.rate:7.0f} req/s  p50 {self.percentile_ms(0.50):6.1f} ms  "
                f"p99 {self.percentile_ms(0.99):6.1f} ms  errors {self.errors}{cpu}{detail}{cut}")


async def run_load(name: str, url: str, hooks: Sequence[Webhook], concurrency: int, time_limit: float) -> LoadResult:
    """Post ``hooks`` with ``concurrency`` workers over kept-alive connections, each timed from send to
    the last byte of the answer; no new request starts after ``time_limit`` seconds."""
    result = LoadResult(name, len(hooks))
    connector = aiohttp.TCPConnector(limit=concurrency, limit_per_host=concurrency)
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT)
    indexes: Iterator[int] = iter(range(len(hooks)))
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:

        async def worker(stop_at: float) -> None:
            for index in indexes:
                if time.perf_counter() >= stop_at:
                    return
                hook = hooks[index]
                began = time.perf_counter()
                try:
                    async with http.post(url, data=hook.body, headers=hook.headers) as response:
                        await response.read()
                        status = str(response.status)
                except (aiohttp.ClientError, TimeoutError) as exc:
                    status = type(exc).__name__
                result.latencies.append(time.perf_counter() - began)
                result.statuses[status] += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker(started + time_limit) for _ in range(concurrency)))
        result.elapsed = time.perf_counter() - started
    return result


def cpu_seconds(pid: int) -> float | None:
    """User and system CPU time a process has used so far (Linux /proc), or None where unavailable."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


async def measure_inbound(name: str, server: Child, port: int, args: argparse.Namespace, account_sid: str,
                          rng: random.Random) -> LoadResult:
    url = f"http://{HOST}:{port}{INBOUND_PATH}"
    warmup = build_webhooks(url, account_sid, args.warmup, args.patients, rng)
    hooks = build_webhooks(url, account_sid, args.requests, args.patients, rng)
    warmed = await run_load(name, url, warmup, args.concurrency, args.time_limit)
    before = cpu_seconds(server.process.pid)
    result = await run_load(name, url, hooks, args.concurrency, args.time_limit)
    after = cpu_seconds(server.process.pid)
    if before is not None and after is not None:
        result.server_cpu = after - before
    result.warmed = warmed.done
    result.statuses.update({f"warm-up {status}": n for status, n in warmed.statuses.items() if status != "200"})
    return result


# --------------------------------------------------------------------------------- outbound sends


@dataclass(frozen=True)
class OutboundResult:
    mode: FakeMode
    enqueued: int
    handled: int
    elapsed: float
    report: FakeReport
    expected_ids: frozenset[int]
    accepted_rows: int
    attempts: int
    cut: bool = False  # stopped at the time limit

    @property
    def rate(self) -> float:
        return self.handled / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def delivered_once(self) -> bool:
        ids = self.report.message_ids
        return (self.report.count == self.enqueued and len(ids) == len(set(ids)) == self.enqueued
                and set(ids) == self.expected_ids and self.report.unique_to == self.enqueued)

    @property
    def ok(self) -> bool:
        return self.delivered_once and self.accepted_rows == self.enqueued and self.attempts == self.enqueued

    def line(self) -> str:
        where = "fake in a process" if self.mode == "process" else "fake in a thread "
        unique = "unique" if self.delivered_once else f"NOT unique ({len(set(self.report.message_ids))} distinct ids)"
        if self.cut:
            unique = f"(stopped at the time limit: {self.handled}/{self.enqueued} sent)"
        return (f"outbound dispatcher ({where})  {self.rate:6.0f} msg/s  {mark(self.rate >= TARGET_OUTBOUND)} "
                f"(target >= {TARGET_OUTBOUND:.0f})  delivered to fake: {self.report.count}/{self.enqueued} {unique}"
                f"  rows accepted {self.accepted_rows}, attempts {self.attempts}")


async def enqueue(engine: AsyncEngine, clinic_id: int, count: int, offset: int) -> frozenset[int]:
    """Bulk-insert ``count`` due prompts to distinct numbers; return their ids."""
    from companion.models import OutboundMessage

    table = OutboundMessage.__table__  # type: ignore[attr-defined]
    now = datetime.now(UTC) - timedelta(seconds=1)
    rows = [
        {
            "clinic_id": clinic_id, "patient_id": None, "staff_id": None, "to_phone": outbound_number(offset + i),
            "purpose": Purpose.PROMPT.value, "body": PROMPT_BODY, "priority": PRIORITY[Purpose.PROMPT],
            "status": "pending", "due_at": now, "attempts": 0, "needs_attention": False, "via": "api",
            "created_at": now,
        }
        for i in range(count)
    ]
    async with engine.begin() as conn:
        before = int(await conn.scalar(select(func.coalesce(func.max(table.c.id), 0))) or 0)
        await conn.execute(insert(table), rows)
        ids = (await conn.execute(select(table.c.id).where(table.c.id > before))).scalars().all()
    return frozenset(ids)


async def measure_outbound(engine: AsyncEngine, fake: FakeHandle, clinic_id: int, args: argparse.Namespace,
                           public_base_url: str) -> OutboundResult:
    from companion.messaging.dispatcher import Dispatcher
    from companion.messaging.gateways import TwilioGateway
    from companion.models import MessageAttempt, OutboundMessage
    from companion.settings import Settings
    from tests.delivery import delivery_events

    outbox = OutboundMessage.__table__  # type: ignore[attr-defined]
    attempts_table = MessageAttempt.__table__  # type: ignore[attr-defined]
    settings = Settings(
        database_url=args.database_url, public_base_url=public_base_url, twilio_account_sid=fake.account_sid,
        twilio_auth_token=AUTH_TOKEN, twilio_from_number=CLINIC_NUMBER, twilio_api_base_url=fake.base_url,
    )
    async with engine.begin() as conn:
        await conn.execute(text("TRUNCATE message_attempt, outbound_message RESTART IDENTITY CASCADE"))
    gateway = TwilioGateway(settings)
    try:
        clock = Clock()
        dispatcher = Dispatcher(engine, gateway, clock, events=delivery_events(clock),
                                concurrency=args.dispatch_concurrency)
        # Warm-up: the SDK client, its connections and the pool; not counted.
        await enqueue(engine, clinic_id, min(200, args.outbound), offset=50_000)
        await asyncio.wait_for(dispatcher.drain(), timeout=args.time_limit)
        await fake.clear()
        async with engine.begin() as conn:
            await conn.execute(text("TRUNCATE message_attempt, outbound_message RESTART IDENTITY CASCADE"))

        expected = await enqueue(engine, clinic_id, args.outbound, offset=0)
        started = time.perf_counter()
        cut = False
        try:
            await asyncio.wait_for(dispatcher.drain(), timeout=args.time_limit)
        except TimeoutError:
            cut = True
        elapsed = time.perf_counter() - started
    finally:
        await gateway.close()
    report = await fake.report()
    async with engine.connect() as conn:
        accepted = int(await conn.scalar(
            select(func.count()).select_from(outbox).where(outbox.c.provider_sid.is_not(None),
                                                           outbox.c.status == "queued")
        ) or 0)
        attempts = int(await conn.scalar(select(func.count()).select_from(attempts_table)) or 0)
    return OutboundResult(fake.mode, len(expected), accepted, elapsed, report, expected, accepted, attempts, cut)


# ---------------------------------------------------------------------------------------- the run


def mark(ok: bool) -> str:
    return "ok  " if ok else "MISS"


async def benchmark(args: argparse.Namespace, children: Children) -> int:
    from companion.db import create_engine
    from companion.settings import Settings

    rng = random.Random(args.seed)
    account_sid = new_sid("AC")
    modes: list[FakeMode] = ["process", "thread"] if args.fake == "both" else [args.fake]
    fakes: list[FakeHandle] = []
    engine: AsyncEngine | None = None
    stack = contextlib.AsyncExitStack()
    try:
        print(f"database {make_url(args.database_url).render_as_string(hide_password=True)}: rebuilding", flush=True)
        await create_database(args.database_url)
        await stack.enter_async_context(exclusive_run(args.database_url))
        await reset_database(args.database_url)
        engine = create_engine(Settings(database_url=args.database_url))
        clinic_id = await seed(engine, args.patients)

        for mode in modes:
            handle = FakeHandle(mode, account_sid, children)
            await handle.start()
            fakes.append(handle)

        companion_port, bare_port = free_port(), free_port()
        public_base_url = f"http://{HOST}:{companion_port}"
        companion = children.spawn("companion", ["--port", str(companion_port)], env={
            "COMPANION_DATABASE_URL": args.database_url,
            "COMPANION_SECRET_KEY": new_key(),
            "COMPANION_PUBLIC_BASE_URL": public_base_url,
            "COMPANION_TWILIO_ACCOUNT_SID": account_sid,
            "COMPANION_TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "COMPANION_TWILIO_FROM_NUMBER": CLINIC_NUMBER,
            "COMPANION_TWILIO_API_BASE_URL": fakes[0].base_url,
        })
        bare = children.spawn("bare", ["--port", str(bare_port)])
        await wait_ready(companion, f"{public_base_url}/health")
        await wait_ready(bare, f"http://{HOST}:{bare_port}/health")
        print(f"servers up: companion pid {companion.process.pid}, bare pid {bare.process.pid}; "
              f"{args.requests} webhooks, {args.concurrency} workers, warm-up {args.warmup}", flush=True)

        bare_result = await measure_inbound("bare", bare, bare_port, args, account_sid, rng)
        print(bare_result.line(), flush=True)
        companion_result = await measure_inbound("companion", companion, companion_port, args, account_sid, rng)
        print(companion_result.line(), flush=True)
        stored = await count_rows(engine, "inbound_message")
        expected_stored = companion_result.warmed + companion_result.done
        children.stop(companion)
        children.stop(bare)

        outbound: list[OutboundResult] = []
        for handle in fakes:
            result = await measure_outbound(engine, handle, clinic_id, args, public_base_url)
            print(result.line(), flush=True)
            outbound.append(result)
    finally:
        for handle in fakes:
            handle.stop()
        if engine is not None:
            await engine.dispose()
        await stack.aclose()

    ratio = companion_result.rate / bare_result.rate if bare_result.rate else 0.0
    p99 = companion_result.percentile_ms(0.99)
    ratio_ok, p99_ok = ratio >= TARGET_RATIO, p99 < TARGET_P99_MS
    checks_ok = (companion_result.errors == 0 and bare_result.errors == 0 and stored == expected_stored
                 and all(r.ok or r.cut for r in outbound))
    print()
    print("=" * 100)
    print(bare_result.line())
    print(companion_result.line())
    print(f"ratio {ratio:.1%} {mark(ratio_ok)} (target >= {TARGET_RATIO:.0%})   "
          f"p99 {p99:.1f} ms {mark(p99_ok)} (target < {TARGET_P99_MS:.0f} ms)   "
          f"webhooks stored {stored}/{expected_stored}")
    for result in outbound:
        print(result.line())
    print("=" * 100)
    if not checks_ok:
        print("CHECK FAILED: the end of each server log follows")
        return 2
    targets_ok = ratio_ok and p99_ok and all(r.rate >= TARGET_OUTBOUND for r in outbound)
    return 0 if targets_ok else 1


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="SMS throughput against PostgreSQL and a fake Twilio.")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL,
                        help="PostgreSQL database to rebuild (its name must contain 'bench')")
    parser.add_argument("--requests", type=int, default=5000, help="inbound webhooks per server, after warm-up")
    parser.add_argument("--concurrency", type=int, default=32, help="concurrent inbound workers")
    parser.add_argument("--warmup", type=int, default=200, help="webhooks sent first to each server, not counted")
    parser.add_argument("--patients", type=int, default=300, help="enrolled patients the webhooks come from")
    parser.add_argument("--outbound", type=int, default=5000, help="outbox rows sent through the dispatcher")
    parser.add_argument("--dispatch-concurrency", type=int, default=32, help="the dispatcher's concurrency")
    parser.add_argument("--fake", choices=("process", "thread", "both"), default="process",
                        help="where the fake Twilio runs during the outbound measurement")
    parser.add_argument("--time-limit", type=float, default=40.0,
                        help="seconds allowed for each measured phase before it is cut short")
    parser.add_argument("--seed", type=int, default=1, help="seed for the message mix")
    parser.add_argument("--role", choices=("companion", "bare", "fake"), help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--account-sid", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if min(args.requests, args.concurrency, args.outbound, args.patients, args.dispatch_concurrency) < 1:
        parser.error("counts must be positive")
    if args.warmup < 0 or args.time_limit <= 0:
        parser.error("--warmup must be >= 0 and --time-limit > 0")
    return args


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop]:
    """uvloop when installed, as uvicorn uses, so the dispatcher runs on the loop it runs on in production."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop
    return uvloop.new_event_loop


def _stop_on_sigterm(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def run_role(args: argparse.Namespace) -> int:
    # The benchmark stops its servers with SIGINT, even when it was itself started with SIGINT ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    if args.role == "fake":
        serve_fake(args.account_sid)
    elif args.role == "companion":
        serve_companion(args.port)
    else:
        serve_bare(args.port)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.role is not None:
        return run_role(args)
    check_bench_database(args.database_url)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    with tempfile.TemporaryDirectory(prefix="sms-bench-") as log_dir:
        children = Children(Path(log_dir))
        try:
            with asyncio.Runner(loop_factory=_loop_factory()) as runner:
                code: int = runner.run(_with_children(benchmark(args, children), children))
                if code == 2:
                    print_log_tails(Path(log_dir))
                return code
        except KeyboardInterrupt:
            print("interrupted", file=sys.stderr)
            return 130
        finally:
            children.stop_all()


def print_log_tails(log_dir: Path, lines: int = 30) -> None:
    """The end of each server's log, without the app's per-request INFO lines."""
    for child_log in sorted(log_dir.glob("*.log")):
        content = child_log.read_text(encoding="utf-8", errors="replace").splitlines()
        tail = [line for line in content if not line.startswith("INFO")][-lines:]
        if tail:
            print(f"--- {child_log.name}\n" + "\n".join(tail))


async def _with_children(work: Coroutine[Any, Any, int], children: Children) -> int:
    try:
        return await work
    finally:
        children.stop_all()


if __name__ == "__main__":
    sys.exit(main())
