"""The on-call API: the board (now, next, warnings), the positions with their cover, and the
admin-only changes, each within the caller's own clinic."""

from __future__ import annotations

from datetime import timedelta

from httpx import AsyncClient, Response
from sqlalchemy.ext.asyncio import AsyncSession

from companion.models import Clinic, StaffMember
from tests.conftest import START, World


def at(delta: timedelta) -> str:
    return (START + delta).isoformat()


async def _put(client: AsyncClient, clinic: Clinic, headers: dict[str, str], rotation: list[int | None],
               handoff: str = "mon 09:00", name: str = "on_call_clinician") -> Response:
    return await client.put(f"/api/v1/clinics/{clinic.id}/oncall/positions/{name}",
                            json={"rotation": rotation, "handoff": handoff}, headers=headers)


async def test_the_board_shows_now_and_next_in_local_time(client: AsyncClient, world: World) -> None:
    clinic = await world.clinic(timezone="America/New_York")  # START is Friday 27 November, 10:00 EST
    admin = await world.staff(clinic, "admin", phone="+12025550101")
    rota = await world.staff(clinic, "clinician", phone="+12025550102")
    cover = await world.staff(clinic, "clinician", phone="+12025550103")
    headers = world.headers(admin)
    put = await client.put(f"/api/v1/clinics/{clinic.id}/oncall/positions/on_call_clinician",
                           json={"rotation": [rota.id], "handoff": "Mon 09:00"}, headers=headers)
    assert put.status_code == 200, put.text
    assert put.json()["handoff"] == "mon 09:00" and put.json()["rotation"] == [{"staff_id": rota.id,
                                                                                 "name": rota.name}]
    added = await client.post(
        f"/api/v1/clinics/{clinic.id}/oncall/positions/on_call_clinician/overrides",
        json={"staff_id": cover.id, "starts_at": at(timedelta(hours=1)), "ends_at": at(timedelta(hours=2))},
        headers=headers,
    )
    assert added.status_code == 201, added.text

    staff_view = await client.get(f"/api/v1/clinics/{clinic.id}/oncall",
                                  headers=world.headers(await world.staff(clinic, "staff")))
    assert staff_view.status_code == 200, staff_view.text
    board = {b["position"]: b for b in staff_view.json()}
    on_call = board["on_call_clinician"]
    assert on_call["warning"] is None
    assert on_call["now"] == {
        "staff_id": rota.id, "name": rota.name, "start": "2026-11-23T14:00:00Z", "end": "2026-11-27T16:00:00Z",
        "until": "until Fri 11:00", "override": False,
    }
    assert on_call["next"] == {
        "staff_id": cover.id, "name": cover.name, "start": "2026-11-27T16:00:00Z", "end": "2026-11-27T17:00:00Z",
        "until": "until Fri 12:00", "override": True,
    }
    # Positions only in the protocol are shown from its rota, by email; nobody here holds those emails.
    backup = board["backup_clinician"]
    assert backup["now"]["staff_id"] is None and backup["now"]["name"] == "admin@demo.clinic"
    assert backup["now"]["until"] == "until Mon 09:00" and backup["next"]["until"] == "until Mon 7 Dec 09:00"
    assert backup["warning"] == (
        "nobody with a phone is on call for backup_clinician: admin@demo.clinic is not a member of this clinic")


async def test_a_warning_when_the_person_on_call_has_no_phone(
    client: AsyncClient, world: World, session: AsyncSession
) -> None:
    clinic = await world.clinic()
    admin = await world.staff(clinic, "admin", phone="+12025550101")
    member = await world.staff(clinic, "clinician", phone="+12025550102")
    assert (await _put(client, clinic, world.headers(admin), [member.id])).status_code == 200
    stored = await session.get(StaffMember, member.id)
    assert stored is not None
    stored.phone = None
    await session.commit()
    board = {b["position"]: b for b in (await client.get(f"/api/v1/clinics/{clinic.id}/oncall",
                                                          headers=world.headers(admin))).json()}
    assert board["on_call_clinician"]["now"]["staff_id"] == member.id
    assert board["on_call_clinician"]["warning"] == (
        f"nobody with a phone is on call for on_call_clinician: {member.name} has no phone number")


async def test_positions_list_rotation_and_current_cover(client: AsyncClient, world: World) -> None:
    clinic = await world.clinic()
    admin = await world.staff(clinic, "admin", phone="+12025550101")
    first = await world.staff(clinic, "clinician", phone="+12025550102")
    second = await world.staff(clinic, "clinician", phone="+12025550103")
    headers = world.headers(admin)
    assert (await _put(client, clinic, headers, [second.id, first.id], "sun 18:00", "nurse")).status_code == 200
    base = f"/api/v1/clinics/{clinic.id}/oncall"
    added = (await client.post(f"{base}/positions/nurse/overrides", headers=headers, json={
        "staff_id": first.id, "starts_at": at(timedelta(days=1)), "ends_at": at(timedelta(days=2)), "note": "swap",
    })).json()
    listed = (await client.get(f"{base}/positions", headers=world.headers(first))).json()
    assert [p["name"] for p in listed] == ["nurse"]
    assert [r["staff_id"] for r in listed[0]["rotation"]] == [second.id, first.id]
    assert listed[0]["handoff"] == "sun 18:00"
    assert listed[0]["overrides"] == [{
        "id": added["id"], "staff": {"staff_id": first.id, "name": first.name},
        "starts_at": "2026-11-28T15:00:00Z", "ends_at": "2026-11-29T15:00:00Z", "note": "swap",
        "created_by": admin.id, "created_at": added["created_at"],
    }]

    deleted = await client.delete(f"{base}/overrides/{added['id']}", headers=headers)
    assert deleted.status_code == 204
    assert (await client.get(f"{base}/positions", headers=headers)).json()[0]["overrides"] == []
    assert (await client.delete(f"{base}/overrides/{added['id']}", headers=headers)).status_code == 404


