"""Routine messages handled a batch at a time, set-based (conversations/routine.py), end in exactly the
state the one-by-one route leaves: two identical cohorts of patients get the same messages, one
handled in batches with the set-based handler, the other one message per transaction through the
route, and everything stored for each (replies, the inbound rows, prompts, check-ins, answers,
alerts) is compared. The scripts cover what is planned set-based and what is passed over to the
route (risk, findings from answers and from history, the screener, consent, staff, the app link)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from companion.clock import FrozenClock
from companion.conversations.router import Conversations, reads_as_risk
from companion.db import create_sessionmaker
from companion.messaging.inbound_worker import InboundProcessor
from companion.messaging.intake import InboundIntake
from companion.models import (
    Alert,
    Answer,
    CheckIn,
    InboundMessage,
    OutboundMessage,
    Patient,
    Prompt,
    StaffMember,
    TreatmentSession,
)
from companion.protocols import ProtocolSource
from companion.settings import Settings
from tests.checkins.helpers import make_prompt
from tests.conftest import World
from tests.messaging.test_intake import webhook

# name: (consent, open prompt, earlier mood totals, PHQ-9 baseline, the messages in order)
SCRIPTS: dict[str, tuple[str, str | None, list[int], int | None, list[str]]] = {
    "mood answered": ("opted_in", "mood", [], None, ["7"]),
    "mood in words": ("opted_in", "mood", [], None, ["it's a six today"]),
    "mood asked again": ("opted_in", "mood", [], None, ["so-so really", "6"]),
    "mood low": ("opted_in", "mood", [], None, ["1"]),
    "mood drop": ("opted_in", "mood", [9, 9, 8, 9], None, ["4"]),
    "mood steady": ("opted_in", "mood", [5, 6, 5], None, ["5", "thanks"]),
    "phq9 partly": ("opted_in", "phq9", [], None, ["0", "1", "not sure", "0", "2"]),
    "phq9 rise": ("opted_in", "phq9", [], 4, ["3", "3", "3", "2", "3", "3", "3", "2", "0", "ok"]),
    "phq9 item 9": ("opted_in", "phq9", [], None, ["1"] * 8 + ["1", "no"]),
    "gad7 high": ("opted_in", "gad7", [], None, ["3"] * 7),
    "app link": ("opted_in", "mood", [], None, ["meh", "dunno", "whatever", "8"]),
    "yes as an answer": ("opted_in", "mood", [], None, ["YES", "HELP", "9"]),
    "no prompt": ("opted_in", None, [], None, ["hello there", "thanks for today"]),
    "help": ("opted_in", None, [], None, ["HELP", "info"]),
    "risk": ("opted_in", "mood", [], None, ["i took all my pills an hour ago", "5"]),
    "passive": ("opted_in", None, [], None, ["sometimes i wish i could just not wake up"]),
    "pending": ("pending", None, [], None, ["hello", "YES", "HELP"]),
    "stop and start": ("opted_in", "mood", [], None, ["STOP", "3", "START", "3"]),
    "unknown": ("", None, [], None, ["who is this", "HELP"]),
    "staff": ("staff", None, [], None, ["ACK", "hello"]),
}

class RouteCounting(Conversations):
    """The route, noting each number it handles a message from."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.numbers: set[str] = set()

    async def __call__(self, session: AsyncSession, inbound: InboundMessage) -> list[str]:
        self.numbers.add(inbound.from_phone)
        return await super().__call__(session, inbound)


URL = re.compile(r"https?://\S+")
CODE = re.compile(r"\bP-\d+|\b\d{3,}\b")  # a patient's reference, an alert's code


def _phone(cohort: int, index: int) -> str:
    return f"+1202555{cohort}{index:03d}"


async def _enrol(world: World, session: AsyncSession, clock: FrozenClock, cohort: int) -> None:
    clinic = await world.clinic(name=f"Clinic {cohort}")
    for index, (name, (consent, prompt, moods, baseline, _)) in enumerate(SCRIPTS.items()):
        phone = _phone(cohort, index)
        if consent == "staff":
            await world.staff(clinic, phone=phone)
            continue
        if not consent:
            continue  # a number nobody has
        patient = await world.patient(clinic, reference=f"P-{cohort}{index:03d}", phone=phone, sms_consent=consent)
        assert patient.id is not None and clinic.id is not None
        for days, total in enumerate(reversed(moods), start=1):
            at = clock.now() - timedelta(days=days)
            session.add(CheckIn(clinic_id=clinic.id, patient_id=patient.id, instrument="mood", instrument_version="1",
                                source="sms", status="complete", started_at=at, updated_at=at, completed_at=at,
                                total=total))
        if baseline is not None:
            at = clock.now() - timedelta(days=20)
            session.add(CheckIn(clinic_id=clinic.id, patient_id=patient.id, instrument="phq9", instrument_version="1",
                                source="app", status="complete", started_at=at, updated_at=at, completed_at=at,
                                total=baseline))
            session.add(TreatmentSession(patient_id=patient.id, clinic_id=clinic.id, modality="iv",
                                         started_at=clock.now() - timedelta(days=10)))
        await session.commit()
        if prompt is not None:
            await make_prompt(session, clock, patient.id, prompt, slot=f"test:{name}")


