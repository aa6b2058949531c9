"""`companion protocol ...`: check a file, and each clinic's stored versions (import, export, list,
activate). See docs/protocol.md, "Stored versions"."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from companion.clinical.protocol import ProtocolError
from companion.clinics import protocol_versions as versions
from companion.clinics.protocol_versions import ProtocolRefused
from companion.clock import Clock
from companion.db import commit, create_engine, create_sessionmaker, session_scope
from companion.errors import DomainError
from companion.models import Clinic
from companion.protocols import load_protocol
from companion.settings import Settings

__all__ = ["add_protocol_commands"]

T = TypeVar("T")
ACTOR = "cli"


class ClinicNotFound(Exception):
    pass


def _run(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """One unit of work; a refusal keeps its audit event (as the API's does)."""
    async def runner() -> T:
        engine = create_engine(settings)
        try:
            async with session_scope(create_sessionmaker(engine)) as session:
                try:
                    return await work(session)
                except DomainError as exc:
                    if exc.keep_changes:
                        await commit(session)
                    raise
        finally:
            await engine.dispose()

    return asyncio.run(runner())


async def _clinic_id(session: AsyncSession, given: str) -> int:
    """The clinic named by id or by (exact) name."""
    if given.isdigit():
        clinic = await session.get(Clinic, int(given))
        if clinic is not None and clinic.id is not None:
            return clinic.id
        raise ClinicNotFound(f"no clinic with id {given}")
    found = list((await session.execute(select(Clinic).where(col(Clinic.name) == given))).scalars())
    if len(found) > 1:
        raise ClinicNotFound(f"{len(found)} clinics are named {given!r}; give the clinic's id")
    if not found or found[0].id is None:
        raise ClinicNotFound(f"no clinic named {given!r}")
    return found[0].id


def _guarded(command: Callable[[Settings, argparse.Namespace], int]) -> Callable[[Settings, argparse.Namespace], int]:
    """Refusals on stderr, one line a place, and a non-zero exit code."""
    def run(settings: Settings, args: argparse.Namespace) -> int:
        try:
            return command(settings, args)
        except ProtocolRefused as exc:
            for problem in exc.problems:
                print(f"protocol error: {problem}", file=sys.stderr)
            print(f"refused: {len(exc.problems)} problem(s); nothing stored", file=sys.stderr)
            return 2
        except (ClinicNotFound, DomainError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    return run


def cmd_protocol_check(_settings: Settings, args: argparse.Namespace) -> int:
    try:
        protocol = load_protocol(Path(args.file))
    except ProtocolError as exc:
        for problem in exc.problems:
            print(f"protocol error: {problem}", file=sys.stderr)
        return 2
    print(protocol.summary())
    return 0


def cmd_protocol_import(settings: Settings, args: argparse.Namespace) -> int:
    try:
        text = Path(args.file).read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        print(f"protocol error: {args.file}: cannot read the file ({exc})", file=sys.stderr)
        return 2

    async def work(session: AsyncSession) -> versions.Added:
        clinic_id = await _clinic_id(session, args.clinic)
        return await versions.import_version(session, Clock(), clinic_id, text, origin="cli", actor=ACTOR,
                                             staff_id=None, activate=not args.no_activate)

    added = _run(settings, work)
    row = added.version
    if not added.created:
        print(f"unchanged: the text is version {row.number} ({row.label}), already active; nothing stored")
    else:
        state = "active" if added.activated else "stored, not active"
        print(f"clinic {row.clinic_id}: version {row.number} ({row.label}) {state}")
    return 0


def cmd_protocol_export(settings: Settings, args: argparse.Namespace) -> int:
    async def work(session: AsyncSession) -> str | None:
        clinic_id = await _clinic_id(session, args.clinic)
        if args.version is not None:
            return (await versions.version(session, clinic_id, args.version)).text
        active = await versions.active_version(session, clinic_id)
        return None if active is None else active.text

    text = _run(settings, work)
    if text is None:
        print("error: the clinic has no stored version (it uses the seed file)", file=sys.stderr)
        return 2
    if args.output:
        with open(args.output, "w", encoding="utf-8", newline="") as out:
            out.write(text)
    else:
        sys.stdout.write(text)
    return 0


def cmd_protocol_versions(settings: Settings, args: argparse.Namespace) -> int:
    async def work(session: AsyncSession) -> list[str]:
        clinic_id = await _clinic_id(session, args.clinic)
        active = await versions.active_version(session, clinic_id)
        return [f"{'*' if active is not None and row.id == active.id else ' '} {row.number:>4}  {row.label:<24} "
                f"{row.origin:<9} {row.created_at:%Y-%m-%d %H:%M} UTC  {row.digest[:12]}"
                for row in await versions.versions(session, clinic_id)]

    lines = _run(settings, work)
    if not lines:
        print("no stored versions (the clinic uses the seed file)")
    for line in lines:
        print(line)
    return 0


def cmd_protocol_activate(settings: Settings, args: argparse.Namespace) -> int:
    async def work(session: AsyncSession) -> tuple[int, str]:
        clinic_id = await _clinic_id(session, args.clinic)
        row = await versions.activate_version(session, Clock(), clinic_id, args.number, actor=ACTOR, staff_id=None)
        return row.number, row.label

    number, label = _run(settings, work)
    print(f"version {number} ({label}) active")
    return 0


def add_protocol_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    protocol = sub.add_parser("protocol", help="safety protocol files and each clinic's stored versions")
    protocol_sub = protocol.add_subparsers(dest="protocol_command", required=True)
    check = protocol_sub.add_parser("check", help="validate a protocol file and print its summary")
    check.add_argument("file", help="the protocol TOML file")
    check.set_defaults(func=cmd_protocol_check)

    clinic_help = "the clinic's id or name"
    imp = protocol_sub.add_parser("import", help="store a protocol file as the clinic's next version")
    imp.add_argument("--clinic", required=True, help=clinic_help)
    imp.add_argument("--no-activate", action="store_true", help="store it without making it active")
    imp.add_argument("file", help="the protocol TOML file")
    imp.set_defaults(func=_guarded(cmd_protocol_import))

    export = protocol_sub.add_parser("export", help="print a stored version's text as it was accepted")
    export.add_argument("--clinic", required=True, help=clinic_help)
    export.add_argument("--version", type=int, help="the version number (default: the active version)")
    export.add_argument("-o", "--output", help="write to this file instead of standard output")
    export.set_defaults(func=_guarded(cmd_protocol_export))

    listing = protocol_sub.add_parser("versions", help="list the clinic's versions (* is active)")
    listing.add_argument("--clinic", required=True, help=clinic_help)
    listing.set_defaults(func=_guarded(cmd_protocol_versions))

    activate = protocol_sub.add_parser("activate", help="make a stored version active (roll back or forward)")
    activate.add_argument("--clinic", required=True, help=clinic_help)
    activate.add_argument("number", type=int, help="the version number")
    activate.set_defaults(func=_guarded(cmd_protocol_activate))