async def test_changes_are_for_admins_of_the_clinic_only(client: AsyncClient, world: World) -> None:
    clinic, other = await world.clinic("North"), await world.clinic("South")
    admin = await world.staff(clinic, "admin", phone="+12025550101")
    clinician = await world.staff(clinic, "clinician", phone="+12025550102")
    other_admin = await world.staff(other, "admin", phone="+12025550103")
    assert (await _put(client, clinic, world.headers(admin), [clinician.id])).status_code == 200
    base = f"/api/v1/clinics/{clinic.id}/oncall"
    added = (await client.post(f"{base}/positions/on_call_clinician/overrides", headers=world.headers(admin), json={
        "staff_id": admin.id, "starts_at": at(timedelta(hours=1)), "ends_at": at(timedelta(hours=2)),
    })).json()
    override = {"staff_id": admin.id, "starts_at": at(timedelta(hours=1)), "ends_at": at(timedelta(hours=2))}

    as_clinician = world.headers(clinician)
    assert (await _put(client, clinic, as_clinician, [clinician.id])).status_code == 403
    assert (await client.post(f"{base}/positions/on_call_clinician/overrides", json=override,
                              headers=as_clinician)).status_code == 403
    assert (await client.delete(f"{base}/overrides/{added['id']}", headers=as_clinician)).status_code == 403

    as_other = world.headers(other_admin)
    assert (await client.get(base, headers=as_other)).status_code == 404
    assert (await client.get(f"{base}/positions", headers=as_other)).status_code == 404
    assert (await _put(client, clinic, as_other, [other_admin.id])).status_code == 404
    assert (await client.post(f"{base}/positions/on_call_clinician/overrides", json=override,
                              headers=as_other)).status_code == 404
    assert (await client.delete(f"{base}/overrides/{added['id']}", headers=as_other)).status_code == 404
    # Their own clinic's id does not reach this clinic's override either.
    assert (await client.delete(f"/api/v1/clinics/{other.id}/oncall/overrides/{added['id']}",
                                headers=as_other)).status_code == 404
    listed = (await client.get(f"{base}/positions", headers=as_clinician)).json()
    assert [o["id"] for o in listed[0]["overrides"]] == [added["id"]]


async def test_bad_changes_are_refused_naming_the_field(client: AsyncClient, world: World) -> None:
    clinic = await world.clinic()
    admin = await world.staff(clinic, "admin", phone="+12025550101")
    no_phone = await world.staff(clinic, "clinician")
    headers = world.headers(admin)
    for rotation, handoff, name, field in [
        ([no_phone.id], "mon 09:00", "on_call_clinician", "rotation[0]"),
        ([], "mon 09:00", "on_call_clinician", "rotation"),
        ([admin.id], "noon", "on_call_clinician", "handoff"),
    ]:
        refused = await _put(client, clinic, headers, rotation, handoff, name)
        assert refused.status_code == 422, (field, refused.text)
        assert refused.json()["extra"][0]["key"] == field
    # A name that cannot be a position's is refused before the handler runs.
    for name in ("On-Call", "1st", "x" * 41):
        malformed = await _put(client, clinic, headers, [admin.id], name=name)
        assert malformed.status_code == 400 and malformed.json()["extra"][0]["key"] == "name", malformed.text
    assert (await _put(client, clinic, headers, [admin.id])).status_code == 200
    base = f"/api/v1/clinics/{clinic.id}/oncall/positions"
    past = await client.post(f"{base}/on_call_clinician/overrides", headers=headers, json={
        "staff_id": admin.id, "starts_at": at(-timedelta(hours=2)), "ends_at": at(-timedelta(hours=1))})
    assert past.status_code == 422 and past.json()["extra"][0]["key"] == "ends_at"
    naive = await client.post(f"{base}/on_call_clinician/overrides", headers=headers, json={
        "staff_id": admin.id, "starts_at": "2026-11-28T09:00:00", "ends_at": at(timedelta(days=2))})
    assert naive.status_code == 400 and naive.json()["extra"][0]["key"] == "starts_at"
    missing = await client.post(f"{base}/nurse/overrides", headers=headers, json={
        "staff_id": admin.id, "starts_at": at(timedelta(hours=1)), "ends_at": at(timedelta(hours=2))})
    assert missing.status_code == 404
    assert (await client.get(f"{base}", headers=headers)).json()[0]["rotation"][0]["staff_id"] == admin.id
