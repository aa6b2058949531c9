"""Inbound handling: ordinary messages stored at a fixed rate, handled by 1, 2 and 4 worker processes.

Usage:
    python benchmarks/inbound_handling.py
        [--database-url postgresql+asyncpg://postgres@127.0.0.1:5432/companion_inbound_bench]
        [--rate 200] [--duration 60] [--warmup 5] [--burst 6000] [--workers 1 2 4] [--patients 2000] [--settle 30]
        [--bare-requests 4000] [--dispatch apart|in-workers] [--log-dir DIR]

For each worker count, from a clean database: one clinic, ``--patients`` enrolled patients (opted in),
each with an open SMS mood question; the fake Twilio in its own process; that many ``companion worker
--only inbound`` processes (the real entry point: the inbound loops, no scheduler, no API) and one
``companion worker --only dispatch`` sending the replies, its CPU reported apart (``--dispatch
in-workers``: each worker runs its own dispatcher too, as plain ``companion worker`` does). This
process stores inbound messages at ``--rate`` per second for ``--duration`` seconds through the intake
the webhook uses (``InboundIntake``: batched commits, NOTIFY waking the workers): answers to the open
question, free text from patients, keywords (HELP), and texts from unknown numbers, each of which gets
a reply, after ``--warmup`` seconds of the same that are not counted (each worker loads what it reads
texts with). Then it waits up to ``--settle`` seconds for the backlog to drain.

Printed per worker count: messages handled per second in the window, the backlog at the end of the
window (what still waits one p99 budget, 1 s, after the last message was stored: a worker that keeps
up leaves nothing; the count at the very instant of the last store, which holds the messages in
flight, is printed beside it) and after settling, the capacity (a ``--burst`` of messages stored at
once, timed until the last is handled), stored -> reply queued p50/p99 (the inbound row's ``received_at`` to its
reply's ``created_at``), CPU ms per handled message in all and per worker process, and the PostgreSQL
backends' CPU. Then the bare webhook rate measured in the same run (the bare Litestar endpoint of
sms_throughput.py: no signature, no database), for the machine's measure.

Targets (docs: the throughput issue): one worker handles at least 600 messages/s end to end; with 200/s
for 60 s the backlog at the end is 0 and stored -> reply p99 is under 1 s; CPU per message per process
stays within 20% from 1 to 4 workers. Exit status 0 when met, 1 when one is missed, 2 when a check failed
(a message not handled after settling, or handled without a reply).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

SCRIPT = Path(__file__).resolve()
ROOT = SCRIPT.parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncEngine  # noqa: E402
from sqlmodel import col  # noqa: E402

from benchmarks.escalation_latency import CpuMeter, percentile, wait_for_log  # noqa: E402
from benchmarks.sms_throughput import (  # noqa: E402
    AUTH_TOKEN,
    CLINIC_NUMBER,
    HOST,
    Child,
    Children,
    FakeHandle,
    _exit_when_parent_goes,
    _loop_factory,
    _stop_on_sigterm,
    _with_children,
    build_webhooks,
    check_bench_database,
    create_database,
    exclusive_run,
    free_port,
    patient_number,
    print_log_tails,
    reset_database,
    run_load,
    seed,
    serve_bare,
    serve_fake,
    unknown_number,
    wait_ready,
)
from companion.clock import Clock  # noqa: E402
from companion.messaging.gateways import INBOUND_PATH  # noqa: E402
from companion.secret_keys import new_key  # noqa: E402
from tests.fakes.fake_twilio import new_sid  # noqa: E402

DEFAULT_DATABASE_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/companion_inbound_bench"
TARGET_ONE_WORKER = 600.0
TARGET_P99 = 1.0
CPU_SPREAD = 0.20

ANSWERS = ("7", "8/10", "6 out of 10", "seven", "5")
FREE_TEXT = ("Tired but ok", "Thanks for checking in!", "Can I move my next session to Thursday?",
             "Had a calm day, went for a walk with my sister.", "slept ok")
KEYWORDS = ("HELP", "help", "Info")


class Processes(Children):
    """The benchmark's subprocesses, each one a role of this script (see ``run_role``)."""

    def spawn(self, role: str, args: Sequence[str], env: dict[str, str] | None = None,
              stdout: int | None = None) -> Child:
        log_path = self.log_dir / f"{role}.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [sys.executable, str(SCRIPT), "--role", role, *args],
                stdin=subprocess.PIPE, stdout=stdout if stdout is not None else log, stderr=log,
                env={**os.environ, **(env or {})}, cwd=str(ROOT),
            )
        child = Child(role, process, log_path)
        self.children.append(child)
        return child


