"""The dashboard's patient overview: latest scores, mood trend, missed check-ins and open alerts per
patient of the caller's clinic, in a fixed handful of queries per page."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from httpx import AsyncClient
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from companion.clinical.scoring import mood_baseline
from companion.clock import FrozenClock
from companion.models import Alert, AuditEvent, CheckIn, Patient, Prompt
from companion.patients.overview import mood_summary
from companion.patients.schemas import MoodPoint
from companion.scheduling.due import missed_in_a_row, missed_streak
from tests.conftest import START, World

URL = "/api/v1/patients/overview"


class Rows:
    """Check-ins, prompts and alerts written straight into the database."""

    def __init__(self, session: AsyncSession, clock: FrozenClock) -> None:
        self.session = session
        self.now = clock.now()
        self.slot = 0

    def checkin(self, patient: Patient, instrument: str, total: int, days_ago: float, band: str | None = None,
                status: str = "complete") -> None:
        at = self.now - timedelta(days=days_ago)
        self.session.add(CheckIn(
            clinic_id=patient.clinic_id, patient_id=patient.id or 0, instrument=instrument, instrument_version="1",
            source="sms", status=status, started_at=at, updated_at=at,
            completed_at=at if status == "complete" else None, total=total, band=band,
        ))

    def prompt(self, patient: Patient, status: str, days_ago: float) -> None:
        self.slot += 1
        due = self.now - timedelta(days=days_ago)
        self.session.add(Prompt(
            clinic_id=patient.clinic_id, patient_id=patient.id or 0, instrument="mood", instrument_version="1",
            slot=f"test:{self.slot}", status=status, due_at=due, expires_at=due + timedelta(hours=12),
        ))

    def alert(self, patient: Patient, severity: str, status: str, minutes_ago: int = 30) -> None:
        self.slot += 1
        self.session.add(Alert(
            clinic_id=patient.clinic_id, patient_id=patient.id or 0, kind="crisis", severity=severity, status=status,
            ack_code=f"{1000 + self.slot}", protocol_version="test",
            opened_at=self.now - timedelta(minutes=minutes_ago),
        ))


def _by_reference(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {item["reference"]: item for item in body["items"]}


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


async def test_each_patient_has_latest_scores_trend_missed_and_alerts(
    client: AsyncClient, world: World, session: AsyncSession, clock: FrozenClock
) -> None:
    clinic = await world.clinic(timezone="America/Chicago")
    headers = world.headers(await world.staff(clinic, "staff"))
    busy = await world.patient(clinic, reference="P-1001", phone="+12025550101", name="Avery Busy")
    quiet = await world.patient(clinic, reference="P-1002", phone="+12025550102", name="Blair Quiet")
    await world.patient(clinic, reference="P-1003", phone="+12025550103", name="Casey New")
    rows = Rows(session, clock)
    moods = [7, 6, 8, 7, 7, 6, 5, 7, 3]  # oldest first, one a day; the latest (3) is today
    for index, value in enumerate(moods):
        rows.checkin(busy, "mood", value, days_ago=len(moods) - 1 - index)
    rows.checkin(busy, "mood", 9, days_ago=0.5, status="partial")  # not complete: not a score
    rows.checkin(busy, "phq9", 18, days_ago=20, band="moderately_severe")
    rows.checkin(busy, "phq9", 8, days_ago=2, band="mild")
    rows.checkin(busy, "gad7", 16, days_ago=5, band="severe")
    for status, days_ago in (("expired", 20), ("answered", 10), ("expired", 3), ("expired", 2), ("expired", 1),
                             ("cancelled", 0.5), ("open", 0.2)):
        rows.prompt(busy, status, days_ago)
    rows.alert(busy, "high", "open")
    rows.alert(busy, "urgent", "acknowledged")
    rows.alert(busy, "urgent", "resolved")
    rows.checkin(quiet, "mood", 4, days_ago=1)
    rows.checkin(quiet, "mood", 5, days_ago=0)
    rows.prompt(quiet, "expired", 2)
    rows.prompt(quiet, "answered", 1)
    rows.alert(quiet, "routine", "open")
    await session.commit()

    response = await client.get(URL, headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["total"], body["limit"], body["offset"]) == (3, 50, 0)
    assert body["clinic_timezone"] == "America/Chicago"
    assert [item["reference"] for item in body["items"]] == ["P-1001", "P-1002", "P-1003"]
    items = _by_reference(body)

    first = items["P-1001"]
    assert (first["id"], first["display_name"], first["status"]) == (busy.id, "Avery Busy", "active")
    assert first["latest_mood"]["value"] == 3 and _at(first["latest_mood"]["at"]) == START
    assert [p["value"] for p in first["mood_trend"]] == moods[-7:]
    assert first["mood_baseline"] == mood_baseline(moods[:-1]) == 7.0
    assert (first["phq9"]["total"], first["phq9"]["band"]) == (8, "mild")
    assert (first["gad7"]["total"], first["gad7"]["band"]) == (16, "severe")
    assert (first["missed_checkins"], first["missed_in_a_row"]) == (3, 3)
    assert (first["open_alerts"], first["highest_open_severity"]) == (2, "urgent")

    second = items["P-1002"]
    assert second["latest_mood"]["value"] == 5 and [p["value"] for p in second["mood_trend"]] == [4, 5]
    assert second["mood_baseline"] is None  # fewer than three moods before the latest
    assert second["phq9"] is None and second["gad7"] is None
    assert (second["missed_checkins"], second["missed_in_a_row"]) == (1, 0)
    assert (second["open_alerts"], second["highest_open_severity"]) == (1, "routine")

    empty = items["P-1003"]
    assert empty["latest_mood"] is None and empty["mood_trend"] == [] and empty["mood_baseline"] is None
    assert (empty["missed_checkins"], empty["missed_in_a_row"], empty["open_alerts"]) == (0, 0, 0)
    assert empty["highest_open_severity"] is None

    # The bulk streak counts as the scheduler's own per-patient count does.
    for patient in (busy, quiet):
        assert items[patient.reference]["missed_in_a_row"] == await missed_in_a_row(session, patient.id or 0)

    # The list agrees with the patient's own timeline.
    timeline = (await client.get(f"/api/v1/patients/{busy.id}/timeline", headers=headers)).json()
    assert timeline["mood"]["latest"] == first["latest_mood"]["value"]
    assert timeline["mood"]["baseline"] == first["mood_baseline"]
    assert timeline["phq9"]["latest"] == first["phq9"]["total"]


async def test_search_status_and_pages(client: AsyncClient, world: World, session: AsyncSession) -> None:
    clinic = await world.clinic()
    headers = world.headers(await world.staff(clinic))
    for number in range(5):
        await world.patient(clinic, reference=f"P-20{number}", phone=f"+1202555020{number}")
    await world.patient(clinic, reference="Q-1", phone="+12025550299")
    paused = await session.get(Patient, (await world.patient(clinic, reference="P-299", phone="+12025550298")).id)
    assert paused is not None
    paused.status = "paused"
    await session.commit()

    page = (await client.get(URL, params={"search": "p-2", "limit": 2, "offset": 2}, headers=headers)).json()
    assert page["total"] == 6 and (page["limit"], page["offset"]) == (2, 2)
    assert [i["reference"] for i in page["items"]] == ["P-202", "P-203"]
    last = (await client.get(URL, params={"search": "p-2", "limit": 2, "offset": 6}, headers=headers)).json()
    assert last["items"] == [] and last["total"] == 6
    only_paused = (await client.get(URL, params={"status": "paused"}, headers=headers)).json()
    assert [i["reference"] for i in only_paused["items"]] == ["P-299"]
    # A literal % or _ in the search is a character, not a wildcard.
    assert (await client.get(URL, params={"search": "%"}, headers=headers)).json()["total"] == 0
    assert (await client.get(URL, params={"search": "P_"}, headers=headers)).json()["total"] == 0


async def test_only_the_callers_clinic_and_one_audit_event_without_phi(
    client: AsyncClient, world: World, session: AsyncSession, clock: FrozenClock
) -> None:
    mine, theirs = await world.clinic("Mine"), await world.clinic("Theirs")
    member = await world.staff(mine, "clinician")
    own = await world.patient(mine, reference="P-1", phone="+12025550111", name="Robin Own")
    other = await world.patient(theirs, reference="P-1", phone="+12025550112", name="Sasha Other")
    rows = Rows(session, clock)
    rows.checkin(other, "mood", 1, days_ago=0)
    rows.alert(other, "urgent", "open")
    rows.prompt(other, "expired", 1)
    await session.commit()

    body = (await client.get(URL, headers=world.headers(member))).json()
    assert [i["id"] for i in body["items"]] == [own.id] and body["total"] == 1
    [item] = body["items"]
    assert item["latest_mood"] is None and item["open_alerts"] == 0 and item["missed_checkins"] == 0

    events = list((await session.execute(select(AuditEvent).where(AuditEvent.action == "patient.overview"))).scalars())
    assert len(events) == 1
    [audit] = events
    assert (audit.actor, audit.subject, audit.clinic_id, audit.detail) == (
        f"staff:{member.id}", "patients", mine.id, {"count": 1}
    )
    assert "Robin" not in json.dumps(audit.detail) and "P-1" not in json.dumps(audit.detail)


async def test_sign_in_and_parameters_are_checked_and_routes_do_not_clash(client: AsyncClient, world: World) -> None:
    clinic = await world.clinic()
    headers = world.headers(await world.staff(clinic, "staff"))
    patient = await world.patient(clinic)
    assert (await client.get(URL)).status_code == 401
    assert (await client.get(URL, headers=world.patient_headers(patient))).status_code == 401
    assert (await client.get(URL, params={"limit": 0}, headers=headers)).status_code == 400
    assert (await client.get(URL, params={"limit": 201}, headers=headers)).status_code == 400
    assert (await client.get(URL, params={"offset": -1}, headers=headers)).status_code == 400
    assert (await client.get(URL, params={"status": "gone"}, headers=headers)).status_code == 400
    assert (await client.get(URL, params={"search": "x" * 33}, headers=headers)).status_code == 400
    read = await client.get(f"/api/v1/patients/{patient.id}", headers=headers)
    assert read.status_code == 200 and read.json()["reference"] == "P-1042"
    assert (await client.get("/api/v1/patients/overview", headers=headers)).status_code == 200


@contextmanager
def _count_queries(engine: AsyncEngine) -> Iterator[list[str]]:
    statements: list[str] = []

    def before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", before)


async def test_a_page_costs_the_same_handful_of_queries_for_few_or_many_patients(
    client: AsyncClient, world: World, session: AsyncSession, clock: FrozenClock, engine: AsyncEngine
) -> None:
    clinic = await world.clinic()
    member = await world.staff(clinic)
    headers = world.headers(member)
    rows = Rows(session, clock)

    async def add_patients(start: int, count: int) -> None:
        for number in range(start, start + count):
            patient = await world.patient(clinic, reference=f"P-{number:04d}", phone=f"+1202555{number:04d}")
            for day in range(3):
                rows.checkin(patient, "mood", 5 + day % 3, days_ago=day)
            rows.checkin(patient, "phq9", 9, days_ago=4, band="mild")
            rows.prompt(patient, "expired", 1)
            rows.alert(patient, "high", "open")
        await session.commit()

    await add_patients(1000, 2)
    with _count_queries(engine) as few:
        assert len((await client.get(URL, headers=headers)).json()["items"]) == 2
    await add_patients(2000, 25)
    with _count_queries(engine) as many:
        assert len((await client.get(URL, headers=headers)).json()["items"]) == 27
    assert len(many) == len(few) <= 10, many


def test_missed_streak_counts_back_to_the_last_answer() -> None:
    assert missed_streak([]) == 0
    assert missed_streak(["answered", "expired"]) == 0
    assert missed_streak(["expired", "expired", "answered", "expired"]) == 2
    assert missed_streak(["expired"] * 4) == 4


def test_mood_summary_keeps_seven_points_and_judges_the_latest_against_the_ones_before() -> None:
    now = datetime(2026, 11, 27, tzinfo=START.tzinfo)
    values = [3, 7, 5, 6, 7, 8, 6, 7]  # latest first
    points = [MoodPoint(at=now - timedelta(days=i), value=v) for i, v in enumerate(values)]
    trend, baseline = mood_summary(points)
    assert [p.value for p in trend] == list(reversed(values[:7]))
    assert baseline == mood_baseline(list(reversed(values[1:]))) == 7.0
    assert mood_summary(points[:3]) == (list(reversed(points[:3])), None)
    assert mood_summary([]) == ([], None)


async def test_an_empty_clinic_names_its_time_zone_for_the_dashboard(client: AsyncClient, world: World) -> None:
    clinic = await world.clinic(timezone="Europe/Lisbon")
    headers = world.headers(await world.staff(clinic))
    body = (await client.get(URL, headers=headers)).json()
    assert body == {"items": [], "total": 0, "limit": 50, "offset": 0, "clinic_timezone": "Europe/Lisbon"}
