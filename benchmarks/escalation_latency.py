"""Escalation latency: from a patient's crisis SMS to the safety reply and the first staff page, under load.

Usage:
    python benchmarks/escalation_latency.py
        [--database-url postgresql+asyncpg://postgres@127.0.0.1:5432/companion_escalation_bench]
        [--rate 200] [--duration 60] [--warmup 5] [--settle 15] [--probe-interval 0.5 1.0] [--patients 300]
        [--unknown-share 0.1] [--set NAME=VALUE ...] [--log-dir DIR]

Deployed as in production, each in its own process: the API under uvicorn (settings from COMPANION_*
variables; the public base URL is the address called, so every webhook signature is checked; the API
stores each inbound webhook and, by default, handles one that reads as risk right after commit), the
scheduler process through the entry point of ``companion jobs`` (the dispatcher woken by LISTEN/NOTIFY, the
inbound worker, the ticks), and the fake Twilio. ``--set NAME=VALUE`` passes COMPANION_NAME to both servers (say
``--set HANDLE_URGENT_INBOUND_IN_API=false``).

1. Background: an open-loop generator posts pre-signed inbound webhooks at ``--rate`` per second (ordinary
   messages from enrolled patients, ``--unknown-share`` from unknown numbers), from the start of the warm-up
   until the last crisis probe is answered. Each of those messages gets a reply, so the dispatcher is busy
   too. The rate achieved is the number of webhooks answered 200 per second during the probe window.
2. Crisis probes: every 0.5 to 1 s, a crisis message ("i am going to kill myself tonight" and variants)
   from a patient who sends nothing else, so each opens a new alert (two warm-up probes are not counted).
   t0 is taken just before the POST; the fake Twilio records when it accepts (a) the safety reply to that
   patient and (b) the first page to the on-call clinician ("Urgent alert for patient <ref>. Reply ACK
   <code>"). Latency = max(a, b) - t0. Both sides read the host's CLOCK_MONOTONIC (``time.monotonic``),
   which is system-wide on Linux; the run checks that the fake's reading falls between two of ours.

Printed: the background rate achieved, the probes, p50/p90/p99/max of the safety reply, the first page and
both, the targets with ok/MISS, the inbound backlog at the end of the window, where each probe's time went
(webhook -> stored -> handled -> claimed by the dispatcher -> at the fake, from the rows' wall-clock
timestamps), CPU per process (PostgreSQL: this database's backends) and the load average.
Checked: every probe got exactly one safety reply and one first page within ``--settle`` seconds and opened
exactly one urgent crisis alert (read from the alert table); no background message opened one; no webhook
was answered with an error status.

Targets: the later of the two messages p99 < 1 s and median < 200 ms, with the background sustained (at
least 95% of ``--rate`` answered, no webhook left unanswered after 15 s, Twilio's limit). With fewer than
100 probes the p99 is the slowest probe. The database is rebuilt from clean, so its name must contain
"bench". Exit status: 0 when the targets are met, 1 when one is missed, 2 when a check failed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

SCRIPT = Path(__file__).resolve()
ROOT = SCRIPT.parents[1]
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
from sqlalchemy import text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncEngine  # noqa: E402
from twilio.request_validator import RequestValidator  # noqa: E402

from benchmarks.sms_throughput import (  # noqa: E402
    AUTH_TOKEN,
    CLINIC_NUMBER,
    HOST,
    READY_TIMEOUT,
    Child,
    Children,
    FakeHandle,
    Webhook,
    _exit_when_parent_goes,
    _loop_factory,
    _stop_on_sigterm,
    _with_children,
    check_bench_database,
    cpu_seconds,
    create_database,
    exclusive_run,
    free_port,
    mark,
    patient_number,
    print_log_tails,
    reset_database,
    seed,
    serve_companion,
    unknown_number,
    wait_ready,
)
from companion.messaging.gateways import INBOUND_PATH  # noqa: E402
from companion.secret_keys import new_key  # noqa: E402
from tests.fakes.fake_twilio import FakeTwilio, new_sid  # noqa: E402

DEFAULT_DATABASE_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/companion_escalation_bench"

TARGET_P99 = 1.0
TARGET_P50 = 0.200
MIN_PROBES = 50
SUSTAINED_SHARE = 0.95

REQUEST_TIMEOUT = 15.0  # as long as Twilio waits for a webhook's answer
BACKGROUND_CONNECTIONS = 256

# The default protocol's rota: the on-call clinician is paged first, the admin is the backup.
ON_CALL = ("clinician@demo.clinic", "clinician", "+12025550190")
BACKUP = ("admin@demo.clinic", "admin", "+12025550191")

BACKGROUND_BODIES = (
    "slept ok",
    "feeling better today",
    "7",
    "8/10",
    "6 out of 10",
    "seven",
    "Tired but ok",
    "Thanks for checking in!",
    "Had a calm day, went for a walk with my sister.",
    "mood 5, a bit anxious before work",
)
CRISIS_BODIES = (
    "i am going to kill myself tonight",
    "I am going to kill myself tonight.",
    "im going to kill myself tonight",
    "I'm going to kill myself tonight",
    "i am going to kill myself tonight, i have the pills",
)
PAGE_REF = re.compile(r"^Urgent alert for patient (\S+)\. Reply ACK \S+$")


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def ms(seconds: float) -> str:
    return "   n/a" if math.isnan(seconds) else f"{seconds * 1000:6.0f}"


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "n/a"


# ---------------------------------------------------------------------------------- the processes


class Processes(Children):
    """The benchmark's subprocesses, each one a role of this script (see ``run_role``)."""

    def spawn(self, role: str, args: Sequence[str], env: dict[str, str] | None = None,
              stdout: int | None = None) -> Child:
        log_path = self.log_dir / f"{role}.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [sys.executable, str(SCRIPT), "--role", role, *args],
                stdin=subprocess.PIPE,
                stdout=stdout if stdout is not None else log,
                stderr=log,
                env={**os.environ, **(env or {})},
                cwd=str(ROOT),
            )
        child = Child(role, process, log_path)
        self.children.append(child)
        return child