@dataclass
class Run:
    workers: int
    stored: int = 0
    window: float = 0.0
    handled_in_window: int = 0
    backlog_at_end: int = 0  # still waiting TARGET_P99 after the last message was stored
    backlog_in_flight: int = 0  # waiting at the instant the last one was stored
    backlog_after_settle: int = 0
    unanswered: int = 0
    latencies: list[float] = field(default_factory=list)
    cpu: dict[str, float] = field(default_factory=dict)  # worker name -> CPU seconds in the window
    database_cpu: float | None = None
    dispatch_cpu: float | None = None  # the dispatcher process sending the replies, when apart
    host: str = ""
    capacity: float | None = None  # messages/s a burst was handled at

    @property
    def rate(self) -> float:
        return self.handled_in_window / self.window if self.window else 0.0

    def cpu_ms(self) -> float | None:
        total = sum(self.cpu.values())
        return 1000 * total / self.handled_in_window if self.handled_in_window and self.cpu else None


def message_plan(count: int, patients: int, rng: random.Random) -> list[tuple[str, str]]:
    """(from, body): a patient's first message answers the open question; then free text, keywords
    and, one in ten, an unknown number."""
    answered: set[int] = set()
    plan = []
    for _ in range(count):
        draw = rng.random()
        if draw < 0.10:
            plan.append((unknown_number(rng.randrange(1000)), rng.choice(FREE_TEXT)))
            continue
        index = rng.randrange(patients)
        if index not in answered:
            answered.add(index)
            plan.append((patient_number(index), rng.choice(ANSWERS)))
        elif draw < 0.20:
            plan.append((patient_number(index), rng.choice(KEYWORDS)))
        else:
            plan.append((patient_number(index), rng.choice(FREE_TEXT)))
    return plan


async def seed_open_questions(engine: AsyncEngine, clinic_id: int) -> None:
    """Every patient has the daily mood question open by SMS, asked an hour ago."""
    from companion.models import Patient, Prompt

    now = datetime.now(UTC)
    async with engine.begin() as conn:
        ids = (await conn.execute(select(col(Patient.id)).where(col(Patient.clinic_id) == clinic_id))).scalars().all()
        await conn.execute(insert(Prompt), [
            {"clinic_id": clinic_id, "patient_id": pid, "instrument": "mood", "instrument_version": "1",
             "slot": "mood:bench", "status": "open", "due_at": now - timedelta(hours=1),
             "expires_at": now + timedelta(days=1), "released_at": now - timedelta(hours=1), "channel": "sms",
             "current_question": "mood", "invalid_replies": 0, "created_at": now}
            for pid in ids
        ])


async def store_at_rate(engine: AsyncEngine, account_sid: str, plan: Sequence[tuple[str, str]], rate: float) -> float:
    """Store ``plan`` at ``rate`` per second through the webhook's intake; returns the seconds taken."""
    from companion.conversations.router import reads_as_risk
    from companion.messaging.intake import InboundIntake

    intake = InboundIntake(engine, Clock(), triage=reads_as_risk, notify=True, linger=0.05)
    started = time.monotonic()
    pending: set[asyncio.Task[object]] = set()
    try:
        for n, (sender, body) in enumerate(plan):
            due = started + n / rate
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            sid = new_sid("SM")
            params = {"MessageSid": sid, "SmsSid": sid, "AccountSid": account_sid, "From": sender,
                      "To": CLINIC_NUMBER, "Body": body, "NumMedia": "0"}
            task = asyncio.create_task(intake.store(params))
            pending.add(task)
            task.add_done_callback(pending.discard)
        await asyncio.gather(*pending)
    finally:
        await intake.close()
    return time.monotonic() - started


