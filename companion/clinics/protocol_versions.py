"""Each clinic's protocol versions: added (from the command line, the API or the demo seed),
checked against the clinic, activated and rolled back; every change audited (docs/protocol.md,
"Stored versions").

A version is accepted only when its text parses (``parse_protocol``) and passes the check against
the clinic's members (``check_against_clinic``); otherwise :class:`ProtocolRefused` names each
place and nothing is stored but the audit event ``protocol.refused``. A stored version is never
changed (the ORM refuses, ``companion/models/protocol.py``): a new text is a new version, numbered
on from the clinic's last. Adding the very text of the active version stores nothing and answers
the active version (``Added.created`` is False).

Activating a version, new or older (a roll-back), checks it again against the clinic as it is
now, since members come and go; the first activation that names an on-call position the clinic
has no schedule for seeds that position's schedule from the protocol's rota
(:mod:`companion.clinics.protocol_schedule_seed`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from companion.audit import services as audit
from companion.clinical.protocol import Member, Protocol, ProtocolError, check_against_clinic, parse_protocol
from companion.clinics.protocol_schedule_seed import seed_schedule
from companion.clock import Clock
from companion.db import after_commit
from companion.errors import DomainError, NotFound
from companion.models import ActiveProtocol, Clinic, ProtocolVersion, StaffMember
from companion.protocols import ProtocolSource, load_stored

__all__ = [
    "MAX_TEXT_CHARS", "ORIGINS", "Added", "ProtocolRefused", "activate_version", "active_version", "add_version",
    "check_text", "import_version", "version", "versions",
]

ORIGINS = ("cli", "api", "dashboard", "demo")
MAX_TEXT_CHARS = 200_000  # far above any real protocol (the shipped one is ~20,000)
MAX_LABEL_CHARS = 64  # ProtocolVersion.label
REFUSED_PLACES_AUDITED = 5


class ProtocolRefused(DomainError):
    """The protocol was refused; ``problems`` name each place ("place: what is wrong").

    The refusal is itself audited (``protocol.refused``), so the unit of work keeps that event."""

    status_code = 422

    def __init__(self, problems: list[str], message: str = "the protocol was refused") -> None:
        super().__init__(f"{message}: {len(problems)} problem(s)", keep_changes=True)
        self.problems = list(problems)

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "problems": self.problems}


@dataclass(frozen=True)
class Added:
    """The version a text became: ``created`` is False when it was the active version's own text."""

    version: ProtocolVersion
    created: bool
    activated: bool


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


async def _clinic(session: AsyncSession, clinic_id: int) -> Clinic:
    clinic = await session.get(Clinic, clinic_id)
    if clinic is None:
        raise NotFound("clinic not found")
    return clinic


async def members(session: AsyncSession, clinic_id: int) -> list[Member]:
    """Every member of the clinic, active or not, as the check against the clinic sees them."""
    rows = await session.execute(select(StaffMember).where(col(StaffMember.clinic_id) == clinic_id)
                                 .order_by(col(StaffMember.id)))
    return [Member(id=m.id or 0, email=m.email, role=m.role, active=m.active, has_phone=m.phone is not None)
            for m in rows.scalars()]


def _where(problem: str) -> str:
    return problem.split(": ", 1)[0] if ": " in problem else problem[:80]


def _refuse(session: AsyncSession, clock: Clock, clinic_id: int, problems: list[str], *, actor: str,
            during: str, number: int | None = None) -> ProtocolRefused:
    detail: dict[str, Any] = {"during": during, "problems": len(problems),
                              "places": [_where(p) for p in problems[:REFUSED_PLACES_AUDITED]]}
    if number is not None:
        detail["number"] = number
    audit.record(session, clock, actor=actor, action="protocol.refused", subject=f"clinic:{clinic_id}",
                 clinic_id=clinic_id, detail=detail)
    return ProtocolRefused(problems)


async def check_text(session: AsyncSession, clinic: Clinic, text: str, source: str) -> tuple[Protocol | None,
                                                                                              list[str]]:
    """Parse ``text`` and check it against ``clinic`` as it is now: the protocol, or the problems."""
    if len(text) > MAX_TEXT_CHARS:
        return None, [f"protocol: longer than {MAX_TEXT_CHARS} characters"]
    try:
        protocol = parse_protocol(text, source)
    except ProtocolError as exc:
        return None, list(exc.problems)
    problems: list[str] = []
    if len(protocol.version) > MAX_LABEL_CHARS:
        problems.append(f"version: longer than {MAX_LABEL_CHARS} characters")
    assert clinic.id is not None
    problems += check_against_clinic(protocol, await members(session, clinic.id), clinic.name)
    return (None, problems) if problems else (protocol, [])


async def active_version(session: AsyncSession, clinic_id: int) -> ProtocolVersion | None:
    """The clinic's active version, or None (the clinic uses the seed file)."""
    active = await session.get(ActiveProtocol, clinic_id)
    return None if active is None else await session.get(ProtocolVersion, active.version_id)