async def wait_for_log(child: Child, needle: str) -> None:
    """Wait until ``needle`` appears in the child's log (the scheduler has no HTTP endpoint)."""
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if child.process.poll() is not None:
            raise RuntimeError(f"the {child.role} process exited early:\n{child.log_tail()}")
        if needle in child.log_path.read_text(encoding="utf-8", errors="replace"):
            return
        await asyncio.sleep(0.1)
    raise RuntimeError(f"the {child.role} process was not ready after {READY_TIMEOUT:.0f} s:\n{child.log_tail()}")


def serve_scheduler() -> None:
    """The scheduler process, through the same entry point as ``python -m jobs``."""
    from companion.cli import main as companion_main

    _exit_when_parent_goes()
    companion_main(["jobs"])


@dataclass(frozen=True)
class Received:
    to: str
    body: str
    at: float  # the fake's time.monotonic() when it accepted the message


def serve_clocked_fake(account_sid: str) -> None:
    """The fake Twilio as a process: one JSON line on start, then one answer per command read from stdin.

    ``clock``: its time.monotonic(); ``count``: messages accepted; ``find <json list>``: the messages sent
    to those numbers, with the time each was received."""
    fake = FakeTwilio(account_sid, AUTH_TOKEN).start()
    try:
        print(json.dumps({"base_url": fake.base_url}), flush=True)
        for line in sys.stdin:
            command, _, argument = line.strip().partition(" ")
            answer: dict[str, Any]
            if command == "clock":
                answer = {"monotonic": time.monotonic()}
            elif command == "count":
                answer = {"count": len(fake.messages)}
            elif command == "find":
                numbers = set(json.loads(argument))
                answer = {"messages": [[m.to, m.body, m.received_at] for m in fake.messages if m.to in numbers]}
            else:
                answer = {"error": f"unknown command {command!r}"}
            print(json.dumps(answer), flush=True)
    except KeyboardInterrupt:
        pass
    finally:
        fake.stop()


class ClockedFake(FakeHandle):
    """The fake Twilio in its own process, asked for its clock and for the messages it received."""

    def __init__(self, account_sid: str, children: Children) -> None:
        super().__init__("process", account_sid, children)
        self._lock = asyncio.Lock()

    async def ask(self, command: str) -> dict[str, Any]:
        async with self._lock:
            return await self._command(command)

    async def clock_check(self, rounds: int = 5) -> float:
        """The widest window, in seconds, within which the fake's clock reading fell between two of ours;
        raises when a reading falls outside (the clocks are then not comparable)."""
        widest = 0.0
        for _ in range(rounds):
            before = time.monotonic()
            theirs = float((await self.ask("clock"))["monotonic"])
            after = time.monotonic()
            if not before <= theirs <= after:
                raise RuntimeError(f"the fake's clock is not this host's monotonic clock: {theirs:.6f} is outside "
                                   f"[{before:.6f}, {after:.6f}]")
            widest = max(widest, after - before)
        return widest

    @property
    def pid(self) -> int:
        assert self._child is not None
        return self._child.process.pid

    async def count(self) -> int:
        return int((await self.ask("count"))["count"])

    async def find(self, numbers: Sequence[str]) -> list[Received]:
        answer = await self.ask("find " + json.dumps(list(numbers)))
        return [Received(str(to), str(body), float(at)) for to, body, at in answer["messages"]]


# ------------------------------------------------------------------------------------- the database


