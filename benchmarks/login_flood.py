"""Login flood: inbound webhook latency with and without a flood of wrong staff passwords.

Usage:
    python benchmarks/login_flood.py [--database-url postgresql+asyncpg://postgres@127.0.0.1:5432/companion_login_bench]
        [--duration 15] [--warmup 2] [--webhook-workers 4] [--flood 64] [--patients 100] [--set NAME=VALUE ...]

The companion runs under uvicorn in its own process, as ``companion serve --no-jobs`` runs it (settings from
COMPANION_* variables; the public base URL is the address called, so every webhook signature is checked),
with the fake Twilio in another process. Each argon2 check of a password costs about a tenth of a second of
a core; they run in the app's password pool (COMPANION_PASSWORD_WORKERS threads, at most
COMPANION_PASSWORD_MAX_PENDING checks waiting or running, the rest refused with 429 after a short pause).

1. Quiet: ``--webhook-workers`` workers post pre-signed inbound webhooks back to back for ``--duration``
   seconds (after a warm-up that is not counted): webhook p50/p99/max.
2. Flood: the same, while ``--flood`` workers post wrong passwords for unknown staff emails back to back,
   each from the moment the last answer came: webhook p50/p99/max, and the sign-ins answered per second by
   status (401: checked; 429: refused by the cap or a backoff).

The backoff per client address would refuse most of a flood from one address before any password is
checked; the server runs with it relaxed (COMPANION_LOGIN_BACKOFF_FREE_PER_ADDRESS) so that every sign-in
the cap lets through reaches argon2 and what is measured is the pool. ``--set NAME=VALUE`` passes
COMPANION_NAME to the server (say ``--set PASSWORD_MAX_PENDING=100000`` to lift the cap).

Target: webhook p99 under the flood < 1 s (Twilio gives up after 15 s). Checked: every webhook answered 200,
every sign-in 401 or 429. The database is rebuilt from clean, so its name must contain "bench".
Exit status: 0 when the target is met, 1 when it is missed, 2 when a check failed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import random
import signal
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from benchmarks.sms_throughput import (  # noqa: E402
    AUTH_TOKEN,
    CLINIC_NUMBER,
    HOST,
    REQUEST_TIMEOUT,
    Children,
    FakeHandle,
    Webhook,
    build_webhooks,
    check_bench_database,
    create_database,
    exclusive_run,
    free_port,
    print_log_tails,
    reset_database,
    seed,
    wait_ready,
)
from companion.messaging.gateways import INBOUND_PATH  # noqa: E402
from companion.secret_keys import new_key  # noqa: E402
from tests.fakes.fake_twilio import new_sid  # noqa: E402

DEFAULT_DATABASE_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/companion_login_bench"
TARGET_P99_MS = 1000.0
LOGIN_PATH = "/api/v1/auth/staff/login"


@dataclass
class Phase:
    name: str
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    logins: Counter[str] = field(default_factory=Counter)
    elapsed: float = 0.0

    def percentile_ms(self, q: float) -> float:
        if not self.latencies:
            return math.nan
        ordered = sorted(self.latencies)
        return ordered[max(0, math.ceil(q * len(ordered)) - 1)] * 1000.0

    @property
    def errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status != "200")

    def line(self) -> str:
        text = (f"{self.name:<6} webhooks {len(self.latencies):5d}  p50 {self.percentile_ms(0.5):7.1f} ms  "
                f"p99 {self.percentile_ms(0.99):7.1f} ms  max {self.percentile_ms(1.0):7.1f} ms  "
                f"errors {self.errors}")
        if self.logins and self.elapsed > 0:
            rates = ", ".join(f"{status}: {n / self.elapsed:.0f}/s" for status, n in sorted(self.logins.items()))
            text += f"  sign-ins {rates}"
        return text


async def run_phase(name: str, base_url: str, hooks: Sequence[Webhook], args: argparse.Namespace,
                    flood: int, duration: float) -> Phase:
    """Webhooks back to back from ``args.webhook_workers`` workers for ``duration`` seconds, with
    ``flood`` workers posting wrong passwords meanwhile."""
    phase = Phase(name)
    hook_index = iter(range(len(hooks)))
    timeout = aiohttp.ClientTimeout(total=max(REQUEST_TIMEOUT, 30.0))
    connector = aiohttp.TCPConnector(limit=args.webhook_workers + flood + 4)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
        stop_at = time.perf_counter() + duration

        async def webhook_worker() -> None:
            for index in hook_index:
                if time.perf_counter() >= stop_at:
                    return
                hook = hooks[index]
                began = time.perf_counter()
                try:
                    async with http.post(base_url + INBOUND_PATH, data=hook.body, headers=hook.headers) as response:
                        await response.read()
                        status = str(response.status)
                except (aiohttp.ClientError, TimeoutError) as exc:
                    status = type(exc).__name__
                phase.latencies.append(time.perf_counter() - began)
                phase.statuses[status] += 1

        async def login_worker(worker: int) -> None:
            attempt = 0
            while time.perf_counter() < stop_at:
                attempt += 1
                body = {"email": f"nobody-{worker}-{attempt}@example.org", "password": "not the password"}
                try:
                    async with http.post(base_url + LOGIN_PATH, json=body) as response:
                        await response.read()
                        status = str(response.status)
                except (aiohttp.ClientError, TimeoutError) as exc:
                    status = type(exc).__name__
                phase.logins[status] += 1

        started = time.perf_counter()
        await asyncio.gather(*(webhook_worker() for _ in range(args.webhook_workers)),
                             *(login_worker(w) for w in range(flood)))
        phase.elapsed = time.perf_counter() - started
    return phase


def server_env(database_url: str, base_url: str, account_sid: str, fake_url: str,
               changes: Sequence[str] = ()) -> dict[str, str]:
    """The server's COMPANION_* settings: a fresh secret key (PostgreSQL refuses to start without
    one, docs/sessions-and-keys.md), the fake Twilio, and the backoff per address relaxed; each
    ``NAME=VALUE`` of ``changes`` sets COMPANION_NAME."""
    env = {
        "COMPANION_DATABASE_URL": database_url,
        "COMPANION_SECRET_KEY": new_key(),
        "COMPANION_PUBLIC_BASE_URL": base_url,
        "COMPANION_TWILIO_ACCOUNT_SID": account_sid,
        "COMPANION_TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "COMPANION_TWILIO_FROM_NUMBER": CLINIC_NUMBER,
        "COMPANION_TWILIO_API_BASE_URL": fake_url,
        "COMPANION_LOGIN_BACKOFF_FREE_PER_ADDRESS": "100000000",
    }
    for item in changes:
        name, _, value = item.partition("=")
        env[f"COMPANION_{name.upper()}"] = value
    return env


async def benchmark(args: argparse.Namespace, children: Children) -> int:
    rng = random.Random(args.seed)
    account_sid = new_sid("AC")
    stack = contextlib.AsyncExitStack()
    fake = FakeHandle("process", account_sid, children)
    try:
        print(f"database {make_url(args.database_url).render_as_string(hide_password=True)}: rebuilding", flush=True)
        await create_database(args.database_url)
        await stack.enter_async_context(exclusive_run(args.database_url))
        await reset_database(args.database_url)
        from companion.db import create_engine
        from companion.settings import Settings

        engine = create_engine(Settings(database_url=args.database_url))
        try:
            await seed(engine, args.patients)
        finally:
            await engine.dispose()
        await fake.start()
        port = free_port()
        base_url = f"http://{HOST}:{port}"
        env = server_env(args.database_url, base_url, account_sid, fake.base_url, args.set)
        companion = children.spawn("companion", ["--port", str(port)], env=env)
        await wait_ready(companion, f"{base_url}/health")
        print(f"server up: pid {companion.process.pid}, cpus {os.cpu_count()}, {args.webhook_workers} webhook "
              f"workers, flood {args.flood}; load average {os.getloadavg()[0]:.1f}", flush=True)

        hooks = build_webhooks(base_url + INBOUND_PATH, account_sid, 200_000, args.patients, rng)
        await run_phase("warmup", base_url, hooks[:50_000], args, 0, args.warmup)
        quiet = await run_phase("quiet", base_url, hooks[50_000:120_000], args, 0, args.duration)
        print(quiet.line(), flush=True)
        flood = await run_phase("flood", base_url, hooks[120_000:], args, args.flood, args.duration)
        print(flood.line(), flush=True)
    finally:
        fake.stop()
        await stack.aclose()

    p99 = flood.percentile_ms(0.99)
    ok = p99 < TARGET_P99_MS
    checks_ok = (quiet.errors == 0 and flood.errors == 0 and set(flood.logins) <= {"401", "429"}
                 and flood.logins["401"] > 0)
    print()
    print("=" * 100)
    print(quiet.line())
    print(flood.line())
    print(f"flood p99 {p99:.1f} ms {'ok  ' if ok else 'MISS'} (target < {TARGET_P99_MS:.0f} ms); "
          f"load average {os.getloadavg()[0]:.1f}")
    print("=" * 100)
    if not checks_ok:
        print("CHECK FAILED: errors on the webhooks, or sign-ins answered other than 401/429")
        return 2
    return 0 if ok else 1


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Webhook latency under a flood of wrong staff passwords.")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL,
                        help="PostgreSQL database to rebuild (its name must contain 'bench')")
    parser.add_argument("--duration", type=float, default=15.0, help="seconds of each measured phase")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of webhooks first, not counted")
    parser.add_argument("--webhook-workers", type=int, default=4, help="concurrent webhook workers")
    parser.add_argument("--flood", type=int, default=64, help="concurrent workers posting wrong passwords")
    parser.add_argument("--patients", type=int, default=100, help="enrolled patients the webhooks come from")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="pass COMPANION_NAME=VALUE to the server")
    parser.add_argument("--seed", type=int, default=1, help="seed for the message mix")
    args = parser.parse_args(argv)
    if min(args.webhook_workers, args.flood, args.patients) < 1 or args.duration <= 0 or args.warmup < 0:
        parser.error("counts and --duration must be positive")
    if any("=" not in item for item in args.set):
        parser.error("--set takes NAME=VALUE")
    return args


def _stop_on_sigterm(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    check_bench_database(args.database_url)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    with tempfile.TemporaryDirectory(prefix="login-flood-") as log_dir:
        children = Children(Path(log_dir))
        try:
            code = asyncio.run(benchmark(args, children))
            if code == 2:
                print_log_tails(Path(log_dir))
            return code
        except KeyboardInterrupt:
            print("interrupted", file=sys.stderr)
            return 130
        finally:
            children.stop_all()


if __name__ == "__main__":
    sys.exit(main())