async def _outcome(session: AsyncSession, cohort: int) -> dict[str, Any]:
    """Everything stored for each script's number, without ids or anything else told apart by cohort."""
    def plain(text: str | None) -> str | None:
        if text is None:
            return None
        return CODE.sub("<code>", URL.sub("<link>", text)).replace(f"Clinic {cohort}", "<clinic>")

    outcome: dict[str, Any] = {}
    for index, name in enumerate(SCRIPTS):
        phone = _phone(cohort, index)
        replies = (await session.execute(
            select(OutboundMessage.body, OutboundMessage.status, OutboundMessage.purpose)
            .where(OutboundMessage.to_phone == phone, OutboundMessage.purpose != "prompt")
            .order_by(OutboundMessage.id)
        )).all()
        inbound = (await session.execute(
            select(InboundMessage).where(InboundMessage.from_phone == phone).order_by(InboundMessage.id)
        )).scalars().all()
        stored: dict[str, Any] = {
            "replies": [(plain(body), status, purpose) for body, status, purpose in replies],
            "inbound": [(m.sender_kind, m.keyword, m.needs_review, plain(m.reply_body), m.status, m.attempts,
                         m.patient_id is not None, m.clinic_id is not None, m.staff_id is not None) for m in inbound],
        }
        patient = (await session.execute(select(Patient).where(Patient.phone == phone))).scalar_one_or_none()
        if patient is not None:
            prompts = (await session.execute(
                select(Prompt).where(Prompt.patient_id == patient.id).order_by(Prompt.id))).scalars().all()
            checkins = (await session.execute(
                select(CheckIn).where(CheckIn.patient_id == patient.id).order_by(CheckIn.id))).scalars().all()
            answers = (await session.execute(
                select(Answer).where(Answer.patient_id == patient.id).order_by(Answer.id))).scalars().all()
            alerts = (await session.execute(
                select(Alert).where(Alert.patient_id == patient.id).order_by(Alert.id))).scalars().all()
            stored |= {
                "consent": patient.sms_consent,
                "prompts": [(p.instrument, p.status, p.current_question, p.invalid_replies, p.answered_at)
                            for p in prompts],
                "checkins": [(c.instrument, c.status, c.total, c.band, c.flags, c.completed_at,
                              c.prompt_id is not None) for c in checkins],
                "answers": [(a.question_key, a.value, a.source, a.inbound_message_id is not None) for a in answers],
                "alerts": [(a.kind, a.severity, a.status) for a in alerts],
            }
        outcome[name] = stored
    return outcome


@pytest.mark.parametrize("size", [4, 16])
async def test_batches_handled_set_based_end_as_the_route_leaves_them(
    engine: AsyncEngine, clock: FrozenClock, settings: Settings, session: AsyncSession, protocols: ProtocolSource,
    world: World, size: int,
) -> None:
    await _enrol(world, session, clock, 1)
    await _enrol(world, session, clock, 2)
    conversations = Conversations(clock, settings, protocols)
    routed = RouteCounting(clock, settings, protocols)
    sessionmaker = create_sessionmaker(engine)
    in_batches = InboundProcessor(sessionmaker, clock, routed, batch_size=size, routine=routed.routine)
    one_by_one = InboundProcessor(sessionmaker, clock, conversations, batch_size=1)
    intake = InboundIntake(engine, clock, triage=reads_as_risk, notify=False)
    sid = 0
    for turn in range(max(len(script[4]) for script in SCRIPTS.values())):
        for cohort in (1, 2):
            for index, (_, (*_, messages)) in enumerate(SCRIPTS.items()):
                if turn < len(messages):
                    sid += 1
                    await intake.store(webhook(sid, messages[turn], _phone(cohort, index)))
            # Each turn of cohort 1 handled in batches, of cohort 2 one at a time (both drain the queue:
            # each cohort's turn is stored and handled before the other's).
            assert await (in_batches if cohort == 1 else one_by_one).drain() > 0
        clock.advance(timedelta(minutes=5))
    await intake.close()
    session.expire_all()
    set_based, one_by_one_outcome = await _outcome(session, 1), await _outcome(session, 2)
    for name in SCRIPTS:
        assert set_based[name] == one_by_one_outcome[name], name
    # The batches really were handled set-based where routine, and one by one where not.
    routed_scripts = {name for index, name in enumerate(SCRIPTS) if _phone(1, index) in routed.numbers}
    assert not routed_scripts & {"mood answered", "mood in words", "mood steady", "phq9 partly",
                                 "no prompt", "help", "unknown"}
    assert {"mood low", "mood drop", "risk", "passive", "pending", "stop and start", "staff",
            "app link"} <= routed_scripts
    # Both paths were taken: the set-based one answered, the route alerted.
    assert set_based["mood answered"]["checkins"][0][:3] == ("mood", "complete", 7)
    assert set_based["risk"]["alerts"] and set_based["mood drop"]["alerts"] and set_based["phq9 rise"]["alerts"]


async def test_a_staff_number_is_left_to_the_route(
    engine: AsyncEngine, clock: FrozenClock, settings: Settings, session: AsyncSession, protocols: ProtocolSource,
    world: World,
) -> None:
    clinic = await world.clinic()
    member = await world.staff(clinic, phone="+12025550199")
    conversations = Conversations(clock, settings, protocols)
    message = InboundMessage(message_sid="SM1", from_phone="+12025550199", to_phone="+15005550006", body="hello",
                             received_at=clock.now())
    assert await conversations.routine(session, [message]) == [message]
    assert (await session.execute(select(StaffMember.id))).scalar_one() == member.id
