"""On-call schedules as rows: who a page reaches (the schedule row, else the protocol's rota by
email), overrides, handoffs in local time across DST, validation and the audit trail."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from companion.clinical.escalation import Target
from companion.clinics import oncall
from companion.clinics.oncall import ScheduleInvalid
from companion.clock import FrozenClock
from companion.errors import Conflict, NotFound
from companion.models import AuditEvent, Clinic, OncallOverride, StaffMember
from companion.protocols import default_protocol
from companion.safety.pages import resolve_targets
from tests.conftest import START, World

PROTOCOL = default_protocol()  # on_call_clinician: clinician@demo.clinic; backup_clinician: admin@demo.clinic
ON_CALL = Target("oncall", "on_call_clinician")
BACKUP = Target("oncall", "backup_clinician")


async def paged(session: AsyncSession, clinic: Clinic, at: datetime, *targets: Target) -> list[int]:
    members, _ = await resolve_targets(session, PROTOCOL, clinic, targets or (ON_CALL,), at)
    return [m.id or 0 for m in members]


async def people(world: World, clinic: Clinic, count: int) -> list[StaffMember]:
    return [await world.staff(clinic, "clinician", phone=f"+1202555{clinic.id:02d}{i:02d}") for i in range(count)]


def ids(*members: StaffMember) -> list[int]:
    return [m.id or 0 for m in members]


async def set_rota(session: AsyncSession, clock: FrozenClock, clinic: Clinic, rotation: list[int],
                   handoff: str = "mon 09:00", name: str = "on_call_clinician") -> None:
    await oncall.set_position(session, clock, clinic.id or 0, name, rotation, handoff, actor="staff:1", staff_id=None)


async def cover(session: AsyncSession, clock: FrozenClock, clinic: Clinic, member: StaffMember, start: datetime,
                end: datetime, name: str = "on_call_clinician") -> OncallOverride:
    return await oncall.add_override(session, clock, clinic.id or 0, name, member.id or 0, start, end, None,
                                     actor="staff:1", staff_id_of_actor=None)


async def test_an_override_pages_the_cover_while_it_lasts_and_the_last_created_wins(
    session: AsyncSession, world: World, clock: FrozenClock
) -> None:
    clinic = await world.clinic()
    rota_person, cover_one, cover_two = await people(world, clinic, 3)
    await set_rota(session, clock, clinic, ids(rota_person))
    await cover(session, clock, clinic, cover_one, START + timedelta(hours=1), START + timedelta(hours=3))
    await cover(session, clock, clinic, cover_two, START + timedelta(hours=2), START + timedelta(hours=4))

    assert await paged(session, clinic, START) == ids(rota_person)
    assert await paged(session, clinic, START + timedelta(hours=1, minutes=30)) == ids(cover_one)
    assert await paged(session, clinic, START + timedelta(hours=2, minutes=30)) == ids(cover_two)
    assert await paged(session, clinic, START + timedelta(hours=4)) == ids(rota_person)

    schedule = await oncall.schedule_of(session, clinic.id or 0)
    assert [o.staff for o in schedule["on_call_clinician"].overrides] == [str(cover_one.id), str(cover_two.id)]


@pytest.mark.parametrize(
    ("handoff", "at"),
    [
        # 01:30 on 1 November 2026 happens twice in New York; the handoff takes the first (EDT, 05:30 UTC).
        ("sun 01:30", datetime(2026, 11, 1, 5, 30, tzinfo=UTC)),
        # The first Monday on EST: 09:00 is 14:00 UTC.
        ("mon 09:00", datetime(2026, 11, 2, 14, 0, tzinfo=UTC)),
        # The first Monday on EDT: 09:00 is 13:00 UTC, an hour earlier than the week before.
        ("mon 09:00", datetime(2026, 3, 9, 13, 0, tzinfo=UTC)),
        # 02:30 on 8 March 2026 does not exist; the handoff moves forward by the gap (03:30 EDT).
        ("sun 02:30", datetime(2026, 3, 8, 7, 30, tzinfo=UTC)),
    ],
)
async def test_the_rota_hands_over_at_local_time_across_a_dst_change(
    session: AsyncSession, world: World, clock: FrozenClock, handoff: str, at: datetime
) -> None:
    clinic = await world.clinic(timezone="America/New_York")
    first, second = await people(world, clinic, 2)
    await set_rota(session, clock, clinic, ids(first, second), handoff)

    before = await paged(session, clinic, at - timedelta(minutes=1))
    after = await paged(session, clinic, at)
    assert sorted(before + after) == sorted(ids(first, second))
    # The same person holds the whole week on either side of the handoff.
    assert await paged(session, clinic, at - timedelta(days=6)) == before
    assert await paged(session, clinic, at + timedelta(hours=1, minutes=1)) == after
    assert await paged(session, clinic, at + timedelta(days=6, hours=22)) == after


async def test_positions_of_the_same_name_page_only_their_own_clinic(
    session: AsyncSession, world: World, clock: FrozenClock
) -> None:
    north, south = await world.clinic("North"), await world.clinic("South")
    (north_member,), (south_member,) = await people(world, north, 1), await people(world, south, 1)
    await set_rota(session, clock, north, ids(north_member))
    await set_rota(session, clock, south, ids(south_member))
    assert await paged(session, north, START) == ids(north_member)
    assert await paged(session, south, START) == ids(south_member)
    with pytest.raises(ScheduleInvalid) as refused:
        await set_rota(session, clock, south, ids(north_member))
    assert refused.value.field == "rotation[0]"


async def test_a_schedule_row_wins_over_the_protocol_rota_and_positions_without_one_page_by_email(
    session: AsyncSession, world: World, clock: FrozenClock
) -> None:
    clinic = await world.clinic()
    by_email = await world.staff(clinic, "clinician", email="clinician@demo.clinic", phone="+12025550181")
    admin = await world.staff(clinic, "admin", email="admin@demo.clinic", phone="+12025550182")
    assert await paged(session, clinic, START) == ids(by_email)

    (scheduled,) = await people(world, clinic, 1)
    await set_rota(session, clock, clinic, ids(scheduled))
    assert await paged(session, clinic, START, ON_CALL, BACKUP) == ids(scheduled, admin)

    # Once the clinic has a row, a holder who cannot be paged reaches nobody: no silent fall back to the file.
    member = await session.get(StaffMember, scheduled.id)
    assert member is not None
    member.active = False
    await session.flush()
    reached, unreached = await resolve_targets(session, PROTOCOL, clinic, (ON_CALL,), START)
    assert reached == [] and unreached == ["oncall:on_call_clinician"]


async def test_the_schedule_is_read_once_per_resolve(
    session: AsyncSession, world: World, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    clinic = await world.clinic()
    (member,) = await people(world, clinic, 1)
    await set_rota(session, clock, clinic, ids(member))
    await set_rota(session, clock, clinic, ids(member), name="nurse_on_duty")
    reads: list[int] = []
    real = oncall.schedule_of

    async def counting(session: AsyncSession, clinic_id: int) -> Any:
        reads.append(clinic_id)
        return await real(session, clinic_id)

    monkeypatch.setattr("companion.safety.pages.schedule_of", counting)
    nurse = Target("oncall", "nurse_on_duty")
    assert await paged(session, clinic, START, ON_CALL, nurse, BACKUP) == ids(member)
    assert reads == [clinic.id]
    await paged(session, clinic, START, Target("role", "admin"))
    assert reads == [clinic.id]


async def _member(world: World, clinic: Clinic, kind: str) -> int:
    if kind == "other_clinic":
        return (await world.staff(await world.clinic("Elsewhere"), phone="+12025550199")).id or 0
    if kind == "no_phone":
        return (await world.staff(clinic)).id or 0
    if kind == "missing":
        return 999_999
    return (await world.staff(clinic, phone="+12025550198")).id or 0


@pytest.mark.parametrize(
    ("name", "rotation", "handoff", "field"),
    [
        ("Nurse", ["ok"], "mon 09:00", "name"),
        ("1st_call", ["ok"], "mon 09:00", "name"),
        ("x" * 41, ["ok"], "mon 09:00", "name"),
        ("nurse", ["ok"], "monday 9", "handoff"),
        ("nurse", ["ok"], "mon 25:00", "handoff"),
        ("nurse", [], "mon 09:00", "rotation"),
        ("nurse", ["ok", "other_clinic"], "mon 09:00", "rotation[1]"),
        ("nurse", ["no_phone"], "mon 09:00", "rotation[0]"),
        ("nurse", ["missing"], "mon 09:00", "rotation[0]"),
        ("nurse", ["inactive"], "mon 09:00", "rotation[0]"),
    ],
)
async def test_bad_positions_are_refused_naming_the_field(
    session: AsyncSession, world: World, clock: FrozenClock, name: str, rotation: list[str], handoff: str, field: str
) -> None:
    clinic = await world.clinic()
    staff_ids = [await _member(world, clinic, kind) for kind in rotation]
    if "inactive" in rotation:
        member = await session.get(StaffMember, staff_ids[0])
        assert member is not None
        member.active = False
        await session.flush()
    with pytest.raises(ScheduleInvalid) as refused:
        await set_rota(session, clock, clinic, staff_ids, handoff, name=name)
    assert refused.value.status_code == 422 and refused.value.field == field
    assert await oncall.schedule_of(session, clinic.id or 0) == {}


@pytest.mark.parametrize(
    ("start", "end", "who", "field"),
    [
        (START.replace(tzinfo=None), START + timedelta(hours=1), "ok", "starts_at"),
        (START, START, "ok", "ends_at"),
        (START - timedelta(hours=3), START - timedelta(hours=1), "ok", "ends_at"),
        (START, START + timedelta(hours=1), "no_phone", "staff_id"),
        (START, START + timedelta(hours=1), "other_clinic", "staff_id"),
    ],
)
async def test_bad_overrides_are_refused_naming_the_field(
    session: AsyncSession, world: World, clock: FrozenClock, start: datetime, end: datetime, who: str, field: str
) -> None:
    clinic = await world.clinic()
    (member,) = await people(world, clinic, 1)
    staff_id = await _member(world, clinic, who)
    await set_rota(session, clock, clinic, ids(member))
    with pytest.raises(ScheduleInvalid) as refused:
        await oncall.add_override(session, clock, clinic.id or 0, "on_call_clinician", staff_id, start, end, None,
                                  actor="staff:1", staff_id_of_actor=None)
    assert refused.value.field == field
    with pytest.raises(NotFound):
        await oncall.add_override(session, clock, clinic.id or 0, "nurse_on_duty", member.id or 0, START,
                                  START + timedelta(hours=1), None, actor="staff:1", staff_id_of_actor=None)


async def test_removing_cover_deletes_future_ends_running_and_keeps_past_as_history(
    session: AsyncSession, world: World, clock: FrozenClock
) -> None:
    clinic, other = await world.clinic(), await world.clinic("Elsewhere")
    rota_person, standby = await people(world, clinic, 2)
    await set_rota(session, clock, clinic, ids(rota_person))
    past = await cover(session, clock, clinic, standby, START, START + timedelta(hours=1))
    running = await cover(session, clock, clinic, standby, START, START + timedelta(hours=5))
    future = await cover(session, clock, clinic, standby, START + timedelta(days=1), START + timedelta(days=2))
    clock.advance(hours=2)

    listed = (await oncall.positions(session, clock, clinic.id or 0))[0].overrides
    assert [o.id for o in listed] == [running.id, future.id]
    history = (await oncall.positions(session, clock, clinic.id or 0, past=True))[0].overrides
    assert [o.id for o in history] == [past.id, running.id, future.id]

    with pytest.raises(Conflict):
        await oncall.remove_override(session, clock, clinic.id or 0, past.id or 0, actor="staff:1")
    await oncall.remove_override(session, clock, clinic.id or 0, running.id or 0, actor="staff:1")
    await oncall.remove_override(session, clock, clinic.id or 0, future.id or 0, actor="staff:1")
    assert await paged(session, clinic, clock.now()) == ids(rota_person)
    kept = (await oncall.positions(session, clock, clinic.id or 0, past=True))[0].overrides
    assert [(o.id, o.ends_at) for o in kept] == [(past.id, START + timedelta(hours=1)), (running.id, clock.now())]
    with pytest.raises(NotFound):
        await oncall.remove_override(session, clock, other.id or 0, running.id or 0, actor="staff:1")


async def test_every_change_is_audited_without_the_note(
    session: AsyncSession, world: World, clock: FrozenClock
) -> None:
    clinic = await world.clinic()
    first, second = await people(world, clinic, 2)
    await set_rota(session, clock, clinic, ids(first, second), "tue 08:30")
    added = await oncall.add_override(
        session, clock, clinic.id or 0, "on_call_clinician", second.id or 0, START + timedelta(days=1),
        START + timedelta(days=2), "covering a named colleague", actor="staff:7", staff_id_of_actor=None,
    )
    await oncall.remove_override(session, clock, clinic.id or 0, added.id or 0, actor="staff:7")
    events = list((await session.execute(
        select(AuditEvent).where(col(AuditEvent.clinic_id) == clinic.id).order_by(col(AuditEvent.id))
    )).scalars())
    assert [(e.action, e.actor) for e in events] == [
        ("oncall.position_set", "staff:1"), ("oncall.override_add", "staff:7"), ("oncall.override_remove", "staff:7"),
    ]
    assert events[0].detail["name"] == "on_call_clinician"
    assert events[0].detail["rotation"] == ids(first, second) and events[0].detail["handoff"] == "tue 08:30"
    assert events[1].detail["staff_id"] == second.id and events[2].detail["how"] == "deleted"
    assert all("covering" not in str(e.detail) for e in events)
