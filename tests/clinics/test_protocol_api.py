"""The protocol routes: an admin of the clinic reads the protocol in use, adds versions (TOML or
JSON), lists and diffs them, and activates one; refusals name each place."""

from __future__ import annotations

import tomllib

import pytest
from httpx import AsyncClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from companion.models import AuditEvent, ProtocolVersion, StaffMember
from companion.protocols import default_protocol
from tests.clinics.protocol_texts import SHIPPED, SHIPPED_LABEL, demo_team, labelled, on_call
from tests.conftest import World

TOML = {"content-type": "application/toml"}


def _url(clinic_id: int | None, tail: str = "") -> str:
    return f"/api/v1/clinics/{clinic_id}/protocol{tail}"


async def test_a_clinic_without_a_version_answers_with_the_seed_file(client: AsyncClient, world: World) -> None:
    team = await demo_team(world)
    response = await client.get(_url(team.clinic.id), headers=world.headers(team.admin))
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["stored"], body["number"], body["label"], body["origin"]) == (
        False, None, SHIPPED_LABEL, "seed file")
    assert body["text"] == SHIPPED and body["summary"] == default_protocol().summary()


async def test_only_an_admin_of_the_clinic_may(client: AsyncClient, world: World) -> None:
    team = await demo_team(world)
    south = await demo_team_elsewhere(world)
    clinician = world.headers(team.clinician)
    assert (await client.get(_url(team.clinic.id), headers=clinician)).status_code == 403
    assert (await client.put(_url(team.clinic.id), content=SHIPPED, headers={**clinician, **TOML})).status_code == 403
    admin = world.headers(team.admin)
    for method, tail in (("GET", ""), ("PUT", ""), ("GET", "/versions"), ("GET", "/versions/1"),
                         ("POST", "/versions/1/activate")):
        response = await client.request(method, _url(south.id, tail), content=SHIPPED, headers={**admin, **TOML})
        assert response.status_code == 404, (method, tail)
    assert (await client.get(_url(team.clinic.id))).status_code == 401


async def demo_team_elsewhere(world: World) -> object:
    south = await world.clinic("South Clinic")
    await world.staff(south, "admin", phone="+12025550199")
    return south


async def test_a_toml_version_is_added_activated_and_read_back(
    client: AsyncClient, world: World, session: AsyncSession
) -> None:
    team = await demo_team(world)
    headers = world.headers(team.admin)
    put = await client.put(_url(team.clinic.id), content=SHIPPED, headers={**headers, **TOML})
    assert put.status_code == 201, put.text
    assert (put.json()["number"], put.json()["active"], put.json()["origin"]) == (1, True, "api")
    assert put.json()["created_by"] == {"id": team.admin.id, "name": team.admin.name}
    body = (await client.get(_url(team.clinic.id), headers=headers)).json()
    assert (body["stored"], body["number"], body["text"]) == (True, 1, SHIPPED)
    assert body["activated_by"]["id"] == team.admin.id and body["activated_at"] is not None
    again = await client.put(_url(team.clinic.id), content=SHIPPED,
                             headers={**headers, "content-type": "text/plain"})
    assert (again.status_code, again.json()["number"]) == (200, 1)  # the active text: nothing stored
    actors = set((await session.execute(select(AuditEvent.actor))).scalars())
    assert actors == {f"staff:{team.admin.id}"}


async def test_a_json_document_is_stored_as_toml(client: AsyncClient, world: World) -> None:
    team = await demo_team(world)
    headers = world.headers(team.admin)
    document = tomllib.loads(labelled("from-json"))
    put = await client.put(_url(team.clinic.id), json=document, headers=headers, params={"activate": "false"})
    assert put.status_code == 201, put.text
    assert put.json()["label"] == "from-json" and put.json()["active"] is False
    assert tomllib.loads(put.json()["text"]) == document
    nulls = await client.put(_url(team.clinic.id), json={**document, "version": None}, headers=headers)
    assert nulls.status_code == 400 and "version" in nulls.json()["detail"]
    not_object = await client.put(_url(team.clinic.id), json=[1, 2], headers=headers)
    assert not_object.status_code == 400
    other = await client.put(_url(team.clinic.id), content=b"x", headers={**headers, "content-type": "image/png"})
    assert other.status_code == 400