async def backlog(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int(await conn.scalar(text("SELECT count(*) FROM inbound_message WHERE status = 'received'")) or 0)


async def measure(args: argparse.Namespace, children: Processes, workers: int, account_sid: str) -> Run:
    from companion.db import create_engine
    from companion.settings import Settings

    run = Run(workers)
    await reset_database(args.database_url)
    engine = create_engine(Settings(database_url=args.database_url))
    fake = FakeHandle("process", account_sid, children)
    started: list[Child] = []
    dispatcher: Child | None = None
    try:
        clinic_id = await seed(engine, args.patients)
        await seed_open_questions(engine, clinic_id)
        await fake.start()
        env = {
            "COMPANION_DATABASE_URL": args.database_url,
            "COMPANION_SECRET_KEY": new_key(),
            "COMPANION_PUBLIC_BASE_URL": f"http://{HOST}:{free_port()}",
            "COMPANION_TWILIO_ACCOUNT_SID": account_sid,
            "COMPANION_TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "COMPANION_TWILIO_FROM_NUMBER": CLINIC_NUMBER,
            "COMPANION_TWILIO_API_BASE_URL": fake.base_url,
        }
        apart = args.dispatch == "apart"
        started = [children.spawn(f"worker-{workers}-{n}", ["--only", "inbound"] if apart else [], env=env)
                   for n in range(workers)]
        # The replies are sent by a dispatcher process of their own, its CPU counted apart.
        dispatcher = children.spawn(f"dispatch-{workers}", ["--only", "dispatch"], env=env) if apart else None
        for child in [*started, *([dispatcher] if dispatcher else [])]:
            await wait_for_log(child, "worker started")
        rng = random.Random(args.seed)
        # Warm-up, not counted: each worker loads what it reads texts with, its connections fill.
        await store_at_rate(engine, account_sid, message_plan(int(args.rate * args.warmup), args.patients, rng),
                            args.rate)
        deadline = time.monotonic() + args.settle
        while await backlog(engine) and time.monotonic() < deadline:  # noqa: ASYNC110 (polling the database)
            await asyncio.sleep(0.25)
        plan = message_plan(int(args.rate * args.duration), args.patients, rng)
        pids = {c.role: c.process.pid for c in [*started, *([dispatcher] if dispatcher else [])]}
        meter = CpuMeter(pids, make_url(args.database_url).database or "")
        meter.start()
        window_start = datetime.now(UTC)
        run.window = await store_at_rate(engine, account_sid, plan, args.rate)
        window_end = datetime.now(UTC)
        meter.stop()
        run.cpu = {c.role: meter.used[c.role] for c in started if c.role in meter.used}
        run.database_cpu = meter.used.get("postgres")
        run.dispatch_cpu = meter.used.get(dispatcher.role) if dispatcher else None
        run.host = meter.host_line()
        run.stored = len(plan)
        run.backlog_in_flight = await backlog(engine)
        await asyncio.sleep(max(0.0, TARGET_P99 - (datetime.now(UTC) - window_end).total_seconds()))
        run.backlog_at_end = await backlog(engine)
        deadline = time.monotonic() + args.settle
        while await backlog(engine) and time.monotonic() < deadline:  # noqa: ASYNC110 (polling the database)
            await asyncio.sleep(0.25)
        run.backlog_after_settle = await backlog(engine)
        async with engine.connect() as conn:
            run.handled_in_window = int(await conn.scalar(text(
                "SELECT count(*) FROM inbound_message WHERE status = 'handled' AND received_at >= :start "
                "AND processed_at <= :end"), {"start": window_start, "end": window_end}) or 0)
            rows = (await conn.execute(text(
                "SELECT i.id, EXTRACT(EPOCH FROM (min(o.created_at) - i.received_at)) FROM inbound_message i "
                "LEFT JOIN outbound_message o ON o.dedupe_key LIKE 'reply:' || i.id || ':%' "
                "WHERE i.received_at >= :start GROUP BY i.id, i.received_at"), {"start": window_start})).all()
        run.latencies = [float(seconds) for _, seconds in rows if seconds is not None]
        run.unanswered = sum(1 for _, seconds in rows if seconds is None)
        # Capacity: a burst stored as fast as the intake takes it, timed until the last is handled.
        burst = message_plan(args.burst, args.patients, rng)
        began = time.monotonic()
        await store_at_rate(engine, account_sid, burst, 1e6)
        deadline = time.monotonic() + args.settle + args.burst / 50
        while await backlog(engine) and time.monotonic() < deadline:  # noqa: ASYNC110 (polling the database)
            await asyncio.sleep(0.05)
        if not await backlog(engine):
            run.capacity = len(burst) / (time.monotonic() - began)
    finally:
        for child in [*started, *([dispatcher] if dispatcher else [])]:
            children.stop(child)
        fake.stop()
        await engine.dispose()
    return run


async def bare_rate(args: argparse.Namespace, children: Processes, account_sid: str) -> float:
    port = free_port()
    bare = children.spawn("bare", ["--port", str(port)])
    try:
        await wait_ready(bare, f"http://{HOST}:{port}/health")
        url = f"http://{HOST}:{port}{INBOUND_PATH}"
        hooks = build_webhooks(url, account_sid, args.bare_requests, args.patients, random.Random(args.seed))
        await run_load("warm-up", url, hooks[: len(hooks) // 10], 64, 30.0)
        result = await run_load("bare", url, hooks, 64, 60.0)
        return result.rate
    finally:
        children.stop(bare)


def report(args: argparse.Namespace, runs: Sequence[Run], bare: float) -> int:
    code = 0
    base_cpu = runs[0].cpu_ms() if runs else None
    for run in runs:
        p50 = percentile(run.latencies, 0.50) if run.latencies else float("nan")
        p99 = percentile(run.latencies, 0.99) if run.latencies else float("nan")
        cpu = run.cpu_ms()
        per = ", ".join(f"{name.rsplit('-', 1)[1]}: {1000 * s / max(1, run.handled_in_window):.2f}"
                        for name, s in sorted(run.cpu.items()))
        print(f"workers {run.workers}: stored {run.stored} in {run.window:.1f} s; handled in the window "
              f"{run.handled_in_window} ({run.rate:.0f}/s); backlog at the end {run.backlog_at_end} "
              f"({run.backlog_in_flight} in flight as the last was stored), after settling "
              f"{run.backlog_after_settle}; stored -> reply queued p50 {1000 * p50:.0f} ms, p99 {1000 * p99:.0f} ms; "
              f"worker CPU {cpu if cpu is None else round(cpu, 2)} ms/message (per process: {per})"
              + (f"; the replies' dispatcher {1000 * run.dispatch_cpu / max(1, run.handled_in_window):.2f} ms/message"
                 if run.dispatch_cpu is not None else "")
              + (f"; PostgreSQL backends {run.database_cpu:.1f} s CPU" if run.database_cpu is not None else "")
              + f"; {run.host}")
        print(f"workers {run.workers}: capacity: a burst of {args.burst} handled at "
              + (f"{run.capacity:.0f} messages/s" if run.capacity else "(not drained within the settle time)"))
        if run.backlog_after_settle or run.unanswered:
            print(f"CHECK FAILED: {run.backlog_after_settle} messages not handled after settling, "
                  f"{run.unanswered} handled without a reply")
            code = 2
        if run.backlog_at_end or not p99 < TARGET_P99:
            code = max(code, 1)
        if base_cpu and cpu and abs(cpu - base_cpu) > CPU_SPREAD * base_cpu:
            code = max(code, 1)
    one = next((r for r in runs if r.workers == 1), None)
    print(f"bare webhook rate in the same run: {bare:.0f} requests/s")
    if one is not None:
        ok = one.capacity is not None and one.capacity >= TARGET_ONE_WORKER
        print(f"target one worker >= {TARGET_ONE_WORKER:.0f} messages/s: {'ok' if ok else 'MISS'} "
              f"({one.capacity or 0:.0f}/s)")
        code = max(code, 0 if ok else 1)
    for run in runs:
        p99 = percentile(run.latencies, 0.99) if run.latencies else float("nan")
        ok = not run.backlog_at_end and p99 < TARGET_P99
        print(f"target {run.workers} worker(s) at {args.rate:.0f}/s: backlog 0 and p99 < {TARGET_P99:.0f} s: "
              f"{'ok' if ok else 'MISS'}")
    cpus = [r.cpu_ms() for r in runs if r.cpu_ms()]
    if len(cpus) > 1:
        spread = (max(cpus) - min(cpus)) / min(cpus)  # type: ignore[type-var, operator]
        print(f"target CPU per message within {CPU_SPREAD:.0%} from {runs[0].workers} to {runs[-1].workers} "
              f"workers: {'ok' if spread <= CPU_SPREAD else 'MISS'} ({spread:.0%})")
    return code


async def benchmark(args: argparse.Namespace, children: Processes) -> int:
    account_sid = new_sid("AC")
    await create_database(args.database_url)
    async with exclusive_run(args.database_url):
        runs = []
        for workers in args.workers:
            print(f"--- {workers} worker process(es), {args.rate:.0f}/s for {args.duration:.0f} s", flush=True)
            runs.append(await measure(args, children, workers, account_sid))
        bare = await bare_rate(args, children, account_sid)
    return report(args, runs, bare)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--patients", type=int, default=2000)
    parser.add_argument("--settle", type=float, default=30.0)
    parser.add_argument("--warmup", type=float, default=5.0)
    parser.add_argument("--burst", type=int, default=6000)
    parser.add_argument("--bare-requests", type=int, default=4000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--log-dir", type=Path)
    parser.add_argument("--role", help=argparse.SUPPRESS)  # fake, bare, or worker-<count>-<n>
    parser.add_argument("--account-sid", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--only", help=argparse.SUPPRESS)
    parser.add_argument("--dispatch", choices=("apart", "in-workers"), default="apart")
    args = parser.parse_args(argv)
    if args.rate <= 0 or args.duration <= 0 or min(args.workers) < 1 or args.patients < 1:
        parser.error("rate, duration, workers and patients must be positive")
    return args


def run_role(args: argparse.Namespace) -> int:
    signal.signal(signal.SIGINT, signal.default_int_handler)
    if args.role == "fake":
        serve_fake(args.account_sid)
    elif args.role == "bare":
        serve_bare(args.port)
    elif args.role.startswith(("worker", "dispatch")):
        serve_worker(args.only)
    return 0


def serve_worker(only: str | None) -> None:
    """A worker process, through the same entry point as ``companion worker``."""
    from companion.cli import main as companion_main

    _exit_when_parent_goes()
    companion_main(["worker", *(["--only", only] if only else [])])


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.role is not None:
        return run_role(args)
    check_bench_database(args.database_url)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    with tempfile.TemporaryDirectory(prefix="inbound-bench-") as temporary:
        log_dir = args.log_dir or Path(temporary)
        log_dir.mkdir(parents=True, exist_ok=True)
        children = Processes(log_dir)
        try:
            with asyncio.Runner(loop_factory=_loop_factory()) as runner:
                code: int = runner.run(_with_children(benchmark(args, children), children))
                if code == 2:
                    print_log_tails(log_dir)
                return code
        except RuntimeError as exc:
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
