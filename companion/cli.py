"""The `companion` command."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import sys
from collections.abc import Awaitable, Callable
from contextlib import closing
from datetime import datetime, timedelta
from typing import TypedDict, TypeVar

import httpx
import uvicorn
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from companion import demo, demo_history, migrate
from companion.app import create_app
from companion.auth.passwords import PasswordPool
from companion.cli_protocol import add_protocol_commands
from companion.clinics.schemas import ClinicCreate
from companion.clinics.services import create_clinic
from companion.clock import Clock, FrozenClock
from companion.db import create_engine, create_sessionmaker, session_scope
from companion.messaging.simulate import simulate
from companion.models import Clinic, StaffRole
from companion.observability.logs import configure_logging
from companion.protocols import load_protocol
from companion.secret_keys import with_secret_keys
from companion.settings import Settings, get_settings
from companion.staff.schemas import StaffCreate
from companion.staff.services import create_staff
from companion.validation import normalise_phone
from companion.vapid_keys import with_vapid_key
from jobs.process import run_jobs
from jobs.replay import DeliveredGateway, ReplaySummary, replay
from jobs.scheduler import make_context

T = TypeVar("T")


def _run_in_session(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    async def runner() -> T:
        engine = create_engine(settings)
        try:
            async with session_scope(create_sessionmaker(engine)) as session:
                return await work(session)
        finally:
            await engine.dispose()

    return asyncio.run(runner())


async def _play_history(settings: Settings, clock: FrozenClock, until: datetime) -> ReplaySummary:
    """The demo clinic's two weeks (demo_history.py), run through the scheduler's jobs."""
    ctx = make_context(with_secret_keys(settings), clock=clock, gateway=DeliveredGateway())
    try:
        history = demo_history.History(clock.now(), ctx.protocols, clock)
        return await replay(ctx, clock, until, history.moments(until), history.answer_sms)
    finally:
        await ctx.engine.dispose()


def cmd_migrate(settings: Settings, _args: argparse.Namespace) -> int:
    migrate.upgrade(settings.database_url)
    print("database migrated to head")
    return 0


def cmd_demo(settings: Settings, args: argparse.Namespace) -> int:
    plan = load_protocol(settings.protocol_file).aftercare  # the clinic's aftercare plan (docs/clinical.md)
    seed_text = demo.seed_text(settings.protocol_file)  # stored as the demo clinic's version 1
    migrate.upgrade(settings.database_url)
    now = Clock().now()
    clock = FrozenClock(now - timedelta(days=demo_history.DAYS) if args.history else now)

    async def work(session: AsyncSession) -> list[demo.DemoCredentials] | None:
        if await demo.has_data(session):
            return None
        with closing(PasswordPool(workers=1, max_pending=1)) as passwords:
            return await demo.create_demo(session, clock, plan, passwords, protocol_text=seed_text,
                                          with_sessions=not args.history)

    created = _run_in_session(settings, work)
    if created is None:
        print("the database already has data; demo data not added")
        return 0
    if args.history:
        print("Playing the demo clinic's last two weeks (check-ins, alerts, replies); this takes about half a minute.")
        summary = asyncio.run(_play_history(settings, clock, now))
        print(f"Two weeks of history played: {summary.ticks} scheduler ticks, "
              f"{summary.texts_in} patient texts, {summary.happenings} moments.")
    print("Demo clinic created. Sign in at /staff/ with (shown once, keep them):")
    for cred in created:
        print(f"  {cred.role:<10} {cred.email:<24} {cred.password}")
    print("Patients: P-1001, P-1002, P-1003 (phones +12025550101..03)")
    return 0


class ForwardedHeaderOptions(TypedDict):
    proxy_headers: bool
    forwarded_allow_ips: list[str] | str


def forwarded_header_options(settings: Settings) -> ForwardedHeaderOptions:
    """uvicorn believes X-Forwarded-For/-Proto from exactly the proxies the app trusts (by default
    uvicorn would trust 127.0.0.1; the companion trusts none unless COMPANION_TRUSTED_PROXIES says)."""
    proxies = [str(network) for network in settings.trusted_proxies]
    return {"proxy_headers": bool(proxies), "forwarded_allow_ips": proxies or ""}


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    settings = with_vapid_key(with_secret_keys(settings))  # refuse before touching the database
    if settings.is_sqlite or args.migrate:
        migrate.upgrade(settings.database_url)
    app = create_app(settings, run_workers=not args.no_jobs)
    # log_config=None: uvicorn's loggers keep the handler main() configured (text or JSON lines).
    uvicorn.run(app, host=args.host, port=args.port, log_level="info", log_config=None,
                **forwarded_header_options(settings))
    return 0


def cmd_jobs(settings: Settings, args: argparse.Namespace) -> int:
    return run_jobs(settings, migrate_first=args.migrate)


def _roles(value: str) -> list[str]:
    roles = [part.strip() for part in value.split(",") if part.strip()]
    if not roles or any(role not in {"inbound", "dispatch"} for role in roles):
        raise argparse.ArgumentTypeError("give inbound, dispatch, or inbound,dispatch")
    return roles


def cmd_worker(settings: Settings, args: argparse.Namespace) -> int:
    return run_jobs(settings, migrate_first=args.migrate, ticks=False, roles=frozenset(args.only))


def cmd_staff_create(settings: Settings, args: argparse.Namespace) -> int:
    password = args.password or getpass.getpass("Password (10+ characters): ")
    data = StaffCreate(name=args.name, email=args.email, phone=args.phone, role=args.role, password=password)

    async def work(session: AsyncSession) -> tuple[int, int]:
        clock = Clock()
        clinic = (await session.execute(select(Clinic).where(Clinic.name == args.clinic))).scalars().first()
        if clinic is None:
            clinic = await create_clinic(session, clock, ClinicCreate(name=args.clinic, timezone=args.timezone))
        assert clinic.id is not None
        with closing(PasswordPool(workers=1, max_pending=1)) as passwords:
            member = await create_staff(session, clock, passwords, clinic.id, data, actor="system:cli")
        assert member.id is not None
        return clinic.id, member.id

    clinic_id, staff_id = _run_in_session(settings, work)
    print(f"created {args.role} {args.email} (staff {staff_id}) in clinic {clinic_id}")
    return 0


def cmd_sms_simulate(settings: Settings, args: argparse.Namespace) -> int:
    settings = with_secret_keys(settings)  # the key the running companion checks with
    try:
        result = simulate(settings, normalise_phone(args.from_phone), args.text, to_phone=args.to, target=args.url)
    except httpx.HTTPError as exc:
        print(f"error: could not reach the companion ({exc}); is `companion serve` running?", file=sys.stderr)
        return 1
    if result.status_code != 200:
        print(f"the companion answered HTTP {result.status_code}", file=sys.stderr)
        return 1
    if not result.handled:
        print("stored; not handled yet (is the companion's inbound worker running?)")
    elif not result.replies:
        print("(no reply)")
    for reply in result.replies:
        print(f"reply: {reply}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="companion", description="Aftercare companion")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the API (migrates a SQLite database first)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--migrate", action="store_true", help="upgrade the database before serving")
    serve.add_argument("--no-jobs", action="store_true",
                       help="serve the API alone (it still handles the urgent messages it stores); "
                            "`companion jobs` runs the jobs, the dispatcher and the inbound worker")
    serve.set_defaults(func=cmd_serve)

    jobs = sub.add_parser(
        "jobs", help="run the scheduler process (inbound, prompts, reminders, dispatch, digest, watchdog)"
    )
    jobs.add_argument("--migrate", action="store_true", help="upgrade the database first")
    jobs.set_defaults(func=cmd_jobs)
    worker = sub.add_parser(
        "worker", help="run one more dispatcher and inbound worker beside the scheduler process (PostgreSQL; "
                       "any number of them, claiming with SKIP LOCKED)"
    )
    worker.add_argument("--migrate", action="store_true", help="upgrade the database first")
    worker.add_argument("--only", type=_roles, default=["inbound", "dispatch"], metavar="inbound,dispatch",
                        help="run only the inbound worker or only the dispatcher (default: both)")
    worker.set_defaults(func=cmd_worker)

    sub.add_parser("migrate", help="upgrade the database to head").set_defaults(func=cmd_migrate)
    demo_cmd = sub.add_parser("demo", help="create demo data on an empty database")
    demo_cmd.add_argument("--no-history", dest="history", action="store_false",
                          help="only the clinic, its staff and patients: no two weeks of past check-ins and alerts")
    demo_cmd.set_defaults(func=cmd_demo)

    staff = sub.add_parser("staff", help="manage staff accounts")
    staff_sub = staff.add_subparsers(dest="staff_command", required=True)
    create = staff_sub.add_parser("create", help="create a staff member (the first admin, say)")
    create.add_argument("--email", required=True)
    create.add_argument("--name", required=True)
    create.add_argument("--role", choices=tuple(StaffRole), default=StaffRole.ADMIN.value)
    create.add_argument("--phone")
    create.add_argument("--password", help="omit to be asked")
    create.add_argument("--clinic", required=True, help="clinic name; created if it does not exist")
    create.add_argument("--timezone", default="America/New_York", help="time zone of a new clinic")
    create.set_defaults(func=cmd_staff_create)

    add_protocol_commands(sub)

    sms = sub.add_parser("sms", help="try the SMS path")
    sms_sub = sms.add_subparsers(dest="sms_command", required=True)
    sim = sms_sub.add_parser("simulate", help="post a signed inbound SMS to a running companion")
    sim.add_argument("--from", dest="from_phone", required=True, help="the sender's phone number")
    sim.add_argument("--to", help="the clinic number texted (default: the configured sender)")
    sim.add_argument("--url", help="where the companion listens (default: COMPANION_PUBLIC_BASE_URL)")
    sim.add_argument("text", help="the message body")
    sim.set_defaults(func=cmd_sms_simulate)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = get_settings()
        configure_logging(settings.log_format, level=logging.getLevelNamesMapping()[settings.log_level])
        return int(args.func(settings, args) or 0)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