@pytest.mark.parametrize(
    ("change", "place"),
    [(lambda t: on_call("nobody@example.org", t), "rota.on_call_clinician.rotation[0]"),
     (lambda t: t.replace("\n[wording]\n", "\n[wording]\nshout = true\n", 1), "wording.shout"),
     (lambda t: t.replace('version = "default-2026.1"', f'version = "{"v" * 65}"', 1), "version")],
)
async def test_a_refused_version_answers_422_with_its_problems(
    client: AsyncClient, world: World, session: AsyncSession, change: object, place: str
) -> None:
    team = await demo_team(world)
    headers = {**world.headers(team.admin), **TOML}
    assert (await client.put(_url(team.clinic.id), content=SHIPPED, headers=headers)).status_code == 201
    refused = await client.put(_url(team.clinic.id), content=change(SHIPPED), headers=headers)  # type: ignore[operator]
    assert refused.status_code == 422, refused.text
    problems = refused.json()["problems"]
    assert any(problem.startswith(f"{place}: ") for problem in problems), problems
    assert [v["number"] for v in (await client.get(_url(team.clinic.id, "/versions"), headers=headers)).json()] == [1]
    events = list((await session.execute(select(AuditEvent.action).order_by(AuditEvent.id))).scalars())
    assert events[-1] == "protocol.refused"  # kept although the request was refused


async def test_versions_are_listed_diffed_and_rolled_back(client: AsyncClient, world: World) -> None:
    team = await demo_team(world)
    headers = world.headers(team.admin)
    for text in (SHIPPED, labelled("two")):
        assert (await client.put(_url(team.clinic.id), content=text, headers={**headers, **TOML})).status_code == 201
    listed = (await client.get(_url(team.clinic.id, "/versions"), headers=headers)).json()
    assert [(v["number"], v["label"], v["active"]) for v in listed] == [(2, "two", True), (1, SHIPPED_LABEL, False)]
    two = (await client.get(_url(team.clinic.id, "/versions/2"), headers=headers, params={"diff_from": 1})).json()
    assert two["text"] == labelled("two")
    assert f'-version = "{SHIPPED_LABEL}"' in two["diff"] and '+version = "two"' in two["diff"]
    assert (await client.get(_url(team.clinic.id, "/versions/2"), headers=headers)).json()["diff"] is None
    assert (await client.get(_url(team.clinic.id, "/versions/9"), headers=headers)).status_code == 404
    assert (await client.get(_url(team.clinic.id, "/versions/2"), headers=headers,
                             params={"diff_from": 9})).status_code == 404
    rolled = await client.post(_url(team.clinic.id, "/versions/1/activate"), headers=headers)
    assert rolled.status_code == 200, rolled.text
    assert (rolled.json()["number"], rolled.json()["label"]) == (1, SHIPPED_LABEL)
    listed = (await client.get(_url(team.clinic.id, "/versions"), headers=headers)).json()
    assert [v["active"] for v in listed] == [False, True]


async def test_activation_is_refused_when_the_version_no_longer_passes(
    client: AsyncClient, world: World, session: AsyncSession
) -> None:
    team = await demo_team(world)
    newcomer = await world.staff(team.clinic, "clinician", email="new@north.example", phone="+12025550193")
    headers = {**world.headers(team.admin), **TOML}
    for text in (on_call("new@north.example"), labelled("two")):
        assert (await client.put(_url(team.clinic.id), content=text, headers=headers)).status_code == 201
    member = await session.get(StaffMember, newcomer.id)
    assert member is not None
    member.phone = None
    await session.commit()
    refused = await client.post(_url(team.clinic.id, "/versions/1/activate"), headers=headers)
    assert refused.status_code == 422
    assert "rota.on_call_clinician.rotation[0]: 'new@north.example' has no phone number to be paged on" in (
        refused.json()["problems"])
    assert (await client.get(_url(team.clinic.id), headers=headers)).json()["number"] == 2
    assert len(list((await session.execute(select(ProtocolVersion))).scalars())) == 2