async def seed_clinic(engine: AsyncEngine, patients: int) -> None:
    """The clinic (America/New_York), its on-call clinician and backup admin with phones, and the patients."""
    from companion.db import create_sessionmaker
    from companion.models import StaffMember

    clinic_id = await seed(engine, patients)
    async with create_sessionmaker(engine)() as session:
        session.add_all(
            StaffMember(clinic_id=clinic_id, name=email.split("@")[0].title(), email=email, phone=phone, role=role,
                        password_hash="!")  # nobody signs in during the benchmark
            for email, role, phone in (ON_CALL, BACKUP)
        )
        await session.commit()


async def grouped_counts(engine: AsyncEngine, table: str) -> dict[str, int]:
    async with engine.connect() as conn:
        rows = await conn.execute(text(f"SELECT status, count(*) FROM {table} GROUP BY status"))
        return {str(status): int(n) for status, n in rows}


async def alerts_by_phone(engine: AsyncEngine) -> dict[str, list[tuple[str, str]]]:
    """Every alert's (severity, kind), by the patient's phone."""
    async with engine.connect() as conn:
        rows = await conn.execute(text(
            "SELECT p.phone, a.severity, a.kind FROM alert a JOIN patient p ON p.id = a.patient_id ORDER BY a.id"
        ))
        found: dict[str, list[tuple[str, str]]] = {}
        for phone, severity, kind in rows:
            found.setdefault(str(phone), []).append((str(severity), str(kind)))
        return found


# -------------------------------------------------------------------------------------- the webhooks


def sign(validator: RequestValidator, url: str, account_sid: str, sender: str, body: str) -> Webhook:
    """An inbound SMS webhook as Twilio posts it, with its own MessageSid and a valid signature."""
    sid = new_sid("SM")
    params = {
        "ToCountry": "US", "SmsMessageSid": sid, "NumMedia": "0", "SmsSid": sid, "SmsStatus": "received",
        "Body": body, "FromCountry": "US", "To": CLINIC_NUMBER, "NumSegments": "1", "MessageSid": sid,
        "AccountSid": account_sid, "From": sender, "ApiVersion": "2010-04-01",
    }
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Twilio-Signature": validator.compute_signature(url, params),
        "User-Agent": "TwilioProxy/1.1",
    }
    return Webhook(urlencode(params).encode(), headers)


def background_webhooks(url: str, account_sid: str, count: int, patients: int, unknown_share: float,
                        rng: random.Random) -> list[Webhook]:
    validator = RequestValidator(AUTH_TOKEN)
    hooks: list[Webhook] = []
    for _ in range(count):
        if rng.random() < unknown_share:
            sender = unknown_number(rng.randrange(1000))
        else:
            sender = patient_number(rng.randrange(patients))
        hooks.append(sign(validator, url, account_sid, sender, rng.choice(BACKGROUND_BODIES)))
    return hooks


def check_wording() -> str | None:
    """A problem with the message mix (a background body read as risk, a probe not read as intent), or None."""
    from companion.clinical.language import assess

    for body in BACKGROUND_BODIES:
        if assess(body).severity is not None:
            return f"background message {body!r} reads as risk language"
    for body in CRISIS_BODIES:
        found = assess(body)
        if found.severity != "urgent" or found.level.value != "intent":
            return f"crisis probe {body!r} is not read as urgent intent ({found})"
    return None


# ---------------------------------------------------------------------------------- background load


@dataclass
class Background:
    planned_rate: float
    started: float = 0.0
    stopped: float = 0.0
    sent: int = 0
    max_lag: float = 0.0  # how late the generator sent a webhook, at worst
    window: tuple[float, float] | None = None  # the probe window
    answers: list[tuple[float, float, str]] = field(default_factory=list)  # (sent, latency, status)

    def _in_window(self, at: float) -> bool:
        return self.window is not None and self.window[0] <= at < self.window[1]

    @property
    def window_seconds(self) -> float:
        return self.window[1] - self.window[0] if self.window is not None else 0.0

    @property
    def sent_in_window(self) -> int:
        return sum(1 for sent, _, _ in self.answers if self._in_window(sent))

    @property
    def achieved_rate(self) -> float:
        """Webhooks answered 200 per second during the probe window."""
        answered = sum(1 for sent, latency, status in self.answers
                       if status == "200" and self._in_window(sent + latency))
        return answered / self.window_seconds if self.window_seconds > 0 else 0.0

    @property
    def statuses(self) -> Counter[str]:
        return Counter(status for _, _, status in self.answers)

    @property
    def http_errors(self) -> int:
        """Answers other than 200: the companion refused or failed a webhook (a check)."""
        return sum(n for status, n in self.statuses.items() if status.isdigit() and status != "200")

    @property
    def unanswered(self) -> int:
        """Timed out, disconnected or never answered: the load was not sustained."""
        return self.sent - sum(n for status, n in self.statuses.items() if status.isdigit())

    def line(self) -> str:
        latencies = [latency for _, latency, status in self.answers if status == "200"]
        statuses = self.statuses
        detail = "" if set(statuses) <= {"200"} else "  " + ", ".join(f"{s}: {n}" for s, n in sorted(statuses.items()))
        sent_rate = self.sent_in_window / self.window_seconds if self.window_seconds > 0 else 0.0
        return (f"background  {self.achieved_rate:6.1f} msg/s answered during the probes (sent {sent_rate:.1f}/s, "
                f"planned {self.planned_rate:.0f}/s; {self.sent} sent over {self.stopped - self.started:.1f} s)  "
                f"unanswered {self.unanswered}  errors {self.http_errors}  "
                f"webhook p50 {ms(percentile(latencies, 0.5)).strip()} ms "
                f"p99 {ms(percentile(latencies, 0.99)).strip()} ms  "
                f"generator lag max {self.max_lag * 1000:.0f} ms{detail}")


