"""The patient list's filters and sorts (GET /api/v1/patients/overview and /api/v1/patients):
search by reference or name, status, consent, open alert severity, missed check-ins, five orders;
the total counts what matches; another clinic never shows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from companion.models import Alert, Patient, Prompt
from tests.conftest import START, World

URL = "/api/v1/patients/overview"


async def _clinic(world: World, session: AsyncSession) -> dict[str, str]:
    clinic = await world.clinic()
    other = await world.clinic(name="Other")
    headers = world.headers(await world.staff(clinic))
    people = {
        "P-1": ("Alex Rivera", None, 0, "opted_in"),
        "P-2": ("Sam Chen", "high", 2, "opted_in"),
        "P-3": ("Jordan Patel", "urgent", 0, "opted_out"),
        "P-4": ("Riley Alexander", "routine", 1, "opted_in"),
    }
    made = [await world.patient(clinic, reference=reference, name=name, phone=f"+120255503{n:02d}")
            for n, (reference, (name, *_)) in enumerate(people.items())]
    first = await world.patient(clinic, reference="P-5", name="Old Timer", phone="+12025550399")
    await world.patient(other, reference="P-1", name="Alex Elsewhere", phone="+12025550111")
    for n, (made_patient, (_, severity, missed, consent)) in enumerate(zip(made, people.values(), strict=True)):
        patient = await session.get(Patient, made_patient.id)
        assert patient is not None
        patient.sms_consent = consent
        patient.created_at = START - timedelta(days=10 - n)
        if severity:
            session.add(Alert(clinic_id=clinic.id, patient_id=patient.id, kind="same_day", severity=severity,
                              status="open", ack_code=f"K{n}", protocol_version="1", chain={}, findings=[],
                              opened_at=START - timedelta(hours=n)))
        for m in range(missed):
            session.add(Prompt(clinic_id=clinic.id, patient_id=patient.id, instrument="mood", instrument_version="1",
                               slot=f"mood:{m}", status="expired", due_at=START - timedelta(days=m + 2),
                               expires_at=START - timedelta(days=m + 1)))
    # an expired prompt older than the window, and a resolved urgent alert: neither counts
    session.add(Prompt(clinic_id=clinic.id, patient_id=first.id, instrument="mood", instrument_version="1",
                       slot="mood:old", status="expired", due_at=START - timedelta(days=30),
                       expires_at=START - timedelta(days=29)))
    session.add(Alert(clinic_id=clinic.id, patient_id=first.id, kind="crisis", severity="urgent", status="resolved",
                      ack_code="K9", protocol_version="1", chain={}, findings=[], opened_at=START))
    await session.commit()
    return headers


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ["P-1", "P-2", "P-3", "P-4", "P-5"]),
        ({"search": "alex"}, ["P-1", "P-4"]),  # a part of the name, any case
        ({"search": "p-3"}, ["P-3"]),  # a reference prefix
        ({"search": "chen"}, ["P-2"]),
        ({"consent": "opted_out"}, ["P-3"]),
        ({"alert": "any"}, ["P-2", "P-3", "P-4"]),
        ({"alert": "high"}, ["P-2", "P-3"]),
        ({"alert": "urgent"}, ["P-3"]),
        ({"alert": "none"}, ["P-1", "P-5"]),
        ({"missed": "true"}, ["P-2", "P-4"]),
        ({"missed": "false"}, ["P-1", "P-3", "P-5"]),
        ({"alert": "any", "missed": "true", "search": "sam"}, ["P-2"]),
        ({"sort": "name"}, ["P-1", "P-3", "P-5", "P-4", "P-2"]),
        ({"sort": "alert"}, ["P-3", "P-2", "P-4", "P-1", "P-5"]),
        ({"sort": "missed"}, ["P-2", "P-4", "P-1", "P-3", "P-5"]),
        ({"sort": "newest"}, ["P-5", "P-4", "P-3", "P-2", "P-1"]),
    ],
)
async def test_filters_and_sorts(
    client: AsyncClient, world: World, session: AsyncSession, params: dict[str, str], expected: list[str]
) -> None:
    headers = await _clinic(world, session)
    page = (await client.get(URL, params=params, headers=headers)).json()
    assert [i["reference"] for i in page["items"]] == expected
    assert page["total"] == len(expected)
    plain = (await client.get("/api/v1/patients", params=params, headers=headers)).json()
    assert [i["reference"] for i in plain["items"]] == expected


async def test_a_filter_pages_within_what_matches(client: AsyncClient, world: World, session: AsyncSession) -> None:
    headers = await _clinic(world, session)
    page = (await client.get(URL, params={"alert": "any", "limit": 2, "offset": 2}, headers=headers)).json()
    assert ([i["reference"] for i in page["items"]], page["total"]) == (["P-4"], 3)


@pytest.mark.parametrize("params", [{"sort": "age"}, {"alert": "red"}, {"consent": "maybe"}, {"missed": "often"}])
async def test_an_unknown_filter_value_is_a_clear_400(
    client: AsyncClient, world: World, session: AsyncSession, params: dict[str, str]
) -> None:
    headers = await _clinic(world, session)
    response = await client.get(URL, params=params, headers=headers)
    assert response.status_code == 400
    assert next(iter(params)) in response.text
