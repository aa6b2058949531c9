"""Each clinic's on-call schedule as rows: positions with a weekly rotation of staff ids and a
handoff in local time, and overrides for cover (docs/protocol.md, "On-call schedules").

The rows are read as the clinical core's :class:`~companion.clinical.rota.PositionRota` whose
entries are staff ids written as strings, so who is on duty, and the shifts shown on the board,
come from :mod:`companion.clinical.rota` and :mod:`companion.clinical.oncall` exactly as for a
protocol's rota. A position the clinic has no row for is still read from the protocol's rota,
whose entries are emails.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from companion.audit import services as audit
from companion.clinical.oncall import Shift, describe_until, upcoming
from companion.clinical.protocol import Protocol
from companion.clinical.rota import Handoff, Override, PositionRota
from companion.clock import Clock
from companion.errors import Conflict, DomainError, NotFound
from companion.models import Clinic, OncallOverride, OncallPosition, StaffMember

log = logging.getLogger("companion.clinics")

POSITION_NAME = re.compile(r"[a-z][a-z0-9_]*")
"""A position's name, as the protocol writes its names (``oncall:<name>``)."""
MAX_NAME = 40
MAX_NOTE = 200


class ScheduleInvalid(DomainError):
    """A schedule change that reads well but cannot be kept (a person who cannot be paged, an
    override already over): 422, naming the field at fault."""

    status_code = 422


@dataclass(frozen=True)
class Person:
    staff_id: int | None
    name: str | None


@dataclass(frozen=True)
class ShiftView:
    """One shift of a position as the board shows it: who, ``[start, end)``, the end in words."""

    staff_id: int | None
    name: str | None
    start: datetime
    end: datetime
    until: str
    override: bool


@dataclass(frozen=True)
class PositionBoard:
    position: str
    now: ShiftView
    next: ShiftView
    warning: str | None


@dataclass(frozen=True)
class OverrideView:
    id: int
    staff: Person
    starts_at: datetime
    ends_at: datetime
    note: str | None
    created_by: int | None
    created_at: datetime


@dataclass(frozen=True)
class PositionView:
    name: str
    rotation: list[Person]
    handoff: str
    overrides: list[OverrideView]
    updated_at: datetime


# -- reading ---------------------------------------------------------------------------------------


async def _position_rows(session: AsyncSession, clinic_id: int) -> list[OncallPosition]:
    rows = await session.execute(
        select(OncallPosition).where(col(OncallPosition.clinic_id) == clinic_id).order_by(col(OncallPosition.name))
    )
    return list(rows.scalars())


async def _override_rows(
    session: AsyncSession, position_ids: Sequence[int], ending_after: datetime | None = None
) -> list[OncallOverride]:
    """The positions' overrides in the order they were created (the one created last wins)."""
    if not position_ids:
        return []
    query = select(OncallOverride).where(col(OncallOverride.position_id).in_(position_ids))
    if ending_after is not None:
        query = query.where(col(OncallOverride.ends_at) > ending_after)
    rows = await session.execute(query.order_by(col(OncallOverride.id)))
    return list(rows.scalars())


def _handoff(row: OncallPosition) -> Handoff:
    try:
        return Handoff.parse(row.handoff)
    except ValueError:
        # Rows are validated when written; a page must never fail on one that is not.
        log.error("on-call position %s has an unreadable handoff; reading it as mon 09:00", row.id)
        return Handoff()


async def schedule_of(session: AsyncSession, clinic_id: int) -> dict[str, PositionRota]:
    """The clinic's positions as rotas whose entries are staff ids (as strings), the overrides in
    the order they were created, so the one created last wins (``rota.on_duty``)."""
    positions = await _position_rows(session, clinic_id)
    overrides = await _override_rows(session, [p.id for p in positions if p.id is not None])
    cover: dict[int, list[Override]] = {}
    for row in overrides:
        cover.setdefault(row.position_id, []).append(Override(str(row.staff_id), row.starts_at, row.ends_at))
    return {
        p.name: PositionRota(tuple(str(s) for s in p.rotation), _handoff(p), tuple(cover.get(p.id or 0, ())))
        for p in positions
    }


async def _members(session: AsyncSession, clinic_id: int) -> list[StaffMember]:
    rows = await session.execute(
        select(StaffMember).where(col(StaffMember.clinic_id) == clinic_id).order_by(col(StaffMember.id))
    )
    return list(rows.scalars())


def _who_cannot_be_paged(member: StaffMember | None, entry: str | None) -> str | None:
    """Why the person an entry names cannot be paged, or None when they can."""
    if entry is None:
        return "its rotation is empty"
    if member is None:
        return f"{entry} is not a member of this clinic"
    if not member.active:
        return f"{member.name} is deactivated"
    if not member.phone:
        return f"{member.name} has no phone number"
    return None


