"""The daily digest of routine alerts: counts only, once per business day and care-team member."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from companion.clinical.digest import count_reasons, digest_day, digest_text
from companion.clinical.rota import BusinessHours, OpeningHours
from companion.clinical.rules import Finding
from companion.clock import FrozenClock
from companion.models import AuditEvent, OutboundMessage, Patient
from companion.protocols import ProtocolSource, default_protocol
from companion.safety.alerts import raise_findings
from companion.safety.digests import send_due_digests
from companion.settings import Settings
from tests.conftest import World
from tests.safety.conftest import BACKUP_PHONE, ON_CALL_PHONE, Team

NEW_YORK = ZoneInfo("America/New_York")
PROTOCOL = default_protocol()
WEEKDAYS = BusinessHours({day: OpeningHours(9 * 60, 17 * 60) for day in range(5)})


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=NEW_YORK).astimezone(UTC)


@pytest.mark.parametrize(
    ("at", "tz", "expected"),
    [
        ("2026-11-30 09:00", "America/New_York", date(2026, 11, 30)),  # Monday, opening time
        ("2026-11-30 16:59", "America/New_York", date(2026, 11, 30)),
        ("2026-11-30 08:59", "America/New_York", None),  # not open yet
        ("2026-11-30 17:00", "America/New_York", None),  # closed
        ("2026-11-28 10:00", "America/New_York", None),  # Saturday
        ("2026-11-30 23:30", "Asia/Kolkata", date(2026, 12, 1)),  # 10:00 Tuesday in Kolkata
    ],
)
def test_the_digest_day_is_the_clinics_open_business_day(at: str, tz: str, expected: date | None) -> None:
    assert digest_day(local(at), tz, WEEKDAYS) == expected


def test_reasons_count_patients_once_per_rule() -> None:
    reasons = count_reasons([["missed_checkins", "missed_checkins"], ["gad7_high", "missed_checkins"], ["x_rule"]])
    assert reasons == Counter({"missed_checkins": 2, "gad7_high": 1, "x_rule": 1})


def test_the_digest_says_how_many_and_why_in_one_sms() -> None:
    text = digest_text("North Clinic", 3, Counter({"gad7_high": 1, "missed_checkins": 2, "my_own_rule": 1}),
                       "https://c.example.org/staff/")
    assert text == ("North Clinic daily digest: 3 patients have routine items to review (missed check-ins in a "
                    "row 2, GAD-7 of 15 or more 1, my own rule 1). https://c.example.org/staff/")
    assert len(text) <= 320
    assert "1 patient has" in digest_text("N", 1, Counter({"cssrs_low": 1}), "u")


def _finding(rule_id: str, severity: str = "routine", chain: str = "routine") -> Finding:
    return Finding(rule_id, rule_id, severity, chain, "none", "evidence")  # type: ignore[arg-type]


async def _routine_alerts(world: World, team: Team, session: AsyncSession, clock: FrozenClock) -> None:
    second = await world.patient(team.clinic, reference="P-2001", phone="+12025550143")
    third = await world.patient(team.clinic, reference="P-2002", phone="+12025550144")
    fourth = await world.patient(team.clinic, reference="P-2003", phone="+12025550145")
    patients = {p.id: await session.get(Patient, p.id) for p in (team.patient, second, third, fourth)}
    first, second_p, third_p, fourth_p = patients.values()
    assert first and second_p and third_p and fourth_p
    await raise_findings(session, clock, PROTOCOL, first, [_finding("missed_checkins")], source="test", reply_key=None)
    await raise_findings(session, clock, PROTOCOL, second_p, [_finding("gad7_high"), _finding("missed_checkins")],
                         source="test", reply_key=None)
    [acknowledged] = await raise_findings(session, clock, PROTOCOL, third_p, [_finding("cssrs_low")], source="test",
                                          reply_key=None)
    acknowledged.alert.status = "acknowledged"  # someone is on it: not in the digest
    await raise_findings(session, clock, PROTOCOL, fourth_p, [_finding("mood_low", "high", "same_day")],
                         source="test", reply_key=None)
    await session.commit()


async def _digests(session: AsyncSession) -> list[OutboundMessage]:
    query = select(OutboundMessage).where(OutboundMessage.purpose == "notice").order_by(OutboundMessage.id)
    return list((await session.execute(query.execution_options(populate_existing=True))).scalars())


async def test_the_care_team_gets_one_digest_per_business_day(
    world: World, team: Team, session: AsyncSession, clock: FrozenClock, settings: Settings
) -> None:
    clock.set(local("2026-11-30 07:00"))  # Monday, before opening
    await _routine_alerts(world, team, session, clock)
    assert await send_due_digests(session, clock, ProtocolSource.pinned(PROTOCOL), settings) == 0

    clock.set(local("2026-11-30 09:10"))
    assert await send_due_digests(session, clock, ProtocolSource.pinned(PROTOCOL), settings) == 1
    await session.commit()
    [digest] = await _digests(session)
    assert digest.to_phone == ON_CALL_PHONE  # the clinicians, not the admin
    assert digest.staff_id == team.on_call.id and digest.patient_id is None
    assert digest.body == ("North Clinic daily digest: 2 patients have routine items to review (missed check-ins "
                           "in a row 2, GAD-7 of 15 or more 1). https://companion.example.org/staff/")
    assert "P-" not in digest.body and "Pat" not in digest.body

    clock.set(local("2026-11-30 13:00"))  # later the same day: nothing more
    assert await send_due_digests(session, clock, ProtocolSource.pinned(PROTOCOL), settings) == 0
    clock.set(local("2026-12-05 10:00"))  # Saturday
    assert await send_due_digests(session, clock, ProtocolSource.pinned(PROTOCOL), settings) == 0
    clock.set(local("2026-12-07 09:00"))  # the next business day the queue is still waiting
    assert await send_due_digests(session, clock, ProtocolSource.pinned(PROTOCOL), settings) == 1
    await session.commit()
    assert len(await _digests(session)) == 2
    audit = (await session.execute(select(AuditEvent).where(AuditEvent.action == "digest.queue"))).scalars().all()
    assert [e.detail["patients"] for e in audit] == [2, 2]


async def test_no_digest_when_nothing_waits_and_admins_get_it_without_clinicians(
    world: World, team: Team, session: AsyncSession, clock: FrozenClock, settings: Settings
) -> None:
    clock.set(local("2026-11-30 09:30"))
    assert await send_due_digests(session, clock, ProtocolSource.pinned(PROTOCOL), settings) == 0  # none open
    patient = await session.get(Patient, team.patient.id)
    assert patient is not None
    await raise_findings(session, clock, PROTOCOL, patient, [_finding("missed_checkins")], source="test",
                         reply_key=None)
    on_call = await session.merge(team.on_call)
    on_call.active = False
    await session.commit()
    assert await send_due_digests(session, clock, ProtocolSource.pinned(PROTOCOL), settings) == 1
    await session.commit()
    [digest] = await _digests(session)
    assert digest.to_phone == BACKUP_PHONE
    assert digest.body.startswith("North Clinic daily digest: 1 patient has routine items to review")