async def post(http: aiohttp.ClientSession, url: str, hook: Webhook) -> str:
    try:
        async with http.post(url, data=hook.body, headers=hook.headers) as response:
            await response.read()
            return str(response.status)
    except (aiohttp.ClientError, TimeoutError) as exc:
        return type(exc).__name__


async def run_background(url: str, hooks: Sequence[Webhook], result: Background, stop: asyncio.Event) -> None:
    """Open loop: webhook i is due at start + i / rate, whether or not earlier ones were answered."""
    connector = aiohttp.TCPConnector(limit=BACKGROUND_CONNECTIONS, limit_per_host=BACKGROUND_CONNECTIONS)
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT)
    pending: set[asyncio.Task[None]] = set()
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:

        async def one(hook: Webhook) -> None:
            began = time.monotonic()
            status = await post(http, url, hook)
            result.answers.append((began, time.monotonic() - began, status))

        result.started = time.monotonic()
        for index, hook in enumerate(hooks):
            due = result.started + index / result.planned_rate
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            if stop.is_set():
                break
            result.max_lag = max(result.max_lag, time.monotonic() - due)
            task = asyncio.create_task(one(hook))
            pending.add(task)
            task.add_done_callback(pending.discard)
            result.sent += 1
        result.stopped = time.monotonic()
        if pending:
            await asyncio.wait(pending, timeout=REQUEST_TIMEOUT)


# ------------------------------------------------------------------------------------ crisis probes


@dataclass
class Probe:
    ref: str
    phone: str
    body: str
    t0: float = 0.0
    wall0: float = 0.0  # time.time() at t0, to compare with the database's timestamps
    status: str = ""
    answered: float = math.nan  # the webhook's answer, seconds after t0
    replies: list[float] = field(default_factory=list)  # safety replies received (fake's clock)
    pages: list[float] = field(default_factory=list)  # pages to the on-call clinician for this patient

    @property
    def reply_latency(self) -> float:
        return min(self.replies) - self.t0 if self.replies else math.nan

    @property
    def page_latency(self) -> float:
        return min(self.pages) - self.t0 if self.pages else math.nan

    @property
    def latency(self) -> float:
        return max(self.reply_latency, self.page_latency)

    @property
    def complete(self) -> bool:
        return bool(self.replies and self.pages)


async def send_probe(http: aiohttp.ClientSession, url: str, hook: Webhook, probe: Probe) -> None:
    probe.wall0, probe.t0 = time.time(), time.monotonic()
    probe.status = await post(http, url, hook)
    probe.answered = time.monotonic() - probe.t0


async def run_probes(url: str, account_sid: str, probes: Sequence[Probe], seconds: float,
                     interval: tuple[float, float], rng: random.Random) -> list[Probe]:
    """Send probes one at a time, ``interval`` seconds apart (uniform), for ``seconds``; returns those sent."""
    validator = RequestValidator(AUTH_TOKEN)
    sent: list[Probe] = []
    tasks: list[asyncio.Task[None]] = []
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT)) as http:
        end = time.monotonic() + seconds
        for probe in probes:
            if time.monotonic() >= end:
                break
            hook = sign(validator, url, account_sid, probe.phone, probe.body)
            tasks.append(asyncio.create_task(send_probe(http, url, hook, probe)))
            sent.append(probe)
            await asyncio.sleep(rng.uniform(*interval))
        await asyncio.gather(*tasks)
    return sent


async def collect(fake: ClockedFake, probes: Sequence[Probe], safety_reply: str) -> None:
    """Fill in each probe's safety replies and pages from what the fake received."""
    by_phone = {p.phone: p for p in probes}
    by_ref = {p.ref: p for p in probes}
    for probe in probes:
        probe.replies.clear()
        probe.pages.clear()
    for message in await fake.find([*by_phone, ON_CALL[2]]):
        if message.to == ON_CALL[2]:
            match = PAGE_REF.match(message.body)
            if match and match.group(1) in by_ref:
                by_ref[match.group(1)].pages.append(message.at)
        elif message.body == safety_reply and message.to in by_phone:
            by_phone[message.to].replies.append(message.at)