def _member_of(lookup: Mapping[str, StaffMember], entry: str | None, by_email: bool) -> StaffMember | None:
    if entry is None:
        return None
    return lookup.get(entry.lower() if by_email else entry)


def _view(shift: Shift, member: StaffMember | None, tz: tzinfo, now: datetime, by_email: bool) -> ShiftView:
    name = member.name if member is not None else (shift.staff if by_email else None)
    return ShiftView(member.id if member is not None else None, name, shift.start, shift.end,
                     describe_until(shift, tz, now), shift.override)


async def board(session: AsyncSession, clock: Clock, clinic: Clinic, protocol: Protocol) -> list[PositionBoard]:
    """Who holds each position now and next: the clinic's schedule rows, and the protocol's rota
    positions without a row (read by email), each with a warning when nobody who can be paged is
    on call now."""
    assert clinic.id is not None
    now = clock.now()
    tz = protocol.business_hours.zone_for(clinic.timezone)
    schedule = await schedule_of(session, clinic.id)
    members = await _members(session, clinic.id)
    ids = {str(m.id): m for m in members}
    emails = {m.email.lower(): m for m in members}
    result: list[PositionBoard] = []
    for position in sorted(set(schedule) | set(protocol.rota)):
        by_email = position not in schedule
        rota = protocol.rota[position] if by_email else schedule[position]
        lookup = emails if by_email else ids
        current, following = upcoming(rota, now, tz, count=2)
        holder = _member_of(lookup, current.staff, by_email)
        reason = _who_cannot_be_paged(holder, current.staff)
        warning = f"nobody with a phone is on call for {position}: {reason}" if reason else None
        result.append(PositionBoard(
            position,
            _view(current, holder, tz, now, by_email),
            _view(following, _member_of(lookup, following.staff, by_email), tz, now, by_email),
            warning,
        ))
    return result


async def _position(session: AsyncSession, clinic_id: int, name: str) -> OncallPosition | None:
    rows = await session.execute(
        select(OncallPosition).where(col(OncallPosition.clinic_id) == clinic_id, col(OncallPosition.name) == name)
    )
    return rows.scalars().first()


def _person(staff: Mapping[int, StaffMember], staff_id: int) -> Person:
    member = staff.get(staff_id)
    return Person(staff_id, member.name if member is not None else None)


async def positions(
    session: AsyncSession, clock: Clock, clinic_id: int, *, past: bool = False
) -> list[PositionView]:
    """The clinic's positions: the rotation in order, the handoff, and the overrides that have not
    ended (all of them, those over too, with ``past``), in the order they were created."""
    rows = await _position_rows(session, clinic_id)
    overrides = await _override_rows(session, [p.id for p in rows if p.id is not None],
                                     None if past else clock.now())
    staff = {m.id or 0: m for m in await _members(session, clinic_id)}
    cover: dict[int, list[OverrideView]] = {}
    for o in overrides:
        cover.setdefault(o.position_id, []).append(OverrideView(
            o.id or 0, _person(staff, o.staff_id), o.starts_at, o.ends_at, o.note, o.created_by, o.created_at))
    return [
        PositionView(p.name, [_person(staff, s) for s in p.rotation], p.handoff, cover.get(p.id or 0, []),
                     p.updated_at)
        for p in rows
    ]


async def position(session: AsyncSession, clock: Clock, clinic_id: int, name: str) -> PositionView:
    """One position as :func:`positions` shows it."""
    for view in await positions(session, clock, clinic_id):
        if view.name == name:
            return view
    raise NotFound(f"this clinic has no on-call position {name[:MAX_NAME]!r}")


async def override(session: AsyncSession, clock: Clock, clinic_id: int, name: str, override_id: int) -> OverrideView:
    """One override of the position ``name`` that has not ended, as :func:`positions` shows it."""
    for view in (await position(session, clock, clinic_id, name)).overrides:
        if view.id == override_id:
            return view
    raise NotFound("on-call override not found")


# -- changing --------------------------------------------------------------------------------------


async def _pageable_member(session: AsyncSession, clinic_id: int, staff_id: int, field: str) -> StaffMember:
    """The member ``staff_id`` names, who must be an active member of this clinic with a phone."""
    member = await session.get(StaffMember, staff_id)
    if member is None or member.clinic_id != clinic_id:
        raise ScheduleInvalid(f"staff {staff_id} is not a member of this clinic", field=field)
    if not member.active:
        raise ScheduleInvalid(f"staff {staff_id} is deactivated and cannot be paged", field=field)
    if not member.phone:
        raise ScheduleInvalid(f"staff {staff_id} has no phone number to be paged on", field=field)
    return member