async def versions(session: AsyncSession, clinic_id: int) -> list[ProtocolVersion]:
    """The clinic's versions, newest first."""
    rows = await session.execute(select(ProtocolVersion).where(col(ProtocolVersion.clinic_id) == clinic_id)
                                 .order_by(col(ProtocolVersion.number).desc()))
    return list(rows.scalars())


async def version(session: AsyncSession, clinic_id: int, number: int) -> ProtocolVersion:
    """The clinic's version ``number`` (NotFound when it has none)."""
    row = (await session.execute(select(ProtocolVersion).where(
        col(ProtocolVersion.clinic_id) == clinic_id, col(ProtocolVersion.number) == number))).scalars().first()
    if row is None:
        raise NotFound(f"the clinic has no protocol version {number}")
    return row


async def import_version(
    session: AsyncSession, clock: Clock, clinic_id: int, text: str, *, origin: str, actor: str,
    staff_id: int | None, activate: bool = True, protocols: ProtocolSource | None = None,
) -> Added:
    """Store ``text`` as the clinic's next version (and activate it unless ``activate`` is False).

    ProtocolRefused when it does not parse or does not pass the check against the clinic: nothing
    is stored, the refusal is audited. The active version's own text stores nothing."""
    if origin not in ORIGINS:
        raise ValueError(f"unknown origin {origin!r}")
    clinic = await _clinic(session, clinic_id)
    protocol, problems = await check_text(session, clinic, text, f"clinic {clinic_id} protocol")
    if protocol is None:
        raise _refuse(session, clock, clinic_id, problems, actor=actor, during="add")
    current = await active_version(session, clinic_id)
    if current is not None and current.digest == digest(text) and current.text == text:
        return Added(current, created=False, activated=False)
    last = (await session.execute(select(func.max(ProtocolVersion.number))
                                  .where(col(ProtocolVersion.clinic_id) == clinic_id))).scalar_one()
    row = ProtocolVersion(clinic_id=clinic_id, number=(last or 0) + 1, label=protocol.version, text=text,
                          digest=digest(text), origin=origin, created_at=clock.now(), created_by=staff_id)
    session.add(row)
    await session.flush()
    audit.record(session, clock, actor=actor, action="protocol.version_add", subject=f"clinic:{clinic_id}",
                 clinic_id=clinic_id, detail={"number": row.number, "label": row.label, "origin": origin,
                                              "digest": row.digest})
    if activate:
        await _activate(session, clock, clinic, row, protocol, actor=actor, staff_id=staff_id, protocols=protocols)
    return Added(row, created=True, activated=activate)


async def add_version(
    session: AsyncSession, clock: Clock, clinic_id: int, text: str, *, origin: str, actor: str,
    staff_id: int | None, activate: bool = True, protocols: ProtocolSource | None = None,
) -> ProtocolVersion:
    """:func:`import_version`, answering the version only."""
    added = await import_version(session, clock, clinic_id, text, origin=origin, actor=actor, staff_id=staff_id,
                                 activate=activate, protocols=protocols)
    return added.version


async def activate_version(
    session: AsyncSession, clock: Clock, clinic_id: int, number: int, *, actor: str, staff_id: int | None,
    protocols: ProtocolSource | None = None,
) -> ProtocolVersion:
    """Make version ``number`` the clinic's active one (a roll-back when it is older), after
    checking it again against the clinic as it is now (ProtocolRefused when it no longer passes)."""
    clinic = await _clinic(session, clinic_id)
    row = await version(session, clinic_id, number)
    try:
        load_stored(row)
    except ProtocolError as exc:
        raise _refuse(session, clock, clinic_id, list(exc.problems), actor=actor, during="activate",
                      number=number) from None
    protocol, problems = await check_text(session, clinic, row.text, f"clinic {clinic_id} protocol version {number}")
    if protocol is None:
        raise _refuse(session, clock, clinic_id, problems, actor=actor, during="activate", number=number)
    await _activate(session, clock, clinic, row, protocol, actor=actor, staff_id=staff_id, protocols=protocols)
    return row


async def _activate(
    session: AsyncSession, clock: Clock, clinic: Clinic, row: ProtocolVersion, protocol: Protocol, *, actor: str,
    staff_id: int | None, protocols: ProtocolSource | None,
) -> None:
    assert clinic.id is not None and row.id is not None
    active = await session.get(ActiveProtocol, clinic.id)
    previous = None if active is None else await session.get(ProtocolVersion, active.version_id)
    if active is None:
        session.add(ActiveProtocol(clinic_id=clinic.id, version_id=row.id, activated_at=clock.now(),
                                   activated_by=staff_id))
    else:
        active.version_id, active.activated_at, active.activated_by = row.id, clock.now(), staff_id
    await session.flush()
    audit.record(session, clock, actor=actor, action="protocol.activate", subject=f"clinic:{clinic.id}",
                 clinic_id=clinic.id, detail={"number": row.number, "label": row.label,
                                              "previous": None if previous is None else previous.number})
    await seed_schedule(session, clock, clinic, protocol, row.number, actor=actor, staff_id=staff_id)
    if protocols is not None:
        after_commit(session, protocols.invalidate)