async def wait_complete(fake: ClockedFake, probes: Sequence[Probe], safety_reply: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while True:
        await collect(fake, probes, safety_reply)
        if all(p.complete for p in probes) or time.monotonic() >= deadline:
            return
        await asyncio.sleep(0.5)


# ------------------------------------------------------------------------------- where the time goes


STAGES = ("webhook: t0 -> stored", "stored -> handled", "handled -> claimed", "claimed -> at the fake")


async def stages(engine: AsyncEngine, probes: Sequence[Probe], wall_offset: float) -> dict[str, list[float]]:
    """Each probe's path, for the later of its two messages, from the rows' timestamps (wall clock): the
    webhook stored it, the inbound worker handled it (alert opened, messages queued), the dispatcher claimed
    the message, the fake received it (its monotonic time + ``wall_offset``)."""
    phones = [p.phone for p in probes if p.complete]
    async with engine.connect() as conn:
        inbound = {
            str(phone): (float(stored), float(handled))
            for phone, stored, handled in await conn.execute(text(
                "SELECT from_phone, extract(epoch FROM received_at), extract(epoch FROM processed_at) "
                "FROM inbound_message WHERE from_phone = ANY(:phones) AND processed_at IS NOT NULL"
            ), {"phones": phones})
        }
        replies: dict[str, float] = {}
        for phone, claimed in await conn.execute(text(
            "SELECT to_phone, extract(epoch FROM claimed_at) FROM outbound_message "
            "WHERE purpose = 'safety_reply' AND to_phone = ANY(:phones) AND claimed_at IS NOT NULL ORDER BY id DESC"
        ), {"phones": phones}):
            replies[str(phone)] = float(claimed)
        pages: dict[str, float] = {}
        for phone, claimed in await conn.execute(text(
            "SELECT pt.phone, extract(epoch FROM o.claimed_at) FROM alert_page ap "
            "JOIN alert a ON a.id = ap.alert_id JOIN patient pt ON pt.id = a.patient_id "
            "JOIN outbound_message o ON o.id = ap.message_id "
            "WHERE pt.phone = ANY(:phones) AND o.claimed_at IS NOT NULL ORDER BY o.id DESC"
        ), {"phones": phones}):
            pages[str(phone)] = float(claimed)
    found: dict[str, list[float]] = {stage: [] for stage in STAGES}
    for probe in probes:
        if not probe.complete or probe.phone not in inbound or probe.phone not in replies or probe.phone not in pages:
            continue
        stored, handled = inbound[probe.phone]
        if probe.reply_latency >= probe.page_latency:
            claimed, arrived = replies[probe.phone], min(probe.replies)
        else:
            claimed, arrived = pages[probe.phone], min(probe.pages)
        for stage, seconds in zip(STAGES, (stored - probe.wall0, handled - stored, claimed - handled,
                                           arrived + wall_offset - claimed), strict=True):
            found[stage].append(seconds)
    return found


# ---------------------------------------------------------------------------------------- the run


def latency_line(name: str, values: Sequence[float], target: bool = False) -> str:
    line = (f"{name:<22} p50 {ms(percentile(values, 0.5))} ms  p90 {ms(percentile(values, 0.9))} ms  "
            f"p99 {ms(percentile(values, 0.99))} ms  max {ms(max(values, default=math.nan))} ms")
    if target:
        p50, p99 = percentile(values, 0.5), percentile(values, 0.99)
        line += (f"   median {mark(p50 < TARGET_P50)} (< {TARGET_P50 * 1000:.0f} ms)"
                 f"  p99 {mark(p99 < TARGET_P99)} (< {TARGET_P99 * 1000:.0f} ms)")
    return line


def backend_cpu(database: str) -> dict[int, float]:
    """CPU seconds used so far by each PostgreSQL backend serving ``database`` on this host (Linux /proc)."""
    found: dict[int, float] = {}
    marker = f" {database} ".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            title = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if title.startswith(b"postgres: ") and marker in title:
            used = cpu_seconds(int(entry.name))
            if used is not None:
                found[int(entry.name)] = used
    return found


def host_jiffies() -> list[int]:
    """The host's CPU time counters (user, nice, system, idle, iowait, irq, softirq, steal, ...) from /proc/stat."""
    try:
        return [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    except (OSError, ValueError, IndexError):
        return []


class CpuMeter:
    """CPU seconds used by each process, and by the database's backends, between ``start`` and ``stop``."""

    def __init__(self, pids: dict[str, int], database: str) -> None:
        self.pids = pids
        self.database = database
        self.before: dict[str, float | None] = {}
        self.host_before: list[int] = []
        self.host_after: list[int] = []
        self.backends: dict[int, float] = {}
        self.used: dict[str, float] = {}
        self.elapsed = 0.0
        self._began = 0.0

    def start(self) -> None:
        self.before = {name: cpu_seconds(pid) for name, pid in self.pids.items()}
        self.backends = backend_cpu(self.database)
        self.host_before = host_jiffies()
        self._began = time.monotonic()

    def stop(self) -> None:
        self.elapsed = time.monotonic() - self._began
        self.host_after = host_jiffies()
        for name, pid in self.pids.items():
            before, after = self.before.get(name), cpu_seconds(pid)
            if before is not None and after is not None:
                self.used[name] = after - before
        # A backend that started meanwhile counts whole; one that ended meanwhile is missed.
        self.used["postgres"] = sum(used - self.backends.get(pid, 0.0)
                                    for pid, used in backend_cpu(self.database).items())

    def host_line(self) -> str:
        """How busy the host was: this benchmark's processes, everything else, and time stolen by the hypervisor."""
        if len(self.host_before) < 8 or len(self.host_after) != len(self.host_before):
            return "host cpu n/a"
        delta = [after - before for before, after in zip(self.host_before, self.host_after, strict=True)]
        total = sum(delta[:8])
        if total <= 0:
            return "host cpu n/a"
        busy = total - delta[3] - delta[4] - delta[7]
        ticks = os.sysconf("SC_CLK_TCK")
        ours = sum(self.used.values()) * ticks
        cores = os.cpu_count() or 1
        return (f"host cpu during the probes ({cores} cores): {busy / total:.0%} busy, of which this benchmark's "
                f"processes {min(ours, busy) / total:.0%} and other work {max(0.0, busy - ours) / total:.0%}; "
                f"steal {delta[7] / total:.0%}")

    def line(self, messages: int) -> str:
        if self.elapsed <= 0 or messages <= 0:
            return "cpu n/a"
        return "cpu during the probes (share of one core, ms per background message): " + ", ".join(
            f"{name} {used / self.elapsed:.0%} {1000 * used / messages:.1f}" for name, used in self.used.items()
        )


async def benchmark(args: argparse.Namespace, children: Processes) -> int:
    from companion.db import create_engine
    from companion.protocols import load_protocol
    from companion.settings import Settings

    problem = check_wording()
    if problem is not None:
        print(f"CHECK FAILED: {problem}")
        return 2
    safety_reply = load_protocol(Settings().protocol_file).wording.safety_reply
    rng = random.Random(args.seed)
    account_sid = new_sid("AC")
    load_before = load_average()
    warmups = 2
    probe_pool = math.ceil(args.duration / args.probe_interval[0]) + 1
    probes = [
        Probe(ref=f"B-{index:05d}", phone=patient_number(index), body=CRISIS_BODIES[i % len(CRISIS_BODIES)])
        for i, index in enumerate(range(args.patients, args.patients + warmups + probe_pool))
    ]
    warmup_probes, probes = probes[:warmups], probes[warmups:]

    engine: AsyncEngine | None = None
    fake: ClockedFake | None = None
    await create_database(args.database_url)
    async with exclusive_run(args.database_url):
        try:
            print(f"database {make_url(args.database_url).render_as_string(hide_password=True)}: rebuilding",
                  flush=True)
            await reset_database(args.database_url)
            engine = create_engine(Settings(database_url=args.database_url))
            await seed_clinic(engine, args.patients + warmups + probe_pool)

            fake = ClockedFake(account_sid, children)
            await fake.start()
            clock_window = await fake.clock_check()
            wall_offset = time.time() - time.monotonic()

            port = free_port()
            public_base_url = f"http://{HOST}:{port}"
            env = {
                "COMPANION_DATABASE_URL": args.database_url,
                "COMPANION_SECRET_KEY": new_key(),
                "COMPANION_PUBLIC_BASE_URL": public_base_url,
                "COMPANION_TWILIO_ACCOUNT_SID": account_sid,
                "COMPANION_TWILIO_AUTH_TOKEN": AUTH_TOKEN,
                "COMPANION_TWILIO_FROM_NUMBER": CLINIC_NUMBER,
                "COMPANION_TWILIO_API_BASE_URL": fake.base_url,
                **{f"COMPANION_{name.upper()}": value for name, _, value in (item.partition("=") for item in args.set)},
            }
            api = children.spawn("companion", ["--port", str(port)], env=env)
            scheduler = children.spawn("scheduler", [], env=env)
            await wait_ready(api, f"{public_base_url}/health")
            await wait_for_log(scheduler, "scheduler started")

            url = public_base_url + INBOUND_PATH
            planned = math.ceil(args.rate * (args.warmup + args.duration + args.settle + 5))
            hooks = background_webhooks(url, account_sid, planned, args.patients, args.unknown_share, rng)
            print(f"api pid {api.process.pid}, scheduler pid {scheduler.process.pid}; background {args.rate:.0f}/s "
                  f"({len(hooks)} webhooks signed), warm-up {args.warmup:.0f} s, probes for {args.duration:.0f} s "
                  f"every {args.probe_interval[0]}-{args.probe_interval[1]} s; clock check window "
                  f"{clock_window * 1e6:.0f} us; load average {load_before}"
                  + (f"; settings {' '.join(args.set)}" if args.set else ""), flush=True)

            background = Background(args.rate)
            stop = asyncio.Event()
            load = asyncio.create_task(run_background(url, hooks, background, stop))
            try:
                await asyncio.sleep(args.warmup / 2)
                await run_probes(url, account_sid, warmup_probes, args.warmup / 2, (0.5, 0.5), rng)
                await asyncio.sleep(max(0.0, args.warmup / 2 - 1.0))
                meter = CpuMeter({"api": api.process.pid, "scheduler": scheduler.process.pid,
                                  "fake": fake.pid, "load generator": os.getpid()},
                                 make_url(args.database_url).database or "")
                meter.start()
                window_start = time.monotonic()
                low, high = args.probe_interval
                sent = await run_probes(url, account_sid, probes, args.duration, (low, high), rng)
                background.window = (window_start, time.monotonic())
                meter.stop()
                load_after = load_average()
                inbound_at_end = await grouped_counts(engine, "inbound_message")
                outbound_at_end = await grouped_counts(engine, "outbound_message")
                fake_count = await fake.count()
                # The load goes on until the last probes are answered, so they too are measured under it.
                await wait_complete(fake, sent, safety_reply, args.settle)
            finally:
                stop.set()
                await load
            await wait_complete(fake, warmup_probes, safety_reply, 2.0)
            await collect(fake, sent, safety_reply)
            alerts = await alerts_by_phone(engine)
            path = await stages(engine, sent, wall_offset)
        finally:
            # The servers first, so that nothing is still sending when the fake Twilio goes.
            for child in [c for c in children.children if c.role != "fake"]:
                children.stop(child)
            if fake is not None:
                fake.stop()
            if engine is not None:
                await engine.dispose()

    complete = [p for p in sent if p.complete]
    replies = [p.reply_latency for p in complete]
    pages = [p.page_latency for p in complete]
    both = [p.latency for p in complete]
    answered = [p.answered for p in sent if not math.isnan(p.answered)]

    problems: list[str] = []
    if len(sent) < MIN_PROBES:
        problems.append(f"only {len(sent)} probes sent (at least {MIN_PROBES} needed)")
    if bad := [f"{p.ref} ({p.status})" for p in sent if p.status.isdigit() and p.status != "200"]:
        problems.append(f"{len(bad)} probe webhooks answered with an error: {', '.join(bad[:5])}")
    if missing := [p.ref for p in sent if not p.complete]:
        problems.append(f"{len(missing)} probes without their safety reply or page after {args.settle:.0f} s: "
                        + ", ".join(f"{p.ref} (replies {len(p.replies)}, pages {len(p.pages)})"
                                    for p in sent if not p.complete)[:400])
    if twice := [p.ref for p in sent if len(p.replies) > 1 or len(p.pages) > 1]:
        problems.append(f"{len(twice)} probes got a safety reply or first page more than once: {', '.join(twice[:5])}")
    probe_phones = {p.phone for p in [*warmup_probes, *sent]}
    wrong_alerts = [p.ref for p in [*warmup_probes, *sent] if alerts.get(p.phone) != [("urgent", "crisis")]]
    if wrong_alerts:
        problems.append(f"{len(wrong_alerts)} probes did not open exactly one urgent crisis alert: "
                        + ", ".join(f"{ref} {alerts.get(patient_number(int(ref[2:])), [])}"
                                    for ref in wrong_alerts[:5]))
    if stray := sum(len(found) for phone, found in alerts.items() if phone not in probe_phones):
        problems.append(f"{stray} alerts opened by background messages")
    if background.http_errors:
        problems.append(f"{background.http_errors} background webhooks answered with an error")

    one_alert = len(sent) + len(warmup_probes) - len(wrong_alerts)
    sustained = background.unanswered == 0 and background.achieved_rate >= SUSTAINED_SHARE * args.rate
    p50, p99 = percentile(both, 0.5), percentile(both, 0.99)
    timed_out = sum(1 for p in sent if not p.status.isdigit())
    print()
    print("=" * 110)
    print(background.line())
    print(f"background sustained {mark(sustained)} (at least {SUSTAINED_SHARE:.0%} of {args.rate:.0f}/s answered "
          f"during the probes, none unanswered)")
    print(f"probes      {len(sent)} sent ({len(complete)} complete), {len(warmup_probes)} warm-up probes not counted;"
          f" probe webhook answered p50 {ms(percentile(answered, 0.5)).strip()} ms"
          f" max {ms(max(answered, default=math.nan)).strip()} ms"
          + (f"; {timed_out} probe webhooks not answered within {REQUEST_TIMEOUT:.0f} s" if timed_out else ""))
    print(latency_line("safety reply", replies))
    print(latency_line("first page", pages))
    print(latency_line("both (max of the two)", both, target=True))
    print(f"alerts      {one_alert}/{len(sent) + len(warmup_probes)} probes opened exactly one urgent crisis alert; "
          f"{sum(len(found) for found in alerts.values())} alerts in all")
    stored = sum(inbound_at_end.values())
    print(f"backlog     at the end of the probe window: {inbound_at_end.get('received', 0)} of {stored} stored inbound "
          f"messages not handled yet; outbox {dict(sorted(outbound_at_end.items()))}; fake received {fake_count}")
    print("where the time goes (the later message of each probe; wall-clock timestamps of the rows):")
    for stage, values in path.items():
        print("  " + latency_line(stage, values))
    print(meter.line(background.sent_in_window))
    print(meter.host_line())
    print(f"load average: {load_before} before, {load_after} at the end of the probe window ({os.cpu_count()} cores)")
    print("=" * 110)
    if problems:
        for problem in problems:
            print(f"CHECK FAILED: {problem}")
        return 2
    return 0 if sustained and p50 < TARGET_P50 and p99 < TARGET_P99 else 1


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Crisis escalation latency under inbound load, against "
                                                 "PostgreSQL and a fake Twilio.")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL,
                        help="PostgreSQL database to rebuild (its name must contain 'bench')")
    parser.add_argument("--rate", type=float, default=200.0, help="background inbound webhooks per second")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds during which probes are sent")
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds of background load before the probes")
    parser.add_argument("--settle", type=float, default=15.0,
                        help="seconds allowed after the last probe for its messages to arrive")
    parser.add_argument("--probe-interval", type=float, nargs=2, default=[0.5, 1.0], metavar=("MIN", "MAX"),
                        help="seconds between probes (uniform)")
    parser.add_argument("--patients", type=int, default=300, help="enrolled patients sending background messages")
    parser.add_argument("--unknown-share", type=float, default=0.10, help="share of background from unknown numbers")
    parser.add_argument("--seed", type=int, default=1, help="seed for the message mix")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="a COMPANION_NAME setting for both servers, e.g. --set HANDLE_URGENT_INBOUND_IN_API=false")
    parser.add_argument("--log-dir", type=Path, help="keep the servers' logs there (default: a temporary folder)")
    parser.add_argument("--role", choices=("companion", "scheduler", "fake"), help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--account-sid", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    low, high = args.probe_interval
    if args.rate <= 0 or args.duration <= 0 or args.warmup < 2 or args.settle <= 0 or args.patients < 1:
        parser.error("--rate, --duration, --settle and --patients must be positive, --warmup at least 2")
    if not 0 < low <= high or not 0 <= args.unknown_share < 1:
        parser.error("--probe-interval needs 0 < MIN <= MAX; --unknown-share must be in [0, 1)")
    if any("=" not in item for item in args.set):
        parser.error("--set takes NAME=VALUE")
    if args.duration + args.warmup + args.settle > 150:
        parser.error("--warmup + --duration + --settle must stay within 150 s")
    return args


def run_role(args: argparse.Namespace) -> int:
    signal.signal(signal.SIGINT, signal.default_int_handler)
    if args.role == "fake":
        serve_clocked_fake(args.account_sid)
    elif args.role == "companion":
        serve_companion(args.port)
    else:
        serve_scheduler()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.role is not None:
        return run_role(args)
    check_bench_database(args.database_url)
    # Ctrl-C and SIGTERM both stop the run and every process it started (even if SIGINT came in ignored).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    with tempfile.TemporaryDirectory(prefix="escalation-bench-") as temporary:
        log_dir = args.log_dir or Path(temporary)
        log_dir.mkdir(parents=True, exist_ok=True)
        children = Processes(log_dir)
        try:
            with asyncio.Runner(loop_factory=_loop_factory()) as runner:
                code: int = runner.run(_with_children(benchmark(args, children), children))
                if code == 2:
                    print_log_tails(log_dir)
                return code
        except RuntimeError as exc:  # a server that did not start, a fake whose clock cannot be compared
            print(f"CHECK FAILED: {exc}")
            print_log_tails(log_dir)
            return 2
        except KeyboardInterrupt:
            print("interrupted", file=sys.stderr)
            return 130
        finally:
            children.stop_all()


if __name__ == "__main__":
    sys.exit(main())