def check_name(name: str) -> None:
    if len(name) > MAX_NAME or not POSITION_NAME.fullmatch(name):
        raise ScheduleInvalid(
            f"{name[:MAX_NAME]!r} is not a position name (lower-case letters, digits and _, starting with a "
            f"letter, at most {MAX_NAME})", field="name")


async def set_position(
    session: AsyncSession, clock: Clock, clinic_id: int, name: str, rotation: list[int], handoff: str, *,
    actor: str, staff_id: int | None,
) -> OncallPosition:
    """Create the position ``name`` or replace its rotation and handoff; its overrides stay.

    ``actor`` is who changes it for the audit (``staff:<id>`` or a ``system:`` name) and
    ``staff_id`` the staff member behind it, None for the system."""
    check_name(name)
    try:
        parsed = Handoff.parse(handoff)
    except ValueError as exc:
        raise ScheduleInvalid(str(exc), field="handoff") from exc
    if not rotation:
        raise ScheduleInvalid("a rotation needs at least one person", field="rotation")
    for index, member_id in enumerate(rotation):
        await _pageable_member(session, clinic_id, member_id, f"rotation[{index}]")
    now = clock.now()
    position = await _position(session, clinic_id, name)
    if position is None:
        position = OncallPosition(clinic_id=clinic_id, name=name, updated_at=now)
        session.add(position)
    position.rotation, position.handoff, position.updated_at = list(rotation), str(parsed), now
    await session.flush()
    audit.record(session, clock, actor=actor, action="oncall.position_set", subject=f"oncall_position:{position.id}",
                 clinic_id=clinic_id,
                 detail={"name": name, "rotation": list(rotation), "handoff": position.handoff, "by": staff_id})
    return position


def _aware(value: datetime, field: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ScheduleInvalid(f"{field} must include a time zone offset, e.g. 2026-11-27T09:00:00Z", field=field)
    return value.astimezone(UTC)


async def add_override(
    session: AsyncSession, clock: Clock, clinic_id: int, name: str, staff_id: int, starts_at: datetime,
    ends_at: datetime, note: str | None, *, actor: str, staff_id_of_actor: int | None,
) -> OncallOverride:
    """``staff_id`` covers the position ``name`` for ``[starts_at, ends_at)``; where cover
    overlaps, the override created last wins."""
    position = await _position(session, clinic_id, name)
    if position is None or position.id is None:
        raise NotFound(f"this clinic has no on-call position {name[:MAX_NAME]!r}")
    start, end = _aware(starts_at, "starts_at"), _aware(ends_at, "ends_at")
    if end <= start:
        raise ScheduleInvalid("an override must end after it starts", field="ends_at")
    if end <= clock.now():
        raise ScheduleInvalid("this override would be over already", field="ends_at")
    if note is not None and len(note) > MAX_NOTE:
        raise ScheduleInvalid(f"a note has at most {MAX_NOTE} characters", field="note")
    await _pageable_member(session, clinic_id, staff_id, "staff_id")
    row = OncallOverride(position_id=position.id, staff_id=staff_id, starts_at=start, ends_at=end,
                              note=note or None, created_at=clock.now(), created_by=staff_id_of_actor)
    session.add(row)
    await session.flush()
    audit.record(session, clock, actor=actor, action="oncall.override_add", subject=f"oncall_override:{row.id}",
                 clinic_id=clinic_id,
                 detail={"name": name, "staff_id": staff_id, "starts_at": start.isoformat(),
                         "ends_at": end.isoformat()})
    return row


async def remove_override(
    session: AsyncSession, clock: Clock, clinic_id: int, override_id: int, *, actor: str
) -> None:
    """Take an override off the schedule: one not started yet is deleted, one running ends now;
    one that is over stays as history (409)."""
    found = (
        await session.execute(
            select(OncallOverride, OncallPosition)
            .join(OncallPosition, col(OncallPosition.id) == col(OncallOverride.position_id))
            .where(col(OncallOverride.id) == override_id, col(OncallPosition.clinic_id) == clinic_id)
        )
    ).first()
    if found is None:
        raise NotFound("on-call override not found")
    row, position = found
    now = clock.now()
    if row.ends_at <= now:
        raise Conflict("this override is over and stays on record", field="override_id")
    if row.starts_at < now:
        row.ends_at, how = now, "ended"
    else:
        await session.delete(row)
        how = "deleted"
    await session.flush()
    audit.record(session, clock, actor=actor, action="oncall.override_remove", subject=f"oncall_override:{override_id}",
                 clinic_id=clinic_id, detail={"name": position.name, "staff_id": row.staff_id, "how": how})
