"""Each clinic's stored protocol versions: added after the check against the clinic, numbered,
activated and rolled back, never changed, every change audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from companion.clinics import protocol_versions as versions
from companion.clinics.protocol_versions import ProtocolRefused
from companion.clock import FrozenClock
from companion.errors import NotFound
from companion.models import AuditEvent, OncallOverride, OncallPosition, ProtocolVersion, StaffMember
from companion.models.protocol import StoredVersionChanged
from companion.protocols import ProtocolSource
from tests.clinics.protocol_texts import SHIPPED, SHIPPED_LABEL, demo_team, labelled, on_call
from tests.conftest import World


async def _actions(session: AsyncSession) -> list[tuple[str, dict]]:
    rows = await session.execute(select(AuditEvent).order_by(AuditEvent.id))
    return [(event.action, event.detail) for event in rows.scalars()]


async def _add(session: AsyncSession, clock: FrozenClock, clinic_id: int, text: str, **kw: object) -> ProtocolVersion:
    options: dict = {"origin": "cli", "actor": "cli", "staff_id": None, **kw}
    return await versions.add_version(session, clock, clinic_id, text, **options)


async def test_a_version_is_stored_activated_audited_and_seeds_the_schedule(
    session: AsyncSession, clock: FrozenClock, world: World
) -> None:
    team = await demo_team(world)
    row = await versions.add_version(session, clock, team.clinic.id, SHIPPED, origin="api",
                                     actor=f"staff:{team.admin.id}", staff_id=team.admin.id)
    assert (row.number, row.label, row.origin, row.created_by, row.text) == (
        1, SHIPPED_LABEL, "api", team.admin.id, SHIPPED)
    assert len(row.digest) == 64
    assert (await versions.active_version(session, team.clinic.id)) == row
    actions = await _actions(session)
    assert [action for action, _ in actions] == ["protocol.version_add", "protocol.activate", "oncall.seed"]
    assert actions[1][1] == {"number": 1, "label": SHIPPED_LABEL, "previous": None}
    positions = {p.name: p for p in (await session.execute(select(OncallPosition))).scalars()}
    assert sorted(positions) == ["backup_clinician", "medical_director", "nurse_on_duty", "on_call_clinician"]
    assert positions["on_call_clinician"].rotation == [team.clinician.id]
    assert positions["backup_clinician"].rotation == [team.admin.id]
    assert positions["on_call_clinician"].handoff == "mon 09:00"


async def test_overrides_are_seeded_as_rows(session: AsyncSession, clock: FrozenClock, world: World) -> None:
    team = await demo_team(world)
    text = SHIPPED.replace(
        '[rota.backup_clinician]',
        '[[rota.on_call_clinician.overrides]]\nstaff = "Admin@Demo.Clinic"\n'
        'start = "2026-12-01T09:00:00-05:00"\nend = "2026-12-08T09:00:00-05:00"\n\n[rota.backup_clinician]', 1)
    await _add(session, clock, team.clinic.id, text)
    [override] = (await session.execute(select(OncallOverride))).scalars()
    assert override.staff_id == team.admin.id
    assert override.starts_at.isoformat() == "2026-12-01T14:00:00+00:00"


async def test_a_rota_email_of_another_clinics_member_is_refused_naming_the_place(
    session: AsyncSession, clock: FrozenClock, world: World
) -> None:
    team = await demo_team(world)
    south = await world.clinic("South Clinic")
    await world.staff(south, "clinician", email="other@south.example", phone="+12025550190")
    first = await _add(session, clock, team.clinic.id, SHIPPED)
    with pytest.raises(ProtocolRefused) as refused:
        await _add(session, clock, team.clinic.id, labelled("two", on_call("other@south.example")))
    assert refused.value.status_code == 422
    assert "rota.on_call_clinician.rotation[0]: 'other@south.example' is not a member of North Clinic" in (
        refused.value.problems)
    assert refused.value.to_dict()["problems"] == refused.value.problems
    assert [v.number for v in await versions.versions(session, team.clinic.id)] == [1]
    assert (await versions.active_version(session, team.clinic.id)) == first  # the old one stays
    action, detail = (await _actions(session))[-1]
    assert action == "protocol.refused"
    assert detail["problems"] == len(refused.value.problems) and "rota.on_call_clinician.rotation[0]" in (
        detail["places"])
    assert "other@south.example" not in str(detail)


async def test_an_unknown_key_is_refused_and_nothing_is_stored(
    session: AsyncSession, clock: FrozenClock, world: World
) -> None:
    team = await demo_team(world)
    with pytest.raises(ProtocolRefused) as refused:
        await _add(session, clock, team.clinic.id, SHIPPED.replace("\n[wording]\n", "\n[wording]\nshout = true\n", 1))
    assert any(problem.startswith("wording.shout:") for problem in refused.value.problems)
    assert await versions.versions(session, team.clinic.id) == []
    assert await versions.active_version(session, team.clinic.id) is None


async def test_numbers_increment_and_the_active_text_again_stores_nothing(
    session: AsyncSession, clock: FrozenClock, world: World
) -> None:
    team = await demo_team(world)
    other = await world.clinic("South Clinic")
    await world.staff(other, "clinician", email="c@south.example", phone="+12025550191")
    await world.staff(other, "admin", email="a@south.example", phone="+12025550192")
    south_text = SHIPPED.replace("clinician@demo.clinic", "c@south.example").replace("admin@demo.clinic",
                                                                                     "a@south.example")
    assert (await _add(session, clock, other.id, south_text)).number == 1  # numbered per clinic
    one = await _add(session, clock, team.clinic.id, SHIPPED)
    two = await _add(session, clock, team.clinic.id, labelled("two"), activate=False)
    assert (one.number, two.number) == (1, 2)
    assert (await versions.active_version(session, team.clinic.id)) == one  # stored, not active
    again = await versions.import_version(session, clock, team.clinic.id, SHIPPED, origin="cli", actor="cli",
                                          staff_id=None)
    assert (again.version, again.created) == (one, False)
    three = await _add(session, clock, team.clinic.id, labelled("two"))  # not the active text: a new version
    assert three.number == 3
    assert [v.number for v in await versions.versions(session, team.clinic.id)] == [3, 2, 1]
    assert (await versions.version(session, team.clinic.id, 2)).label == "two"
    with pytest.raises(NotFound):
        await versions.version(session, team.clinic.id, 4)


async def test_activating_an_older_version_rolls_back_and_leaves_the_schedule_alone(
    session: AsyncSession, clock: FrozenClock, world: World
) -> None:
    team = await demo_team(world)
    source = ProtocolSource.from_file(world.settings.protocol_file)
    await _add(session, clock, team.clinic.id, SHIPPED)
    position = (await session.execute(select(OncallPosition).where(OncallPosition.name == "on_call_clinician"))
                ).scalar_one()
    position.rotation = [team.admin.id]  # edited on its own
    await _add(session, clock, team.clinic.id, labelled("two", on_call("admin@demo.clinic")))
    rolled = await versions.activate_version(session, clock, team.clinic.id, 1, actor="cli", staff_id=team.admin.id,
                                             protocols=source)
    assert rolled.number == 1 and (await versions.active_version(session, team.clinic.id)) == rolled
    _, detail = [a for a in await _actions(session) if a[0] == "protocol.activate"][-1]
    assert detail == {"number": 1, "label": SHIPPED_LABEL, "previous": 2}
    assert [a for a, _ in await _actions(session)].count("oncall.seed") == 1  # every position existed
    await session.refresh(position)
    assert position.rotation == [team.admin.id]
    await session.commit()
    assert (await source.for_clinic(session, team.clinic.id)).stored_id == rolled.id


async def test_activation_checks_the_clinic_as_it_is_now(
    session: AsyncSession, clock: FrozenClock, world: World
) -> None:
    team = await demo_team(world)
    newcomer = await world.staff(team.clinic, "clinician", email="new@north.example", phone="+12025550193")
    one = await _add(session, clock, team.clinic.id, on_call("new@north.example"))
    await _add(session, clock, team.clinic.id, labelled("two"))
    member = await session.get(StaffMember, newcomer.id)
    assert member is not None
    member.active = False  # left the clinic
    await session.flush()
    with pytest.raises(ProtocolRefused) as refused:
        await versions.activate_version(session, clock, team.clinic.id, one.number, actor="cli", staff_id=None)
    assert "rota.on_call_clinician.rotation[0]: 'new@north.example' is deactivated" in refused.value.problems
    assert (await versions.active_version(session, team.clinic.id)).number == 2  # type: ignore[union-attr]
    action, detail = (await _actions(session))[-1]
    assert (action, detail["during"], detail["number"]) == ("protocol.refused", "activate", 1)


async def test_a_stored_version_is_never_changed(session: AsyncSession, clock: FrozenClock, world: World) -> None:
    team = await demo_team(world)
    row = await _add(session, clock, team.clinic.id, SHIPPED)
    await session.commit()
    row.text = labelled("edited")
    with pytest.raises(StoredVersionChanged, match="never changed"):
        await session.flush()
    await session.rollback()
    stored = (await session.execute(select(ProtocolVersion))).scalar_one()
    assert stored.text == SHIPPED


async def test_an_unknown_clinic_is_not_found(session: AsyncSession, clock: FrozenClock) -> None:
    with pytest.raises(NotFound):
        await _add(session, clock, 999, SHIPPED)
